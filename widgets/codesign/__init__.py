"""Co-design tools: stakeholder map, ladder of participation, emotional mapping (EBCD)."""

from .model import (
    EMOTIONS,
    QUESTIONS,
    RUNGS,
    EmotionalMap,
    LadderAssessment,
    Stakeholder,
    StakeholderMap,
    Touchpoint,
    example_journey,
    example_stakeholders,
)
from .view import CodesignApp, EmotionalMapApp, LadderApp, StakeholderMapApp

__all__ = [
    "EMOTIONS",
    "QUESTIONS",
    "RUNGS",
    "CodesignApp",
    "EmotionalMap",
    "EmotionalMapApp",
    "LadderApp",
    "LadderAssessment",
    "Stakeholder",
    "StakeholderMap",
    "StakeholderMapApp",
    "Touchpoint",
    "example_journey",
    "example_stakeholders",
]

"""The manifest's schema now lives in :mod:`qilab.escalator.schema` (shared with grading)."""

from __future__ import annotations

from qilab.escalator.schema import (
    LEVELS,
    MAX_MINUTES,
    MAX_OUTCOMES,
    MIN_MINUTES,
    MIN_OUTCOMES,
    OBSERVABLE_VERBS,
    SCHEMA_VERSION,
    THEMES,
    VAGUE_VERBS,
    Problem,
    module_id,
    outcome_verb,
    validate,
)

__all__ = [
    "LEVELS",
    "MAX_MINUTES",
    "MAX_OUTCOMES",
    "MIN_MINUTES",
    "MIN_OUTCOMES",
    "OBSERVABLE_VERBS",
    "SCHEMA_VERSION",
    "THEMES",
    "VAGUE_VERBS",
    "Problem",
    "module_id",
    "outcome_verb",
    "validate",
]

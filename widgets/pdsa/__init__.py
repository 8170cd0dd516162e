"""PDSA cycle simulator: a ward process to test changes on, with a PDSA log."""

from .model import SCENARIOS, ChangeIdea, Cycle, PDSASimulator, Scenario
from .view import PDSAApp

__all__ = ["SCENARIOS", "ChangeIdea", "Cycle", "PDSAApp", "PDSASimulator", "Scenario"]

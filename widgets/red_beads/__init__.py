"""Deming's red bead experiment: model and app."""

from .model import GOAL, WORKERS, RedBeadExperiment
from .view import RedBeadsApp

__all__ = ["GOAL", "WORKERS", "RedBeadExperiment", "RedBeadsApp"]

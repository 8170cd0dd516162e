"""Winter pressures stock-and-flow model (system dynamics): model and app."""

from .model import WinterModel, WinterPolicy, WinterSystem, outcomes, simulate
from .view import WinterApp

__all__ = ["WinterApp", "WinterModel", "WinterPolicy", "WinterSystem", "outcomes", "simulate"]

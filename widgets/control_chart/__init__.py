"""Control chart explorer: design a process, chart it, see which rules fire and why."""

from .model import (
    CHARTS,
    METHOD_NAMES,
    PATTERNS,
    Explorer,
    ProcessSettings,
    available_methods,
    generate,
)
from .view import ControlChartExplorer

__all__ = [
    "CHARTS",
    "METHOD_NAMES",
    "PATTERNS",
    "ControlChartExplorer",
    "Explorer",
    "ProcessSettings",
    "available_methods",
    "generate",
]

"""Driver diagram builder: aim, drivers and change ideas, checked and exportable."""

from .model import DriverDiagram, Issue, Node, example
from .view import DriverDiagramApp, render_svg

__all__ = ["DriverDiagram", "DriverDiagramApp", "Issue", "Node", "example", "render_svg"]

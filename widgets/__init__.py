"""Interactive simulations for learning QI by doing (ipywidgets apps, JupyterLab and Voila).

Each simulation is a sub-package with its model (numpy/pandas, testable without a browser)
separate from its view (an ipywidgets app). Apps are imported lazily, so ``import
qilab.widgets`` stays cheap; ``from qilab.widgets import FunnelApp`` loads only what it needs.

>>> from qilab.widgets import ControlChartExplorer      # doctest: +SKIP
>>> ControlChartExplorer(seed=1)                         # doctest: +SKIP

Every app takes ``seed=`` (where chance is involved) so a tutor can reproduce what a learner saw.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: App class name -> sub-package that defines it.
APPS: dict[str, str] = {
    "ControlChartExplorer": "control_chart",
    "RedBeadsApp": "red_beads",
    "FunnelApp": "funnel",
    "PDSAApp": "pdsa",
    "PatientFlowApp": "patient_flow",
    "WinterApp": "winter",
    "DriverDiagramApp": "driver_diagram",
    "StakeholderMapApp": "codesign",
    "LadderApp": "codesign",
    "EmotionalMapApp": "codesign",
    "CodesignApp": "codesign",
}

__all__ = [
    "CodesignApp",
    "ControlChartExplorer",
    "DriverDiagramApp",
    "EmotionalMapApp",
    "FunnelApp",
    "LadderApp",
    "PDSAApp",
    "PatientFlowApp",
    "RedBeadsApp",
    "StakeholderMapApp",
    "WinterApp",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .codesign import CodesignApp, EmotionalMapApp, LadderApp, StakeholderMapApp
    from .control_chart import ControlChartExplorer
    from .driver_diagram import DriverDiagramApp
    from .funnel import FunnelApp
    from .patient_flow import PatientFlowApp
    from .pdsa import PDSAApp
    from .red_beads import RedBeadsApp
    from .winter import WinterApp


def __getattr__(name: str) -> Any:
    if name in APPS:
        module = importlib.import_module(f"{__name__}.{APPS[name]}")
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *APPS])

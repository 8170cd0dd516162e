"""The object :func:`qilab.measure.qic` returns: data, summary, chart and description together."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd


@dataclass
class QicResult:
    """Result of :func:`qilab.measure.qic`.

    Attributes
    ----------
    data : DataFrame
        One row per plotted point (per subgroup for xbar/s charts), columns named as qicharts2's
        in snake_case: ``x, y, n, cl, lcl, ucl, sigma_signal, runs_signal, longest_run,
        longest_run_max, n_crossings, n_crossings_min, part`` and more.
    summary : DataFrame
        One row per chart part: centre line, average limits, runs analysis and signal counts
        (qicharts2's ``summary.qic``), plus the method's extra verdicts.
    chart_type, method : str
        What was computed.
    rule_set : str
        The rule set applied (a key of :data:`qilab.measure.rulesets.NAMES`): ``method="ihi"``
        gives ``"ihi_run"`` on a run chart and ``"provost_murray"`` on a control chart.
    variation, assurance : str or None
        Making Data Count icons (``method="mdc"`` only).
    """

    data: pd.DataFrame
    summary: pd.DataFrame
    chart_type: str
    method: str
    rule_set: str = "anhoej"
    multiply: float = 1
    improvement: int = 0
    variation: str | None = None
    assurance: str | None = None
    labels: dict[str, Any] = field(default_factory=dict)

    def chart(self, **kwargs: Any) -> Any:
        """Altair chart in the house theme; see :func:`qilab.measure.chart.make_chart`."""
        from .chart import make_chart

        return make_chart(self, **kwargs)

    def save(self, path: Any, **chart_options: Any) -> Any:
        """Save the chart for a poster or portfolio: ``.png`` (1600 px), ``.svg`` or ``.pdf``.

        ``chart_options`` go to :meth:`chart` (``title=``, ``annotations=``…). Returns the path.
        """
        from .export import save_chart

        return save_chart(self.chart(**chart_options), path)

    def describe(self) -> str:
        """Plain-English paragraph of what the chart shows (for screen readers and notes)."""
        from .describe import describe

        return describe(self)

    @property
    def signal(self) -> bool:
        """True if any part has a sigma signal or a runs signal."""
        return bool(self.data["sigma_signal"].any() or self.data["runs_signal"].any())

    @property
    def rule_set_name(self) -> str:
        """The rule set's printed name, e.g. "Provost & Murray control-chart rules"."""
        from .rulesets import NAMES

        return NAMES[self.rule_set]

    def __repr__(self) -> str:
        parts = len(self.summary)
        return (
            f"<QicResult {self.chart_type!r} chart, {len(self.data)} points, {parts} "
            f"part{'s' if parts != 1 else ''}, method={self.method!r}>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """Show the chart when the result is the last expression in a notebook cell."""
        return self.chart()._repr_mimebundle_(include=include, exclude=exclude)

"""Measurement for improvement: run charts and SPC charts with the rules QI teams use.

``qic()`` reproduces qicharts2 0.8.1 (Anhøj) for run, I, MR, Xbar, S, T, P, P′, C, U, U′ and G
charts, adds the IHI run-chart rules, Provost & Murray's control-chart rules (``method="ihi"`` on a
control chart) and NHS England's Making Data Count rules, and returns a
:class:`QicResult` with ``data``, ``summary``, ``chart()`` and ``describe()``.

Each chart kind is one entry in :data:`qilab.measure.kinds.CHART_KINDS` and each rule set one
entry in :data:`qilab.measure.rulesets.RULE_SETS`; ``qic()``, the chart and ``describe()`` read
them (see README.md beside this file).

This package is pure maths and chart specs: it imports no widgets, data sets or grading code.
"""

from __future__ import annotations

from ._validate import CHART_TYPES, METHODS, MeasureInputError
from .qic import qic
from .result import QicResult

__all__ = ["CHART_TYPES", "METHODS", "MeasureInputError", "QicResult", "qic"]

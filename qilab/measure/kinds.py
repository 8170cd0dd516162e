"""The chart kinds ``qic()`` draws, each described once: adding a chart kind is one entry here.

Everything the engine, the chart, ``describe()`` and the widgets need to know about a chart kind
lives in its :class:`ChartKind`: its printed name, the y-axis label, how many baseline points its
limits need (and why, for the error message), which data checks apply (counts, proportions,
denominators, subgroups), what its centre line is, whether its order carries time, and the
function that computes its centre line and limits for one part (from :mod:`.limits_variables`
and :mod:`.limits_attributes`, which follow qicharts2 0.8.1).

>>> CHART_KINDS["p"].name, CHART_KINDS["p"].y_label(100), CHART_KINDS["p"].needs_n
('P chart', 'Percent', True)
>>> chart_kind("XmR").key
'i'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from . import limits_attributes as la
from . import limits_variables as lv
from .limits import ChartFunction


def _label(text: str) -> Callable[[float], str | None]:
    """A y label that does not depend on ``multiply``."""
    return lambda multiply: text


def _no_label(multiply: float) -> str | None:
    """No label of the kind's own: the y column's name (or "Value") is used."""
    return None


def _proportion_label(multiply: float) -> str:
    return "Percent" if multiply == 100 else "Proportion"


def _rate_label(multiply: float) -> str:
    return f"Rate per {multiply:g}" if multiply != 1 else "Rate"


@dataclass(frozen=True)
class ChartKind:
    """One chart kind: what it is called, what data it needs and how its limits are computed."""

    #: The name users pass as ``qic(chart=...)`` (qicharts2's).
    key: str
    #: Printed name, e.g. "P chart" (chart titles, ``describe()``, error messages).
    name: str
    #: Centre line and limits of one part (receives a :class:`~.limits.PartInput`).
    compute: ChartFunction
    #: Fewest usable baseline points each part needs for its limits, and why (for the message).
    min_points: int
    min_points_why: str
    #: Default y-axis title for a given ``multiply``; None means the y column's name or "Value".
    y_label: Callable[[float], str | None] = _no_label
    #: Which subgroup value the minimum-points check counts ("y_sum" for counts summed per x).
    counted: Literal["y", "y_sum"] = "y"
    #: y counts events or cases, so it cannot be negative.
    counts: bool = False
    #: y / n is a proportion, so the numerator cannot exceed the denominator.
    proportion: bool = False
    #: A denominator ``n=`` is required.
    needs_n: bool = False
    #: y holds raw measurements grouped by x into subgroups of at least 2 (Xbar, S).
    needs_subgroups: bool = False
    #: y must be greater than 0 (times between events).
    positive: bool = False
    #: What the centre line is, in words.
    centre: Literal["mean", "median"] = "mean"
    #: The chart draws control limits (False only for the run chart).
    has_limits: bool = True
    #: The order of points carries time, so run and pattern rules apply (False for MR charts).
    time_ordered: bool = True
    #: The 1σ and 2σ zones are symmetric about the centre line (False for skewed G charts).
    symmetric_zones: bool = True
    #: y is plotted on its own scale but its limits come from y^(1/power) (the T chart).
    power: float | None = None
    #: Other names ``qic(chart=...)`` accepts for this kind.
    aliases: tuple[str, ...] = ()


#: Every chart kind ``qic()`` knows, in the order qicharts2 lists them.
CHART_KINDS: dict[str, ChartKind] = {
    kind.key: kind
    for kind in (
        ChartKind(
            "run", "run chart", lv.run, 1, "a median needs at least one value",
            centre="median", has_limits=False,
        ),
        ChartKind(
            "i", "I chart", lv.i, 2,
            "the limits come from moving ranges between consecutive points",
            aliases=("xmr", "imr", "x"),
        ),
        ChartKind(
            "mr", "MR chart", lv.mr, 3,
            "the centre line is the mean of moving ranges, and the first range needs two points",
            y_label=_label("Moving range"), time_ordered=False,
        ),
        ChartKind(
            "xbar", "Xbar chart", lv.xbar, 1, "the limits come from the spread within subgroups",
            needs_subgroups=True,
        ),
        ChartKind(
            "s", "S chart", lv.s, 1, "the limits come from the spread within subgroups",
            y_label=_label("Standard deviation"), needs_subgroups=True,
        ),
        ChartKind(
            "t", "T chart", lv.t, 2,
            "the limits come from moving ranges between consecutive times",
            y_label=_label("Time between events"), positive=True, power=lv.T_POWER,
        ),
        ChartKind(
            "p", "P chart", la.p, 1, "the centre line is the overall proportion",
            y_label=_proportion_label, counts=True, proportion=True, needs_n=True,
        ),
        ChartKind(
            "pp", "P′ chart", la.pp, 2,
            "Laney's adjustment uses moving ranges of standardised proportions",
            y_label=_proportion_label, counts=True, proportion=True, needs_n=True,
            aliases=("pprime",),
        ),
        ChartKind(
            "c", "C chart", la.c, 1, "the centre line is the mean count",
            y_label=_label("Count"), counted="y_sum", counts=True,
        ),
        ChartKind(
            "u", "U chart", la.u, 1, "the centre line is the overall rate",
            y_label=_rate_label, counts=True, needs_n=True,
        ),
        ChartKind(
            "up", "U′ chart", la.up, 2,
            "Laney's adjustment uses moving ranges of standardised rates",
            y_label=_rate_label, counts=True, needs_n=True, aliases=("uprime",),
        ),
        ChartKind(
            "g", "G chart", la.g, 1, "the centre line comes from the counts between events",
            y_label=_label("Cases between events"), counts=True, centre="median",
            symmetric_zones=False,
        ),
    )
}  # fmt: skip


def chart_kind(name: str) -> ChartKind | None:
    """The kind a (case-insensitive) name or alias means, or None if there is none."""
    key = name.strip().lower()
    if key in CHART_KINDS:
        return CHART_KINDS[key]
    for kind in CHART_KINDS.values():
        if key in kind.aliases:
            return kind
    return None

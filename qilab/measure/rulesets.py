"""The rule sets ``qic()`` can apply, each one object so charts, ``describe()`` and widgets agree.

``method`` picks a family; the chart kind picks the member: ``method="ihi"`` means the IHI
run-chart rules on a run chart and Provost & Murray's control-chart rules on a control chart
(both from *The Health Care Data Guide*, the IHI's reference); ``"anhoej"`` applies the Anhøj
rules to both, as qicharts2 does; ``"mdc"`` applies NHS England's Making Data Count rules.

Every rule set is a :class:`RuleSet`: it says which ``method`` it answers to and on which charts,
analyses one chart part at a time (:meth:`RuleSet.analyse`), names the columns it adds to
``res.data`` and ``res.summary``, and words its own chart caption and ``describe()`` sentence.
``qic()`` has no branch per rule set, so adding a rule set is one entry in :data:`RULE_SETS`.

>>> rule_set("run", "ihi"), rule_set("p", "ihi"), rule_set("i", "mdc")
('ihi_run', 'provost_murray', 'mdc')
>>> NAMES["provost_murray"]
'Provost & Murray control-chart rules'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from . import control_rules, runs
from . import mdc as mdc_rules
from .kinds import CHART_KINDS, ChartKind
from .limits import PartInput, PartLimits

if TYPE_CHECKING:
    from .result import QicResult

ANHOEJ = "anhoej"
IHI_RUN = "ihi_run"
PROVOST_MURRAY = "provost_murray"
MDC = "mdc"

#: How a per-part verdict column is stored in ``res.data``: nullable integers or booleans.
PartColumn = Literal["int", "bool"]


@dataclass
class PartContext:
    """One chart part after its limits are computed: what a rule set reads."""

    kind: ChartKind
    y: np.ndarray
    cl: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    lcl_95: np.ndarray
    ucl_95: np.ndarray
    include: np.ndarray  # points not excluded
    categorical: bool  # x is categorical: the order carries no time
    direction: int  # improvement direction: +1 up, −1 down, 0 none


@dataclass
class PartRules:
    """What a rule set found in one part.

    ``runs`` fills qicharts2's runs columns (``longest_run`` … ``runs_signal``); ``part`` holds
    one value per :attr:`RuleSet.part_columns` entry, ``points`` one array per
    :attr:`RuleSet.point_columns` entry.
    """

    runs: runs.RunsResult
    part: dict[str, Any] = field(default_factory=dict)
    points: dict[str, np.ndarray] = field(default_factory=dict)


class RuleSet:
    """The protocol every rule set follows; subclasses override what they do differently.

    Class attributes say what the rule set is; methods do the work for one part, summarise a
    part for ``res.summary`` and word the chart caption and the ``describe()`` sentence.
    """

    #: Key stored in ``res.rule_set`` and ``res.summary["rule_set"]``.
    key: str = ""
    #: Short printed name, and where the rules are published.
    name: str = ""
    source: str = ""
    #: The ``qic(method=...)`` value that selects this rule set.
    method: str = ""
    #: Whether it applies to run charts and/or to control charts (charts with limits).
    on_run_charts: bool = True
    on_control_charts: bool = True
    #: The chart kinds the rules are defined for (None: every kind they apply to above).
    charts: ClassVar[tuple[str, ...] | None] = None
    #: Per-part verdicts added to ``res.data`` (repeated on each row) and ``res.summary``.
    part_columns: ClassVar[Mapping[str, PartColumn]] = {}
    #: Per-point columns added to ``res.data``: ``bool`` marks points in a signal (the chart
    #: highlights them); ``object`` holds labels.
    point_columns: ClassVar[Mapping[str, type]] = {}
    #: True when the rule set labels every point itself (Making Data Count's icons): the chart
    #: colours points by label, draws the data line grey and the centre line plain, and
    #: ``describe()`` lists the labels instead of the points outside the limits.
    labels_points: bool = False
    #: True when ``improvement=`` (a direction of improvement) means something to the rules.
    uses_direction: bool = False

    def chart_for(self, chart_key: str) -> str:
        """The chart kind to draw for ``chart_key`` (raise with the fix if the rules don't fit)."""
        if self.charts is not None and chart_key not in self.charts:
            from ._validate import fail

            valid = ", ".join(repr(c) for c in self.charts)
            raise fail(
                f"The {self.name} are defined for {valid} charts, not {chart_key!r}. Use one of "
                f"those charts, or another method for this one."
            )
        return chart_key

    def limits(self, kind: ChartKind, part: PartInput) -> PartLimits:
        """Centre line and limits of one part: the chart kind's own, unless the rules say."""
        return kind.compute(part)

    def analyse(self, part: PartContext) -> PartRules:
        """Apply the rules to one part."""
        raise NotImplementedError

    def summarise(self, rows: pd.DataFrame) -> dict[str, Any]:
        """Extra ``res.summary`` columns for one part, beyond :attr:`part_columns`."""
        return {}

    def finish(self, result: QicResult) -> None:
        """Add whole-chart verdicts to the result (MDC's icons); nothing by default."""

    def caption(self, res: QicResult) -> str:
        """One line naming the rules and their thresholds (the chart's subtitle)."""
        raise NotImplementedError

    def runs_sentence(self, res: QicResult, row: pd.Series) -> str:
        """``describe()``'s sentence on one part's runs or pattern rules."""
        raise NotImplementedError

    def unordered_sentence(self) -> str:
        """``describe()``'s sentence when the order carries no time (MR chart, categories)."""
        return "Runs analysis is not applied to this chart."

    def describe_intro(self, chart_name: str) -> str:
        """How ``describe()`` opens: the chart's name."""
        return f"{chart_name[0].upper()}{chart_name[1:]}"

    def chart_title(self, chart_name: str, what: str) -> str:
        """The chart's default title, ``what`` being e.g. " of falls / bed_days"."""
        return f"{chart_name[0].upper()}{chart_name[1:]}{what}"

    def extra_sentences(self, res: QicResult) -> list[str]:
        """Whole-chart sentences ``describe()`` adds after the parts."""
        return []


class Anhoej(RuleSet):
    """Anhøj rules (qicharts2's default) on run and control charts: see :mod:`.runs`."""

    key = ANHOEJ
    name = "Anhøj rules"
    source = "Anhøj & Olesen 2014, PLoS ONE 9(11): e113825"
    method = "anhoej"

    def analyse(self, part: PartContext) -> PartRules:
        return PartRules(runs.anhoej(part.y, part.cl, part.include))

    def caption(self, res: QicResult) -> str:
        kind = CHART_KINDS[res.chart_type]
        centre = "centre line" if kind.has_limits else "median"
        limits = "; a point outside the 3σ limits" if kind.has_limits else ""
        last = res.summary.iloc[-1]
        run_max, crossings_min = last.get("longest_run_max"), last.get("n_crossings_min")
        if pd.isna(run_max) or pd.isna(crossings_min):
            return f"{self.name}: too few points for a runs analysis{limits}"
        return (
            f"{self.name}: a run longer than {int(run_max)} or fewer than {int(crossings_min)} "
            f"crossings of the {centre} signals{limits}"
        )

    def runs_sentence(self, res: QicResult, row: pd.Series) -> str:
        lr, lr_max = int(row["longest_run"]), int(row["longest_run_max"])
        nc, ncm = int(row["n_crossings"]), row["n_crossings_min"]
        s = (
            f"Anhøj rules: the longest run on one side of the centre line is {lr} "
            f"point{'s' if lr != 1 else ''} (more than {lr_max} would be unusual) and the data "
            f"cross the centre line {nc} "
            f"time{'s' if nc != 1 else ''} (fewer than {int(ncm)} would be unusual)"
        )
        if bool(row["runs_signal"]):
            return s + ", so the runs analysis signals non-random variation, such as a shift."
        return s + ", so the runs analysis finds no sign of non-random variation."


class IhiRun(RuleSet):
    """The IHI run-chart rules (shift 6, trend 5, runs from the table): see :mod:`.runs`."""

    key = IHI_RUN
    name = "IHI run-chart rules"
    source = "Perla, Provost & Murray 2011, BMJ Qual Saf 20:46–51"
    method = "ihi"
    on_control_charts = False
    part_columns: ClassVar[Mapping[str, PartColumn]] = {
        "n_runs": "int",
        "n_runs_min": "int",
        "n_runs_max": "int",
        "longest_trend": "int",
        "shift": "bool",
        "trend": "bool",
        "too_few_runs": "bool",
        "too_many_runs": "bool",
    }
    point_columns: ClassVar[Mapping[str, type]] = {"shift_signal": bool, "trend_signal": bool}

    def analyse(self, part: PartContext) -> PartRules:
        ra = runs.ihi(part.y, part.cl, part.include)
        return PartRules(
            ra,
            part={key: getattr(ra, key) for key in self.part_columns},
            points={"shift_signal": ra.shift_points, "trend_signal": ra.trend_points},
        )

    def summarise(self, rows: pd.DataFrame) -> dict[str, Any]:
        return {"astronomical": "not assessed"}

    def caption(self, res: QicResult) -> str:
        return (
            f"{self.name}: a shift of {runs.IHI_SHIFT} or more on one side of the median; a "
            f"trend of {runs.IHI_TREND} or more; too few or too many runs"
        )

    def runs_sentence(self, res: QicResult, row: pd.Series) -> str:
        lr = int(row["longest_run"])
        parts = [
            f"The longest run on one side of the centre line is {lr} point{'s' if lr != 1 else ''} "
            f"({runs.IHI_SHIFT} or more is a shift)",
            f"the longest trend is {int(row['longest_trend'])} points "
            f"({runs.IHI_TREND} or more is a trend)",
        ]
        if pd.notna(row.get("n_runs_min")):
            parts.append(
                f"there are {int(row['n_runs'])} runs (between {int(row['n_runs_min'])} and "
                f"{int(row['n_runs_max'])} are expected by chance for {int(row['n_useful'])} "
                f"useful points)"
            )
        else:
            parts.append(
                f"there are {int(row['n_runs'])} runs (the IHI table covers 10 to 60 useful "
                f"points, so too few or too many runs is not assessed here)"
            )
        found = _found(
            row,
            shift="a shift",
            trend="a trend",
            too_few_runs="too few runs",
            too_many_runs="too many runs",
        )
        verdict = (
            "so the IHI run-chart rules find " + " and ".join(found)
            if found
            else "so the IHI run-chart rules find no non-random pattern"
        )
        return "; ".join(parts) + ", " + verdict + " (astronomical points are not assessed)."


class ProvostMurray(RuleSet):
    """Provost & Murray's control-chart rules 1–5: see :mod:`.control_rules`."""

    key = PROVOST_MURRAY
    name = "Provost & Murray control-chart rules"
    source = "Provost & Murray 2011, The Health Care Data Guide"
    method = "ihi"
    on_run_charts = False
    part_columns: ClassVar[Mapping[str, PartColumn]] = {
        "longest_trend": "int",
        "longest_inner_run": "int",
        "shift": "bool",
        "trend": "bool",
        "two_of_three": "bool",
        "inner_third": "bool",
    }
    point_columns: ClassVar[Mapping[str, type]] = dict.fromkeys(control_rules.POINT_COLUMNS, bool)

    def analyse(self, part: PartContext) -> PartRules:
        pm = control_rules.evaluate(
            part.kind.key, part.y, part.cl, part.lcl, part.ucl, part.lcl_95, part.ucl_95,
            part.include, ordered=not part.categorical,
        )  # fmt: skip
        signs, n_obs = runs.useful_signs(part.y, part.cl, part.include)
        ra = runs.RunsResult(
            n_obs=n_obs,
            n_useful=int(signs.size),
            longest_run=pm.longest_run,
            longest_run_max=control_rules.SHIFT - 1,
            n_crossings=pm.n_crossings,
            n_crossings_min=None,
            runs_signal=pm.signal,
            longest_trend=pm.longest_trend,
            shift=pm.shift,
            trend=pm.trend,
        )
        masks = (pm.shift_points, pm.trend_points, pm.two_of_three_points, pm.inner_third_points)
        return PartRules(
            ra,
            part={key: getattr(pm, key) for key in self.part_columns},
            points=dict(zip(control_rules.POINT_COLUMNS, masks, strict=True)),
        )

    def summarise(self, rows: pd.DataFrame) -> dict[str, Any]:
        return {
            col.removesuffix("_signal") + "_points": int(rows[col].sum())
            for col in control_rules.POINT_COLUMNS
        }

    def caption(self, res: QicResult) -> str:
        return (
            f"{self.name}: a point outside the 3σ limits; {control_rules.SHIFT} or more in a row "
            f"on one side of the centre line; {control_rules.TREND} rising or falling; "
            f"{control_rules.OUTER} of {control_rules.WINDOW} beyond 2σ on one side; "
            f"{control_rules.INNER} in a row within 1σ"
        )

    def unordered_sentence(self) -> str:
        return (
            "Provost & Murray's control-chart rules: only the rule of a point outside the "
            "limits applies to this chart (its order carries no time)."
        )

    def runs_sentence(self, res: QicResult, row: pd.Series) -> str:
        """Rules 2–5 for one part, with the numbers behind each verdict."""
        parts = [
            f"the longest run on one side of the centre line is {_count(row['longest_run'])} "
            f"({control_rules.SHIFT} or more is a shift)",
            f"the longest trend is {_count(row['longest_trend'])} "
            f"({control_rules.TREND} or more all going up or all going down is a trend)",
        ]
        if pd.isna(row.get("two_of_three")):
            parts.append("the zone rules (2 of 3 beyond 2σ, 15 within 1σ) are not assessed")
        else:
            two = int(row["two_of_three_points"])
            parts.append(
                f"{two} point{'s' if two != 1 else ''} "
                f"{'are' if two != 1 else 'is'} part of 2 of 3 consecutive points beyond 2σ on "
                f"the same side"
            )
            parts.append(
                "the longest run within 1σ of the centre line is "
                f"{_count(row['longest_inner_run'])} "
                f"({control_rules.INNER} or more is too little variation for the limits)"
            )
        found = _found(
            row,
            shift="a shift",
            trend="a trend",
            two_of_three="2 of 3 points beyond 2σ",
            inner_third="15 or more points within 1σ",
        )
        verdict = (
            "so they find " + " and ".join(found) + ", a sign of special cause variation"
            if found
            else "so they find no special cause pattern within the limits"
        )
        return "Provost & Murray's control-chart rules: " + "; ".join(parts) + ", " + verdict + "."


class MakingDataCount(RuleSet):
    """NHS England's Making Data Count rules for XmR charts: see :mod:`.mdc`.

    Defined for XmR charts: a run chart asked for with ``method="mdc"`` is drawn as an XmR chart
    (Making Data Count charts are always XmR), any other chart kind is an error.
    """

    key = MDC
    name = "Making Data Count rules"
    source = "NHS England, Making Data Count 2019"
    method = "mdc"
    charts = ("run", "i")
    point_columns: ClassVar[Mapping[str, type]] = {"mdc_rule": object, "point_type": object}
    labels_points = True
    uses_direction = True

    def chart_for(self, chart_key: str) -> str:
        if self.charts is not None and chart_key not in self.charts:
            from ._validate import fail

            raise fail(
                f"Making Data Count rules are defined for XmR (I) charts, not {chart_key!r}. "
                f"Use chart='i', or method='anhoej' for other charts."
            )
        return "i"

    def limits(self, kind: ChartKind, part: PartInput) -> PartLimits:
        lim = mdc_rules.limits(part.y, part.base, part.screen_mr)
        size = part.y.shape

        def full(value: float) -> np.ndarray:
            return np.full(size, value)

        return PartLimits(
            y=part.y,
            cl=full(lim.mean),
            lcl=full(lim.lpl),
            ucl=full(lim.upl),
            lcl_95=full(lim.nlpl),
            ucl_95=full(lim.nupl),
        )

    def analyse(self, part: PartContext) -> PartRules:
        lim = mdc_rules.MdcLimits(
            mean=float(part.cl[0]),
            lpl=float(part.lcl[0]),
            upl=float(part.ucl[0]),
            nlpl=float(part.lcl_95[0]),
            nupl=float(part.ucl_95[0]),
        )
        rule, kind = mdc_rules.classify(part.y, lim, part.direction)
        ra = runs.anhoej(part.y, part.cl, part.include)
        ordinary = [mdc_rules.COMMON_RULE, mdc_rules.ABOVE_UCL, mdc_rules.BELOW_LCL]
        ra.runs_signal = bool(np.isin(np.asarray(rule, dtype=str), ordinary, invert=True).any())
        return PartRules(ra, points={"mdc_rule": rule, "point_type": kind})

    def summarise(self, rows: pd.DataFrame) -> dict[str, Any]:
        kinds = rows["point_type"].astype(str)
        return {
            "improvement_points": int((kinds == mdc_rules.IMPROVEMENT).sum()),
            "concern_points": int((kinds == mdc_rules.CONCERN).sum()),
            "neutral_points": int(kinds.str.startswith("special_cause_neutral").sum()),
            "common_cause_points": int((kinds == mdc_rules.COMMON).sum()),
        }

    def finish(self, result: QicResult) -> None:
        """Variation icon from the last point; assurance from target vs the last limits."""
        last = result.data.iloc[-1]
        result.variation = str(last["point_type"])
        target = last["target"]
        result.assurance = mdc_rules.assurance(
            None if pd.isna(target) else float(target),
            float(last["lcl"]),
            float(last["ucl"]),
            result.improvement,
        )
        result.summary["variation"] = None
        result.summary["assurance"] = None
        result.summary.loc[result.summary.index[-1], "variation"] = result.variation
        result.summary.loc[result.summary.index[-1], "assurance"] = result.assurance

    def caption(self, res: QicResult) -> str:
        return (
            f"{self.name}: a point outside the limits; a run of {mdc_rules.RUN} on one side of "
            f"the mean; a trend of {mdc_rules.TREND} rising or falling; 2 of 3 points beyond 2σ "
            "on one side"
        )

    def runs_sentence(self, res: QicResult, row: pd.Series) -> str:
        return ""  # the special-cause labels are listed once, in extra_sentences

    def unordered_sentence(self) -> str:
        return ""

    def describe_intro(self, chart_name: str) -> str:
        return "XmR chart with Making Data Count rules"

    def chart_title(self, chart_name: str, what: str) -> str:
        return f"XmR chart{what} (Making Data Count)"

    def extra_sentences(self, res: QicResult) -> list[str]:
        d = res.data
        out: list[str] = []
        kinds = d["point_type"].astype(str)
        special = d[kinds != mdc_rules.COMMON]
        if len(special):
            counts = special["mdc_rule"].value_counts()
            listed = ", ".join(f"{n} flagged by '{r}'" for r, n in counts.items())
            out.append(f"{len(special)} points show special cause variation: {listed}.")
        else:
            out.append("All points show common cause variation.")
        if res.variation:
            out.append(
                f"Variation icon (from the last point): {mdc_rules.VARIATION_TEXT[res.variation]}."
            )
        if res.assurance:
            out.append(f"Assurance icon: {mdc_rules.ASSURANCE_TEXT[res.assurance]}.")
        return out


def _found(row: pd.Series, **labels: str) -> list[str]:
    """The labels of the per-part verdicts that are True in ``row``, in the order given."""
    return [label for key, label in labels.items() if row.get(key) is True]


def _count(value: Any) -> str:
    if value is None or pd.isna(value):
        return "not available"
    v = int(value)
    return f"{v} point{'s' if v != 1 else ''}"


#: Every rule set, by key. Adding one is one entry: ``RULE_SETS[rs.key] = rs``.
RULE_SETS: dict[str, RuleSet] = {
    rs.key: rs for rs in (Anhoej(), IhiRun(), ProvostMurray(), MakingDataCount())
}


class _View(Mapping[str, str]):
    """A read-only view of one attribute of every registered rule set (a single source)."""

    def __init__(self, attribute: str) -> None:
        self._attribute = attribute

    def __getitem__(self, key: str) -> str:
        return str(getattr(RULE_SETS[key], self._attribute))

    def __iter__(self) -> Iterator[str]:
        return iter(RULE_SETS)

    def __len__(self) -> int:
        return len(RULE_SETS)


#: Short name of each rule set, as charts and descriptions print it.
NAMES: Mapping[str, str] = _View("name")
#: Where each rule set is published.
SOURCES: Mapping[str, str] = _View("source")


def methods() -> tuple[str, ...]:
    """The ``method`` values ``qic()`` accepts, in the order their rule sets are registered."""
    return tuple(dict.fromkeys(rs.method for rs in RULE_SETS.values()))


def for_chart(chart_key: str, method_key: str) -> RuleSet:
    """The rule set ``qic(chart=chart_key, method=method_key)`` applies."""
    run_chart = not CHART_KINDS[chart_key].has_limits
    for rs in RULE_SETS.values():
        if rs.method == method_key and (rs.on_run_charts if run_chart else rs.on_control_charts):
            return rs
    from ._validate import fail

    raise fail(
        f"method={method_key!r} has no rules for a {CHART_KINDS[chart_key].name}. Use "
        f"method='anhoej', which applies to every chart."
    )


def rule_set(chart_key: str, method_key: str) -> str:
    """The key of the rule set ``qic(chart=chart_key, method=method_key)`` applies."""
    return for_chart(chart_key, method_key).key

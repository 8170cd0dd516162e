"""A chart kind and a rule set are each one registry entry (issue 15, item 1).

The toy entries here are registered for one test only (``monkeypatch.setitem``), and nothing else
is changed: if ``qic()``, ``describe()``, the chart or the validation still held knowledge of
their own about chart kinds or rule sets, the toy entries would fail somewhere on the way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from qilab.measure import CHART_TYPES, METHODS, MeasureInputError, qic
from qilab.measure import rulesets as rs
from qilab.measure.kinds import CHART_KINDS, ChartKind, chart_kind
from qilab.measure.limits import PartInput, PartLimits, nanmean
from qilab.measure.runs import anhoej

Y = [5.0, 7] * 7 + [12.0] * 6  # a stable baseline of 14 points (mean 6), then a jump


def _plus_minus_one(part: PartInput) -> PartLimits:
    """A toy chart: mean of the baseline ± 1 (2σ at ± 0.5)."""
    cl = np.full(part.y.shape, nanmean(part.y[part.base]))
    return PartLimits(part.y, cl, cl - 1, cl + 1, cl - 0.5, cl + 0.5)


TOY_KIND = ChartKind(
    "toy", "toy chart", _plus_minus_one, 3, "a toy needs three points", aliases=("plaything",)
)


class HighPoints(rs.RuleSet):
    """A toy rule set: a signal when 3 or more points lie above the upper limit in a part."""

    key = "high_points"
    name = "High-point rule"
    source = "a test"
    method = "high"
    on_run_charts = False
    part_columns: ClassVar[Mapping[str, rs.PartColumn]] = {"n_high": "int", "many_high": "bool"}
    point_columns: ClassVar[Mapping[str, type]] = {"high_signal": bool}

    def analyse(self, part: rs.PartContext) -> rs.PartRules:
        high = np.asarray(part.y > part.ucl) & part.include
        ra = anhoej(part.y, part.cl, part.include)
        ra.runs_signal = bool(high.sum() >= 3)
        return rs.PartRules(
            ra,
            part={"n_high": int(high.sum()), "many_high": bool(high.sum() >= 3)},
            points={"high_signal": high},
        )

    def summarise(self, rows: pd.DataFrame) -> dict[str, object]:
        return {"high_share": float(rows["high_signal"].mean())}

    def caption(self, res) -> str:
        return f"{self.name}: 3 or more points above the upper limit"

    def runs_sentence(self, res, row: pd.Series) -> str:
        return f"High-point rule: {int(row['n_high'])} points lie above the upper limit."


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(CHART_KINDS, TOY_KIND.key, TOY_KIND)
    monkeypatch.setitem(rs.RULE_SETS, HighPoints.key, HighPoints())


def test_a_new_chart_kind_is_one_entry(toy: None) -> None:
    res = qic(Y, chart="plaything", freeze=14)
    assert res.chart_type == "toy" and res.rule_set == rs.ANHOEJ
    assert res.data["cl"].iloc[-1] == pytest.approx(6)
    assert res.data["ucl"].iloc[-1] == pytest.approx(7)
    assert res.data["sigma_signal"].tolist() == [y == 12 for y in Y]  # above mean + 1
    assert res.describe().startswith("Toy chart, 20 points")
    spec = res.chart().to_dict()
    assert spec["title"]["text"] == "Toy chart"
    assert " ".join(spec["title"]["subtitle"]).endswith("a point outside the 3σ limits")
    with pytest.raises(MeasureInputError, match=r"a toy chart needs at least 3.*a toy needs three"):
        qic(Y[:2], chart="toy")


def test_a_new_rule_set_is_one_entry(toy: None) -> None:
    res = qic(Y, chart="toy", method="high", freeze=14)
    assert res.rule_set == "high_points" and res.rule_set_name == "High-point rule"
    summary = res.summary.iloc[0]
    assert summary["rule_set"] == "high_points"
    assert summary["n_high"] == 6 and bool(summary["many_high"])
    assert summary["high_share"] == pytest.approx(6 / 20)
    assert bool(summary["runs_signal"])
    assert res.data["high_signal"].tolist() == [y == 12 for y in Y]
    assert "High-point rule: 6 points lie above the upper limit." in res.describe()
    spec = res.chart().to_dict()
    assert spec["title"]["subtitle"] == ["High-point rule: 3 or more points above the upper limit"]
    shapes = {r["point_shape"] for r in spec["datasets"][spec["data"]["name"]] if r["y"] == 12}
    assert shapes == {"diamond"}  # outside the limits wins over the rule set's own mark
    assert rs.NAMES["high_points"] == "High-point rule" and "high" in rs.methods()


def test_the_registered_rule_set_is_offered_in_errors(toy: None) -> None:
    with pytest.raises(MeasureInputError, match=r"Unknown method 'nope'.*'mdc', 'high'"):
        qic(Y, method="nope")
    with pytest.raises(MeasureInputError, match=r"Unknown chart type 'pie'.*'g', 'toy'"):
        qic(Y, chart="pie")


def test_a_method_with_no_rules_for_the_chart_is_one_clear_error(toy: None) -> None:
    with pytest.raises(MeasureInputError, match=r"method='high' has no rules for a run chart"):
        qic(Y, chart="run", method="high")  # the toy rule set is for control charts only


def test_the_built_in_names_are_the_registries() -> None:
    assert tuple(CHART_KINDS) == CHART_TYPES
    assert METHODS == ("anhoej", "ihi", "mdc") == rs.methods()
    assert {rs.rule_set(k, m) for k in CHART_KINDS for m in METHODS} == set(rs.RULE_SETS)
    assert chart_kind("XmR") is CHART_KINDS["i"] and chart_kind("pie") is None


def test_improvement_without_a_method_selects_making_data_count_and_says_so() -> None:
    res = qic(Y, chart="i", improvement="up")
    assert res.method == "mdc" and res.rule_set == rs.MDC
    assert qic(Y, chart="i").method == "anhoej"


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"chart": "i", "method": "anhoej"}, r"method='anhoej' has no direction of improvement"),
        ({"chart": "run", "method": "ihi"}, r"method='ihi' has no direction of improvement"),
        ({"chart": "p", "n": [50] * 20}, r"defined for XmR \(I\) charts, not 'p'"),
    ],
)
def test_improvement_with_rules_that_have_no_direction_is_one_clear_error(
    kwargs: dict, pattern: str
) -> None:
    with pytest.raises(MeasureInputError, match=pattern) as err:
        qic(Y, improvement="down", **kwargs)
    assert "method='mdc'" in str(err.value) and "drop improvement=" in str(err.value)


def test_making_data_count_draws_a_run_chart_as_xmr_and_refuses_other_charts() -> None:
    assert qic(Y, chart="run", method="mdc").chart_type == "i"
    with pytest.raises(MeasureInputError, match=r"defined for XmR \(I\) charts, not 'c'"):
        qic(Y, chart="c", method="mdc")

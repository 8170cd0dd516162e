"""Provost & Murray's control-chart rules (``qic(chart=<control chart>, method="ihi")``).

Each rule is tested at its threshold (one point short of firing, and firing), with ties and
points on the centre line. The unit tests use a chart with centre line 0 and σ = 1 (limits ±3,
2σ lines ±2), so every point's zone is known exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from qilab.measure import qic
from qilab.measure.control_rules import evaluate, one_sigma_lines
from qilab.measure.rulesets import NAMES


def ev(y, include=None, chart: str = "i"):
    y = np.asarray(y, dtype=float)
    n = y.size
    full = np.full
    inc = np.ones(n, dtype=bool) if include is None else np.asarray(include)
    return evaluate(
        chart, y, full(n, 0.0), full(n, -3.0), full(n, 3.0), full(n, -2.0), full(n, 2.0), inc
    )


def zigzag(k: int, amp: float = 0.5) -> list[float]:
    """k points alternating about the centre line (first below), inside 1σ, no trend, no run.

    With k odd it starts and ends below the line, so a run above it stands alone.
    """
    return [amp if i % 2 else -amp for i in range(k)]


def above(k: int) -> list[float]:
    """k points above the centre line, within 1σ, never rising or falling 3 times running."""
    return [0.4 if i % 2 else 0.6 for i in range(k)]


# ---------------------------------------------------------------- rule 2: shift (8 on one side)
def test_seven_on_one_side_is_not_a_shift_eight_is() -> None:
    seven = ev(zigzag(5) + above(7) + zigzag(5))
    assert seven.longest_run == 7 and not seven.shift and not seven.shift_points.any()
    eight = ev(zigzag(5) + above(8) + zigzag(5))
    assert eight.longest_run == 8 and eight.shift
    assert np.flatnonzero(eight.shift_points).tolist() == list(range(5, 13))


def test_a_point_on_the_centre_line_neither_adds_to_nor_breaks_a_shift() -> None:
    eight = ev(zigzag(5) + above(4) + [0.0] + above(4) + zigzag(5))
    assert eight.longest_run == 8 and eight.shift
    assert not eight.shift_points[9]  # the point on the line is not part of the run
    assert eight.shift_points[5:9].all() and eight.shift_points[10:14].all()
    seven = ev(zigzag(5) + above(4) + [0.0] + above(3) + zigzag(5))
    assert seven.longest_run == 7 and not seven.shift


def test_shift_below_the_line_counts_too() -> None:
    res = ev([-v for v in zigzag(3) + above(9) + zigzag(3)])
    assert res.shift and res.shift_points.sum() == 9


# ------------------------------------------------------- rule 3: trend (6 increasing/decreasing)
def test_five_rising_is_not_a_trend_six_is() -> None:
    five = ev([0.5, -0.5, -1.0, -0.5, 0.0, 0.5, 1.0, -0.5, 0.5])
    assert five.longest_trend == 5 and not five.trend
    six = ev([0.5, -0.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, -0.5, 0.5])
    assert six.longest_trend == 6 and six.trend
    assert np.flatnonzero(six.trend_points).tolist() == [2, 3, 4, 5, 6, 7]


def test_six_falling_is_a_trend() -> None:
    res = ev([-0.5, 1.5, 1.0, 0.5, 0.0, -0.5, -1.0, 0.5])
    assert res.trend and res.longest_trend == 6


def test_a_tie_breaks_a_trend() -> None:
    # 6 points would be rising, but two neighbours are equal: 3 rising, then 4 rising
    tied = ev([0.5, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.5, -0.5])
    assert tied.longest_trend == 4 and not tied.trend
    # without the tie the same values make a 6-point trend
    untied = ev([0.5, -1.0, -0.5, 0.0, 0.2, 0.5, 1.0, -0.5])
    assert untied.trend


# -------------------------------------------------- rule 4: 2 of 3 beyond 2σ on the same side
def test_two_of_three_beyond_two_sigma_fires_one_of_three_does_not() -> None:
    two = ev([*zigzag(5), 2.5, 0.1, 2.5, *zigzag(5)])
    assert two.two_of_three
    assert np.flatnonzero(two.two_of_three_points).tolist() == [5, 7]  # the two outer points
    one = ev([*zigzag(5), 2.5, 0.1, -0.1, 2.5, *zigzag(5)])  # each window of 3 holds only one
    assert not one.two_of_three and not one.two_of_three_points.any()


def test_two_of_three_must_be_on_the_same_side() -> None:
    res = ev([*zigzag(5), 2.5, -2.5, 0.1, *zigzag(5)])
    assert not res.two_of_three


def test_a_point_on_the_2_sigma_line_is_not_beyond_it_a_point_outside_the_limits_is() -> None:
    assert not ev([*zigzag(5), 2.0, 2.5, *zigzag(5)]).two_of_three
    res = ev([*zigzag(5), 3.5, 2.5, *zigzag(5)])
    assert res.two_of_three and res.two_of_three_points[5:7].all()


# ---------------------------------------------------- rule 5: 15 in a row within 1σ (inner third)
def test_fourteen_within_one_sigma_is_not_a_signal_fifteen_is() -> None:
    fourteen = ev([1.5, *zigzag(14), -1.5, 1.5])
    assert fourteen.longest_inner_run == 14 and not fourteen.inner_third
    fifteen = ev([1.5, *zigzag(15), -1.5, 1.5])
    assert fifteen.longest_inner_run == 15 and fifteen.inner_third
    assert np.flatnonzero(fifteen.inner_third_points).tolist() == list(range(1, 16))


def test_a_point_on_the_one_sigma_line_is_not_inside_it() -> None:
    res = ev([*zigzag(7), 1.0, *zigzag(8)])
    assert res.longest_inner_run == 8 and not res.inner_third


def test_points_on_the_centre_line_are_within_one_sigma() -> None:
    res = ev([0.0] * 3 + zigzag(12) + [2.5])
    assert res.longest_inner_run == 15 and res.inner_third


# -------------------------------------------------------------------- skipping and zones
def test_excluded_and_missing_points_are_skipped_not_breaks() -> None:
    y = zigzag(5) + above(4) + [-2.5, np.nan] + above(4) + zigzag(5)
    include = np.ones(len(y), dtype=bool)
    include[9] = False  # the point below the line is excluded; the missing one is skipped
    res = ev(y, include=include)
    assert res.shift and res.shift_points.sum() == 8
    assert not res.shift_points[9] and not res.shift_points[10]


def test_one_sigma_lines_undo_clipping_and_follow_the_t_chart_transform() -> None:
    cl, ucl, ucl95 = np.array([0.02]), np.array([0.08]), np.array([0.06])
    lo, hi = one_sigma_lines("p", cl, np.array([0.0]), ucl, np.array([0.0]), ucl95)
    assert hi[0] == pytest.approx(0.04) and lo[0] == pytest.approx(0.0)
    z_cl, sd = 3.0, 0.5  # T chart: symmetric on y ** (1 / 3.6)
    back = [np.array([v**3.6]) for v in (z_cl, z_cl - 3 * sd, z_cl + 3 * sd, z_cl - 2 * sd)]
    lo, hi = one_sigma_lines("t", back[0], back[1], back[2], back[3], np.array([4.0**3.6]))
    assert hi[0] == pytest.approx(3.5**3.6) and lo[0] == pytest.approx(2.5**3.6)


# -------------------------------------------------------------------- through qic()
def stable_then(extra: list[float]) -> np.ndarray:
    rng = np.random.default_rng(4)
    return np.r_[10 + rng.normal(size=20), extra]


def two_near_the_limit() -> np.ndarray:
    """20 baseline points, then 2 of 3 points at 2.5σ above the baseline mean (and 2 more)."""
    y = stable_then([10.0] * 5)
    d = qic(y, chart="i", freeze=20).data
    cl, sigma = d["cl"].iloc[0], (d["ucl"].iloc[0] - d["cl"].iloc[0]) / 3
    y[20:25] = [cl + 2.5 * sigma, cl + 0.2 * sigma, cl + 2.5 * sigma, cl - 0.3 * sigma, cl]
    return y


def test_ihi_on_a_control_chart_means_provost_and_murray() -> None:
    res = qic(two_near_the_limit(), chart="i", method="ihi", freeze=20)
    assert res.rule_set == "provost_murray"
    assert res.rule_set_name == NAMES["provost_murray"]
    s = res.summary.iloc[0]
    assert s["rule_set"] == "provost_murray" and bool(s["two_of_three"])
    ucl95 = res.data["ucl_95"].iloc[-1]
    beyond = res.data.index[res.data["two_of_three_signal"]].tolist()
    assert beyond and all(res.data["y"].iloc[i] > ucl95 for i in beyond)
    assert s["runs_signal"] and res.data["runs_signal"].all()
    for col in ("shift_signal", "trend_signal", "two_of_three_signal", "inner_third_signal"):
        assert res.data[col].dtype == bool
    assert int(s["two_of_three_points"]) == len(beyond)
    text = res.describe()
    assert "Provost & Murray's control-chart rules" in text and "2 of 3" in text


def test_ihi_on_a_run_chart_keeps_the_run_chart_rules() -> None:
    y = [1, 9, 1, 9, 2, 8, 8, 8, 8, 8, 8, 1, 9, 1, 9]
    res = qic(y, method="ihi", cl=5)
    assert res.rule_set == "ihi_run" and bool(res.summary["shift"].iloc[0])  # 6 on one side
    assert "IHI run-chart rules" in res.describe()
    i_chart = qic(y, chart="i", method="ihi", cl=5)

    assert i_chart.rule_set == "provost_murray" and not i_chart.summary["shift"].iloc[0]


@pytest.mark.parametrize(
    ("chart", "method", "name"),
    [
        ("run", "anhoej", "Anhøj rules"),
        ("i", "anhoej", "Anhøj rules"),
        ("run", "ihi", "IHI run-chart rules"),
        ("i", "ihi", "Provost & Murray's control-chart rules"),
        ("c", "ihi", "Provost & Murray's control-chart rules"),
        ("i", "mdc", "Making Data Count rules"),
    ],
)
def test_every_description_names_its_rule_set(chart: str, method: str, name: str) -> None:
    y = stable_then([10.0, 11.0])
    assert name in qic(np.round(y), chart=chart, method=method).describe()


def test_the_chart_marks_points_of_every_rule() -> None:
    from qilab.theme import COLOURS

    res = qic(two_near_the_limit(), chart="i", method="ihi", freeze=20)
    spec = res.chart().to_dict()

    rows = spec["datasets"][next(iter(spec["datasets"]))] if "datasets" in spec else None
    rows = rows or spec["data"]["values"]
    flagged = res.data.index[res.data["two_of_three_signal"]].tolist()
    colours = [r["point_colour"] for r in rows if not r.get("bridge")]
    assert all(colours[i] == COLOURS["signal"] for i in flagged)
    assert not res.data["sigma_signal"].iloc[flagged].any()  # marked by rule 4, not rule 1


def test_attribute_chart_with_varying_limits_uses_each_points_zones() -> None:
    n = np.array([100, 200] * 12 + [100, 200, 100])
    events = np.round(n * np.r_[np.tile([0.09, 0.11, 0.1, 0.1], 6), [0.1] * 3])
    base = qic(events, n=n, chart="p", method="ihi", freeze=24)
    d = base.data
    assert d["ucl_95"].iloc[24] != d["ucl_95"].iloc[25]  # limits vary with n
    for i in (24, 26):  # between the point's own 2σ line and its limit
        events[i] = np.floor((d["ucl_95"].iloc[i] + d["ucl"].iloc[i]) / 2 * n[i])
        assert d["ucl_95"].iloc[i] < events[i] / n[i] < d["ucl"].iloc[i]
    res = qic(events, n=n, chart="p", method="ihi", freeze=24)
    assert res.data["two_of_three_signal"].iloc[[24, 26]].all()
    assert not res.data["sigma_signal"].any()


def test_mr_and_g_charts_get_the_rules_that_apply() -> None:
    y = stable_then([10.0] * 3)
    mr = qic(y, chart="mr", method="ihi")
    assert not mr.data["runs_signal"].any() and "only the rule of a point outside" in mr.describe()
    g = qic(np.abs(np.round(y * 3)), chart="g", method="ihi")
    assert g.summary["two_of_three"].isna().all() and "not assessed" in g.describe()


def test_stable_processes_rarely_signal() -> None:
    rng = np.random.default_rng(11)
    hits = sum(
        bool(qic(rng.normal(size=25), chart="i", method="ihi").summary["runs_signal"].iloc[0])
        for _ in range(200)
    )
    assert hits < 60  # rules 2–5 together: a modest false-alarm rate on 25 points

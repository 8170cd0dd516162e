"""Making Data Count rules against NHSRplotthedots' published values (../shared/.../plotthedots)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qilab.measure import mdc, qic


def _csv(folder: Path, name: str, **kw) -> pd.DataFrame:
    return pd.read_csv(folder / name, **kw)


def _limits(res) -> tuple[float, float, float]:
    row = res.data.iloc[-1]
    return float(row["cl"]), float(row["lcl"]), float(row["ucl"])


def test_snapshot_seed123(plotthedots_dir: Path, plotthedots_reference: dict) -> None:
    ref = plotthedots_reference["snapshot_seed123 (tests/testthat/_snaps/ptd_spc_standard.md r1)"]
    d = _csv(plotthedots_dir, "snapshot_input_seed123_rnorm20.csv")
    res = qic(d["y"], chart="i", method="mdc")
    assert _limits(res) == pytest.approx((ref["mean_col"], ref["lpl"], ref["upl"]), rel=1e-6)


@pytest.mark.parametrize("screen", [True, False])
def test_outlier_screening(
    screen: bool, plotthedots_dir: Path, plotthedots_reference: dict
) -> None:
    key = (
        "snapshot_seed123_y15eq10_screened (r2)"
        if screen
        else "snapshot_seed123_y15eq10_unscreened (r3)"
    )
    ref = plotthedots_reference[key]
    d = _csv(plotthedots_dir, "snapshot_input_seed123_y15eq10.csv")
    res = qic(d["y"], method="mdc", screen_outliers=screen)
    assert _limits(res) == pytest.approx((ref["mean_col"], ref["lpl"], ref["upl"]), rel=1e-6)


def test_facets_as_parts(plotthedots_dir: Path, plotthedots_reference: dict) -> None:
    ref = plotthedots_reference["summary facets rep(c(0,1),each=10) (_snaps/ptd_spc.md)"]
    d = _csv(plotthedots_dir, "snapshot_input_seed123_rnorm20.csv")
    res = qic(d["y"], method="mdc", part=10)
    for (_, row), key in zip(res.summary.iterrows(), ["f0", "f1"], strict=True):
        want = ref[key]
        assert row["cl"] == pytest.approx(want["mean_col"], abs=5e-4)
        assert row["a_lcl"] == pytest.approx(want["lpl"], abs=5e-3)
        assert row["a_ucl"] == pytest.approx(want["upl"], abs=5e-3)
        assert row["n_obs"] == want["n"]
        assert row["common_cause_points"] == want["common_cause"]


def test_summary_with_target(plotthedots_dir: Path) -> None:
    d = _csv(plotthedots_dir, "snapshot_input_seed123_rnorm20.csv")
    res = qic(d["y"], method="mdc", target=0.5)
    assert res.variation == "common_cause"
    assert (res.data["point_type"] == "common_cause").sum() == 20
    assert res.assurance is None  # no improvement direction: no assurance icon


@pytest.mark.parametrize(
    ("screen", "key"),
    [
        (True, "deviations.Rmd screen_outliers=TRUE"),
        (False, "deviations.Rmd screen_outliers=FALSE (Excel MDC)"),
    ],
)
def test_deviations_vignette(
    screen, key, plotthedots_dir: Path, plotthedots_reference: dict
) -> None:
    ref = plotthedots_reference[key]
    d = _csv(plotthedots_dir, "deviations_vignette_input.csv", parse_dates=["date"])
    res = qic("data", x="date", data=d, method="mdc", improvement="up", screen_outliers=screen)
    cl, lcl, ucl = _limits(res)
    assert cl == pytest.approx(ref["Mean"], abs=5e-3)
    assert lcl == pytest.approx(ref["LPL"], abs=5e-3)
    assert ucl == pytest.approx(ref["UPL"], abs=5e-3)
    if "point5" in ref:
        assert res.data["point_type"].iloc[4] == ref["point5"]


def test_two_in_three_needs_same_side(plotthedots_dir: Path, plotthedots_reference: dict) -> None:
    ref = plotthedots_reference["test-ptd_spc_standard.R 2-in-3 opposite sides"]
    d = _csv(plotthedots_dir, "two_in_three_opposite_sides_input.csv", parse_dates=["date"])
    res = qic("data", x="date", data=d, method="mdc", improvement="up")
    assert res.data["point_type"].iloc[-2:].tolist() == ref["last_two_point_type"]


def _ae(folder: Path, org: str) -> pd.DataFrame:
    ae = _csv(folder, "ae_attendances.csv", parse_dates=["period"])
    keep = (ae["org_code"] == org) & (ae["type"].astype(str) == "1")
    return ae[keep & (ae["period"] < "2018-04-01")]


def test_readme_rqm_icons(plotthedots_dir: Path, plotthedots_reference: dict) -> None:
    ref = plotthedots_reference["README.md RQM type1 <2018-04-01 decrease target=1200"]
    d = _ae(plotthedots_dir, "RQM")
    res = qic("breaches", x="period", data=d, method="mdc", improvement="down", target=1200)
    assert res.variation == ref["variation_type"]
    assert res.assurance == ref["assurance_type"]


def test_vignette_rrk_run_below_mean(plotthedots_dir: Path) -> None:
    # "8 sequential points coloured blue (>=7 points one side of mean)"
    d = _ae(plotthedots_dir, "RRK")
    res = qic("breaches", x="period", data=d, improvement="down", chart="i")
    assert res.method == "mdc"  # improvement= on an I chart selects Making Data Count
    improving = (res.data["point_type"] == mdc.IMPROVEMENT).to_numpy()
    runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], improving.astype(int), [0])))))
    assert list(runs[::2]) == [8]
    assert set(res.data.loc[improving, "mdc_rule"]) == {"7 Points Below CL"}


def test_precedence_limit_before_trend() -> None:
    y = [1.0, 1.2, 0.9, 1.1, 1.0, 2, 3, 4, 5, 6, 7, 30, 1, 1.1, 0.9, 1.0]
    res = qic(y, method="mdc", improvement="up")
    rules = res.data["mdc_rule"].tolist()
    # points 4..11 rise eight times in a row; those beyond a limit keep the limit label
    assert rules[6:9] == ["7 Point Trend (Increasing)"] * 3
    assert rules[9:12] == ["Above UCL"] * 3
    assert rules[5] == "Below LCL"
    assert (res.data["point_type"].iloc[6:12] == mdc.IMPROVEMENT).all()
    assert res.data["point_type"].iloc[5] == mdc.CONCERN


def test_trend_broken_by_tie() -> None:
    rising = [1, 2, 3, 4, 5, 6, 7]
    assert mdc.seven_point_trend(np.array(rising, float))[-1] == 1
    tied = [1, 2, 3, 3, 4, 5, 6, 7]
    assert not mdc.seven_point_trend(np.array(tied, float)).any()
    assert mdc.seven_point_trend(np.array(rising[::-1], float))[-1] == -1


def test_point_on_mean_breaks_run() -> None:
    rtm = np.array([1, 1, 1, 0, 1, 1, 1, 1], float)
    assert not mdc.seven_one_side(rtm).any()
    assert mdc.seven_one_side(np.ones(7))[-1]


def test_two_in_three_reference_cases() -> None:
    same = np.ones(7)
    got = mdc.two_in_three(np.array([0, 0, 1, 0, 1, 0, 0], bool), same)
    assert got.tolist() == [False, False, True, False, True, False, False]


@pytest.mark.parametrize(
    ("target", "direction", "expected"),
    [(10, "up", "consistent_fail"), (10, "down", "consistent_pass"), (-10, "up", "consistent_pass"),
     (-10, "down", "consistent_fail"), (0.1, "up", "inconsistent")],
)  # fmt: skip
def test_assurance(target, direction, expected) -> None:
    y = np.sin(np.arange(20))
    res = qic(y, method="mdc", improvement=direction, target=target)
    assert res.assurance == expected
    assert res.summary["assurance"].iloc[-1] == expected
    assert "Assurance icon" in res.describe()


def test_mdc_only_for_xmr() -> None:
    with pytest.raises(ValueError, match="XmR"):
        qic([1, 2, 3, 4], n=[5, 5, 5, 5], chart="p", method="mdc")

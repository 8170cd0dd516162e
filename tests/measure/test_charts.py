"""Each chart type against formulas computed independently here (Montgomery; qicharts2 0.8.1)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qilab.measure import qic

RNG = np.random.default_rng(20240601)


def c4(n: int) -> float:
    return math.sqrt(2 / (n - 1)) * math.gamma(n / 2) / math.gamma((n - 1) / 2)


def screened_amr(y: np.ndarray) -> float:
    mr = np.abs(np.diff(y))
    return mr[mr < 3.267 * mr.mean()].mean()


def test_i_chart_formula() -> None:
    y = RNG.normal(50, 5, 30)
    d = qic(y, chart="i").data
    sigma = screened_amr(y) / 1.128
    assert d["cl"].iloc[0] == pytest.approx(y.mean())
    assert d["ucl"].iloc[0] == pytest.approx(y.mean() + 3 * sigma)
    assert d["lcl"].iloc[0] == pytest.approx(y.mean() - 3 * sigma)
    assert d["ucl_95"].iloc[0] == pytest.approx(y.mean() + 2 * sigma)


def test_i_chart_unscreened() -> None:
    y = np.array([1, 2, 1, 2, 1, 20, 1, 2, 1, 2.0])
    d = qic(y, chart="i", screen_outliers=False).data
    amr = np.abs(np.diff(y)).mean()
    assert d["ucl"].iloc[0] == pytest.approx(y.mean() + 3 * amr / 1.128)


def test_mr_chart() -> None:
    y = RNG.normal(0, 1, 25)
    d = qic(y, chart="mr").data
    mr = np.abs(np.diff(y))
    assert np.isnan(d["y"].iloc[0])
    assert d["y"].iloc[1:].to_numpy() == pytest.approx(mr)
    assert d["cl"].iloc[0] == pytest.approx(mr.mean())
    assert d["ucl"].iloc[0] == pytest.approx(3.267 * mr.mean())
    assert (d["lcl"] == 0).all()
    assert not d["runs_signal"].any()  # qicharts2 ignores runs analysis for MR charts


def _subgroups(sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    x = np.repeat(np.arange(1, len(sizes) + 1), sizes)
    y = RNG.normal(74, 0.01, x.size)
    return x, y


def test_xbar_and_s_constant_n() -> None:
    x, y = _subgroups([5] * 25)
    frame = pd.DataFrame({"x": x, "y": y})
    means = frame.groupby("x")["y"].mean().to_numpy()
    sds = frame.groupby("x")["y"].std().to_numpy()
    a3 = 3 / (c4(5) * math.sqrt(5))
    assert a3 == pytest.approx(1.427, abs=5e-4)  # textbook table value
    xb = qic(y, x=x, chart="xbar").data
    assert xb["y"].to_numpy() == pytest.approx(means)
    assert xb["cl"].iloc[0] == pytest.approx(means.mean())
    assert xb["ucl"].iloc[0] == pytest.approx(means.mean() + a3 * sds.mean())
    s = qic(y, x=x, chart="s").data
    b4 = 1 + 3 * math.sqrt(1 - c4(5) ** 2) / c4(5)
    assert b4 == pytest.approx(2.089, abs=5e-4)
    assert s["y"].to_numpy() == pytest.approx(sds)
    assert s["cl"].iloc[0] == pytest.approx(sds.mean())
    assert s["ucl"].iloc[0] == pytest.approx(b4 * sds.mean())
    assert (s["lcl"] == 0).all()  # B3 = 0 for n < 6


def test_xbar_variable_n_uses_pooled_sd() -> None:
    sizes = [3, 5, 4, 6, 5, 4, 3, 5, 6, 4]
    x, y = _subgroups(sizes)
    frame = pd.DataFrame({"x": x, "y": y})
    g = frame.groupby("x")["y"]
    n, sd = g.size().to_numpy(), g.std().to_numpy()
    pooled = math.sqrt(((n - 1) * sd**2).sum() / (n - 1).sum())
    d = qic(y, x=x, chart="xbar").data
    assert d["cl"].iloc[0] == pytest.approx(y.mean())
    a3 = np.array([3 / (c4(k) * math.sqrt(k)) for k in n])
    assert d["ucl"].to_numpy() == pytest.approx(y.mean() + a3 * pooled)
    s = qic(y, x=x, chart="s").data
    assert s["cl"].iloc[0] == pytest.approx(pooled)


def test_t_chart_transforms() -> None:
    days = RNG.exponential(20, 30) + 0.5
    d = qic(days, chart="t").data
    ty = days ** (1 / 3.6)
    sigma = screened_amr(ty) / 1.128
    assert d["cl"].iloc[0] == pytest.approx(ty.mean() ** 3.6)
    assert d["ucl"].iloc[0] == pytest.approx((ty.mean() + 3 * sigma) ** 3.6)
    low = ty.mean() - 3 * sigma
    assert d["lcl"].iloc[0] == pytest.approx(max(low, 0) ** 3.6 if low > 0 else 0)
    assert d["y"].to_numpy() == pytest.approx(days)


def test_g_chart_median_centre() -> None:
    y = RNG.geometric(0.05, 30).astype(float)
    d = qic(y, chart="g").data
    m = y.mean()
    assert d["cl"].iloc[0] == pytest.approx(np.median(y))
    assert d["ucl"].iloc[0] == pytest.approx(m + 3 * math.sqrt(m * (m + 1)))
    assert d["lcl"].iloc[0] == 0


def test_c_chart_clips_lcl() -> None:
    y = RNG.poisson(4, 24)
    d = qic(y, chart="c").data
    assert d["cl"].iloc[0] == pytest.approx(y.mean())
    assert d["ucl"].iloc[0] == pytest.approx(y.mean() + 3 * math.sqrt(y.mean()))
    assert d["lcl"].iloc[0] == 0


def test_u_and_p_charts() -> None:
    n = RNG.integers(80, 120, 20).astype(float)
    y = RNG.binomial(n.astype(int), 0.1).astype(float)
    p = qic(y, n=n, chart="p").data
    pbar = y.sum() / n.sum()
    assert p["y"].to_numpy() == pytest.approx(y / n)
    assert p["ucl"].to_numpy() == pytest.approx(pbar + 3 * np.sqrt(pbar * (1 - pbar) / n))
    u = qic(y, n=n, chart="u", multiply=100).data
    assert u["cl"].iloc[0] == pytest.approx(100 * pbar)
    expected_lcl = 100 * np.maximum(pbar - 3 * np.sqrt(pbar / n), 0)
    assert u["lcl"].to_numpy() == pytest.approx(expected_lcl)


def test_p_chart_ucl_clipped_at_one() -> None:
    d = qic([9, 10, 9, 10], n=[10, 10, 10, 10], chart="p").data
    assert (d["ucl"] == 1).all()


def _laney(y: np.ndarray, n: np.ndarray, kind: str) -> tuple[float, np.ndarray]:
    cl = y.sum() / n.sum()
    sd = np.sqrt(cl * (1 - cl) / n) if kind == "p" else np.sqrt(cl / n)
    z = (y / n - cl) / sd
    sigma_z = screened_amr(z) / 1.128
    return cl, sd * sigma_z


@pytest.mark.parametrize("kind", ["p", "u"])
def test_laney_prime_charts(kind: str) -> None:
    n = RNG.integers(5000, 20000, 24).astype(float)
    rate = 0.2 + RNG.normal(0, 0.02, 24)
    y = np.round(n * rate)
    cl, sd = _laney(y, n, kind)
    d = qic(y, n=n, chart=kind * 2 if kind == "p" else "up").data
    assert d["cl"].iloc[0] == pytest.approx(cl)
    assert d["ucl"].to_numpy() == pytest.approx(cl + 3 * sd)


def test_exclude_is_zero_based_and_muted_not_dropped() -> None:
    y = np.array([10, 11, 9, 10, 50, 10, 11, 9, 10, 11.0])
    d = qic(y, chart="i", exclude=[4]).data
    kept = np.delete(y, 4)
    assert len(d) == 10 and d["y"].iloc[4] == 50
    assert not d["include"].iloc[4]
    assert d["cl"].iloc[0] == pytest.approx(kept.mean())
    # the moving range jumps over the excluded point, as qicharts2 does
    assert d["ucl"].iloc[0] == pytest.approx(kept.mean() + 3 * screened_amr(kept) / 1.128)
    assert d["sigma_signal"].iloc[4]


def test_freeze_baseline() -> None:
    y = np.r_[RNG.normal(10, 1, 20), RNG.normal(14, 1, 10)]
    d = qic(y, chart="i", freeze=20).data
    assert d["cl"].iloc[-1] == pytest.approx(y[:20].mean())
    assert d["baseline"].sum() == 20
    assert d["runs_signal"].all()


def test_freeze_ignored_with_part() -> None:
    y = np.arange(30, dtype=float)
    d = qic(y, freeze=5, part=[15]).data
    assert d["cl"].iloc[0] == pytest.approx(np.median(y[:15]))
    assert d["part"].tolist() == [1] * 15 + [2] * 15


def test_missing_values_keep_position() -> None:
    y = [5.0, 6, np.nan, 7, 5, 6, 7, 5]
    d = qic(y, chart="i").data
    assert len(d) == 8 and np.isnan(d["y"].iloc[2])
    vals = np.array([5.0, 6, 7, 5, 6, 7, 5])
    assert d["cl"].iloc[0] == pytest.approx(vals.mean())
    assert d["n_useful"].iloc[0] == 7
    assert not d["sigma_signal"].iloc[2]


def test_missing_count_in_c_chart_stays_missing() -> None:
    d = qic([3, 4, np.nan, 5, 2], chart="c").data
    assert np.isnan(d["y"].iloc[2])
    assert d["cl"].iloc[0] == pytest.approx(3.5)


def test_aggregation_by_x_sorts_and_sums() -> None:
    x = [3, 1, 2, 1, 3, 2]
    y = [1, 2, 3, 4, 5, 6]
    n = [10, 10, 10, 10, 10, 10]
    d = qic(y, n=n, x=x, chart="p").data
    assert d["x"].tolist() == [1, 2, 3]
    assert d["n"].tolist() == [20, 20, 20]
    assert d["y"].to_numpy() == pytest.approx([6 / 20, 9 / 20, 6 / 20])
    r = qic(y, x=x).data  # no denominator: mean per subgroup
    assert r["y"].tolist() == [3, 4.5, 3]


def test_data_frame_columns_and_period_month() -> None:
    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    df = pd.DataFrame({"day": days, "falls": 1, "bed_days": 10.0})
    res = qic("falls", n="bed_days", x="day", data=df, chart="u", period="month")
    d = res.data
    assert d["x"].tolist() == [pd.Timestamp(f"2024-0{m}-01") for m in (1, 2, 3)]
    assert d["n"].tolist() == [310, 290, 310]
    assert d["y"].to_numpy() == pytest.approx([0.1, 0.1, 0.1])


def test_period_week_starts_monday() -> None:
    days = pd.date_range("2024-01-03", periods=14, freq="D")  # a Wednesday
    res = qic(np.ones(14), x=days, period="week", chart="c")
    assert res.data["x"].iloc[0] == pd.Timestamp("2024-01-01")  # Monday
    assert res.data["y"].tolist() == [5, 7, 2]


def test_xbar_by_period_keeps_raw_values() -> None:
    days = pd.date_range("2024-01-01", periods=60, freq="D")
    y = np.arange(60, dtype=float)
    d = qic(y, x=days, chart="xbar", period="month").data
    assert d["y"].tolist() == [15.0, 45.0]


def test_categorical_x_has_no_runs_signal() -> None:
    x = list("ABCDEFGHIJKL")
    y = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9]
    d = qic(y, x=x, chart="i").data
    assert not d["runs_signal"].any()


def test_user_centre_line() -> None:
    d = qic([1, 2, 3, 4, 5], chart="i", cl=10).data
    assert (d["cl"] == 10).all()


def test_y_neg_false() -> None:
    y = [0.1, 0.2, 3, 0.1, 0.2, 0.1, 3.0, 0.2]
    assert qic(y, chart="i", screen_outliers=False).data["lcl"].iloc[0] < 0
    assert qic(y, chart="i", y_neg=False, screen_outliers=False).data["lcl"].iloc[0] == 0


def test_notes_joined_per_subgroup() -> None:
    d = qic([1, 2, 3], x=[1, 1, 2], notes=["a", "b", None]).data
    assert d["notes"].tolist() == ["a | b", None]


def test_summary_columns() -> None:
    res = qic(RNG.normal(size=40), chart="i", part=[20])
    assert list(res.summary.columns[:12]) == [
        "part", "n_obs", "n_useful", "longest_run", "longest_run_max", "n_crossings",
        "n_crossings_min", "runs_signal", "a_lcl", "cl", "a_ucl", "sigma_signal",
    ]  # fmt: skip
    assert res.summary["part"].tolist() == [1, 2]


def test_anhoej_limits_table() -> None:
    # Anhøj & Olesen 2014, table of critical values
    from qilab.measure.runs import longest_run_max, n_crossings_min

    assert [longest_run_max(n) for n in (10, 20, 24, 30, 50, 100)] == [6, 7, 8, 8, 9, 10]
    assert [n_crossings_min(n) for n in (10, 20, 24, 30, 50, 100)] == [2, 6, 8, 10, 19, 41]

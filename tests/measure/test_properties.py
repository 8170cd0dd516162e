"""Property tests: invariants that must hold for any data, not just the reference sets."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from qilab.measure import qic
from qilab.measure.runs import longest_run_max

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
series = arrays(np.float64, st.integers(min_value=3, max_value=60), elements=values)


@SETTINGS
@given(series)
def test_i_chart_limits_symmetric(y: np.ndarray) -> None:
    d = qic(y, chart="i").data
    upper = d["ucl"] - d["cl"]
    lower = d["cl"] - d["lcl"]
    np.testing.assert_allclose(upper, lower, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(d["ucl_95"] - d["cl"], 2 / 3 * upper, rtol=1e-9, atol=1e-6)
    assert ((upper >= 0) | upper.isna()).all()  # constant data: no spread, no limits (as R)


@SETTINGS
@given(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), st.integers(2, 80),
       st.sampled_from(["run", "i", "c"]))  # fmt: skip
def test_constant_series_has_no_signals(value: float, size: int, chart: str) -> None:
    if chart == "c":
        value = abs(round(value))
    res = qic(np.full(size, value), chart=chart)
    assert not res.data["sigma_signal"].any()
    assert not res.data["runs_signal"].any()
    assert res.summary["n_useful"].iloc[0] == 0  # every point is on the centre line


@SETTINGS
@given(
    st.integers(min_value=12, max_value=80),
    st.integers(min_value=0, max_value=2**31 - 1),
    st.floats(min_value=0.5, max_value=5),
)
def test_sustained_shift_longer_than_limit_flags_a_run(size: int, seed: int, gap: float) -> None:
    rng = np.random.default_rng(seed)
    base = rng.normal(0, 0.1, size)
    run = longest_run_max(2 * size) + 1
    # alternate around zero for the baseline, then a run clearly above everything
    base = np.where(np.arange(size) % 2 == 0, -1 - abs(base), 1 + abs(base))
    y = np.r_[base, np.full(run, 10 + gap) + rng.normal(0, 0.01, run)]
    y = np.r_[y, base[: size - run]] if size > run else y
    res = qic(y)
    s = res.summary.iloc[0]
    assert s["longest_run"] >= run > s["longest_run_max"]
    assert s["runs_signal"]


@SETTINGS
@given(st.data())
def test_p_chart_limits_within_unit_interval(data: st.DataObject) -> None:
    size = data.draw(st.integers(min_value=2, max_value=40))
    n = np.array(data.draw(st.lists(st.integers(1, 500), min_size=size, max_size=size)), float)
    frac = np.array(data.draw(st.lists(st.floats(0, 1), min_size=size, max_size=size)))
    y = np.floor(n * frac)
    d = qic(y, n=n, chart="p").data
    for col in ("lcl", "ucl", "lcl_95", "ucl_95"):
        vals = d[col].dropna()
        assert ((vals >= 0) & (vals <= 1)).all()
    assert ((d["y"] >= 0) & (d["y"] <= 1)).all()


@SETTINGS
@given(series, st.floats(min_value=0.01, max_value=1000))
def test_multiply_scales_everything(y: np.ndarray, factor: float) -> None:
    a = qic(y, chart="i").data
    b = qic(y, chart="i", multiply=factor).data
    for col in ("y", "cl", "lcl", "ucl"):
        np.testing.assert_allclose(b[col], a[col] * factor, rtol=1e-9, atol=1e-6)
    assert (a["runs_signal"] == b["runs_signal"]).all()


@SETTINGS
@given(series)
def test_runs_counts_consistent(y: np.ndarray) -> None:
    s = qic(y).summary.iloc[0]
    if s["n_useful"] > 0:
        assert 1 <= s["longest_run"] <= s["n_useful"]
        assert 0 <= s["n_crossings"] <= s["n_useful"] - 1


@SETTINGS
@given(series, st.integers(min_value=0, max_value=2))
def test_exclude_keeps_length_and_position(y: np.ndarray, pos: int) -> None:
    d = qic(y, chart="run", exclude=[pos]).data
    assert len(d) == len(y)
    np.testing.assert_array_equal(d["y"], y)
    assert d["include"].sum() == len(y) - 1

"""IHI run chart rules (Perla, Provost & Murray 2011) via ``method="ihi"``."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pytest

from qilab.measure import qic
from qilab.measure.runs import ihi_runs_table


def _summary(y, **kw):
    return qic(y, method="ihi", **kw).summary.iloc[0]


def test_table_is_stored_data_with_provenance() -> None:
    text = resources.files("qilab.measure").joinpath("data/ihi_runs_table.csv").read_text()
    assert "Perla" in text and "BMJ Qual Saf 2011" in text
    table = ihi_runs_table()
    assert min(table) == 10 and max(table) == 60 and len(table) == 51
    lows = [table[n][0] for n in sorted(table)]
    highs = [table[n][1] for n in sorted(table)]
    assert lows == sorted(lows) and highs == sorted(highs)
    assert all(lo < hi for lo, hi in table.values())


def test_shift_of_six_on_one_side() -> None:
    base = [5, 3, 6, 2, 7, 4, 6, 3, 5, 4]  # median 4.5, alternating-ish
    shifted = [*base, 10, 11, 12, 10, 11, 12, 1, 2]
    s = _summary(shifted)
    assert s["shift"] and s["runs_signal"]
    d = qic(shifted, method="ihi").data
    assert d["shift_signal"].iloc[10:16].all() and not d["shift_signal"].iloc[:10].any()


def test_five_on_one_side_is_not_a_shift() -> None:
    y = [1, 9, 1, 9, 9, 9, 9, 9, 1, 9, 1, 1, 9, 1]  # five 9s in a row above cl = 5
    assert _summary(y, cl=5)["longest_run"] == 5
    assert not _summary(y, cl=5)["shift"]


def test_points_on_median_neither_add_nor_break_a_shift() -> None:
    y = [1, 9, 1, 9, 8, 8, 5, 5, 8, 8, 1, 9, 1, 9, 1]  # cl 5: 9, 8, 8, (5, 5), 8, 8
    s = _summary(y, cl=5)
    assert s["longest_run"] == 5 and not s["shift"]
    y2 = [1, 9, 1, 9, 8, 8, 5, 8, 8, 8, 1, 9, 1, 1, 9]  # 9, 8, 8, (5), 8, 8, 8
    assert _summary(y2, cl=5)["shift"]


def test_trend_of_five_and_ties() -> None:
    assert _summary([5, 1, 2, 3, 4, 5, 1, 4, 2, 3])["trend"]
    assert not _summary([5, 1, 2, 3, 4, 1, 5, 2, 4, 3])["trend"]
    # like values neither make nor break a trend
    tied = [5, 1, 2, 2, 3, 4, 1, 5, 2, 4]
    s = _summary(tied)
    assert s["longest_trend"] == 4 and not s["trend"]
    tied5 = [9, 1, 2, 2, 3, 4, 5, 1, 8, 2]
    assert _summary(tied5)["trend"]
    d = qic(tied5, method="ihi").data
    assert d["trend_signal"].iloc[1:7].all() and not d["trend_signal"].iloc[7:].any()


def test_too_few_and_too_many_runs() -> None:
    table = ihi_runs_table()
    low, high = table[20]
    few = [1] * 10 + [9] * 10  # 2 runs
    s = _summary(few)
    assert s["n_runs"] == 2 and s["n_runs_min"] == low and s["too_few_runs"]
    many = [1, 9] * 10  # 20 runs
    s = _summary(many)
    assert s["n_runs"] == 20 and s["n_runs_max"] == high and s["too_many_runs"]
    assert s["runs_signal"]


def test_outside_table_not_assessed() -> None:
    s = _summary([1, 9, 2, 8, 3, 7, 4])
    assert s["too_few_runs"] is None or s["too_few_runs"] is pd_na()
    assert s["astronomical"] == "not assessed"


def pd_na():
    import pandas as pd

    return pd.NA


def test_random_series_rarely_signals() -> None:
    rng = np.random.default_rng(7)
    signals = sum(bool(_summary(rng.normal(size=24))["runs_signal"]) for _ in range(40))
    assert signals < 25  # IHI rules are known to false-alarm more than Anhøj's, but not always


def test_describe_mentions_ihi() -> None:
    text = qic([1] * 10 + [9] * 10, method="ihi").describe()
    assert "too few runs" in text and "astronomical" in text


@pytest.mark.parametrize("chart", ["run", "i"])
def test_ihi_on_run_and_i(chart: str) -> None:
    res = qic(np.r_[np.zeros(12), np.ones(12)] + np.tile([0, 0.1], 12), chart=chart, method="ihi")
    assert res.summary["shift"].iloc[0]

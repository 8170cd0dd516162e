"""Runs analysis: is the pattern of points around the centre line random?

Two rule sets, both applied per chart part to the points not excluded:

* **Anhøj rules** (Anhøj & Olesen 2014, *PLoS ONE* 9(11): e113825; qicharts2 0.8.1 default):
  a signal if the longest run on one side of the centre line is longer than
  ``round(log2(n) + 3)`` (Schilling 2012) or the line is crossed fewer times than the 5th
  percentile of Binomial(n − 1, 0.5) (Chen 2010), where n counts the *useful* points — those not
  on the centre line. Both limits adapt to n, keeping false alarms near 5 % at any chart length.
* **IHI run chart rules** (Perla, Provost & Murray 2011, *BMJ Qual Saf* 20:46–51; Provost &
  Murray, *The Health Care Data Guide*): a shift of 6 or more points on one side of the median
  (points on the median neither add to nor break it); a trend of 5 or more points all going up
  or all going down (equal neighbours are skipped: they neither add to nor break a trend); too few
  or too many runs for the number of useful points, read from the published table stored in
  ``data/ihi_runs_table.csv`` (it is not derived: no single significance level reproduces it).
  The fourth IHI rule, an *astronomical data point*, is a judgement about a point any viewer would
  call obviously different; it has no statistical test, so it is reported as "not assessed".

Everything is vectorised (run lengths from ``np.diff`` of sign changes); a million points take
milliseconds.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
from scipy.special import bdtr

#: IHI: a shift is this many points or more on one side of the median.
IHI_SHIFT = 6
#: IHI: a trend is this many points or more all going up or all going down.
IHI_TREND = 5


@dataclass
class RunsResult:
    """Runs analysis of one chart part (counts are None when no point is useful)."""

    n_obs: int
    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    runs_signal: bool
    # IHI extras (None under the Anhøj method)
    n_runs: int | None = None
    n_runs_min: int | None = None
    n_runs_max: int | None = None
    longest_trend: int | None = None
    shift: bool | None = None
    trend: bool | None = None
    too_few_runs: bool | None = None
    too_many_runs: bool | None = None
    shift_points: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    trend_points: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def longest_run_max(n_useful: int) -> int:
    """Anhøj: the longest run expected by chance, round(log2(n) + 3) (Schilling 2012)."""
    # log2(n) + 3 is never exactly x.5 for integer n, so R's round-half-even is not an issue.
    return int(np.floor(np.log2(n_useful) + 3 + 0.5))


@functools.lru_cache(maxsize=4096)
def n_crossings_min(n_useful: int) -> int:
    """Anhøj: fewest crossings expected by chance, the 5th percentile of Binom(n − 1, ½).

    R's ``qbinom(0.05, n - 1, 0.5)``: the smallest k with P(X ≤ k) ≥ 0.05, found by bisection
    on the binomial CDF (scipy.special.bdtr; lighter to import than scipy.stats).
    """
    trials = max(n_useful - 1, 0)
    lo, hi = 0, trials
    while lo < hi:
        mid = (lo + hi) // 2
        if bdtr(mid, trials, 0.5) >= 0.05:
            hi = mid
        else:
            lo = mid + 1
    return lo


@functools.lru_cache(maxsize=1)
def ihi_runs_table() -> dict[int, tuple[int, int]]:
    """The Perla–Provost–Murray table: useful points → (fewest, most) runs expected by chance."""
    text = resources.files("qilab.measure").joinpath("data/ihi_runs_table.csv").read_text()
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {int(r["n_useful"]): (int(r["runs_min"]), int(r["runs_max"])) for r in rows}


def _run_lengths(signs: np.ndarray) -> np.ndarray:
    """Lengths of runs of equal values in a 1-D array (non-empty)."""
    change = np.flatnonzero(signs[1:] != signs[:-1]) + 1
    edges = np.concatenate(([0], change, [signs.size]))
    return np.diff(edges)


def useful_signs(y: np.ndarray, cl: np.ndarray, include: np.ndarray) -> tuple[np.ndarray, int]:
    """Signs of y − cl for included points, dropping missing values and points on the line."""
    with np.errstate(invalid="ignore"):
        signs = np.sign(y[include] - cl[include])
    n_obs = int(include.sum())
    signs = signs[(signs != 0) & ~np.isnan(signs)]
    return signs, n_obs


def anhoej(y: np.ndarray, cl: np.ndarray, include: np.ndarray) -> RunsResult:
    """Anhøj rules for one part, exactly as qicharts2's ``runs.analysis()``."""
    signs, n_obs = useful_signs(y, cl, include)
    n_useful = int(signs.size)
    if n_useful == 0:
        return RunsResult(n_obs, 0, None, None, None, None, False)
    lengths = _run_lengths(signs)
    longest = int(lengths.max())
    crossings = int(lengths.size - 1)
    lr_max = longest_run_max(n_useful)
    nc_min = n_crossings_min(n_useful)
    signal = longest > lr_max or crossings < nc_min
    return RunsResult(n_obs, n_useful, longest, lr_max, crossings, nc_min, bool(signal))


def _mark_ranges(size: int, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Boolean mask with [start, stop] (inclusive) ranges set, without a Python loop."""
    delta = np.zeros(size + 1, dtype=np.int64)
    np.add.at(delta, starts, 1)
    np.add.at(delta, stops + 1, -1)
    return np.cumsum(delta[:-1]) > 0


def _shift_points(y: np.ndarray, cl: np.ndarray, include: np.ndarray) -> np.ndarray:
    """Points (positions in the part) belonging to a run of ≥ 6 on one side of the median."""
    idx = np.flatnonzero(include)
    with np.errstate(invalid="ignore"):
        signs = np.sign(y[idx] - cl[idx])
    keep = (signs != 0) & ~np.isnan(signs)
    idx, signs = idx[keep], signs[keep]
    if idx.size == 0:
        return np.zeros(y.size, dtype=bool)
    lengths = _run_lengths(signs)
    ends = np.cumsum(lengths) - 1
    starts = ends - lengths + 1
    hit = lengths >= IHI_SHIFT
    return _mark_ranges(y.size, idx[starts[hit]], idx[ends[hit]])


def _trend(y: np.ndarray, include: np.ndarray) -> tuple[int | None, np.ndarray]:
    """Longest run of points all rising or all falling, ties skipped (IHI), and its points."""
    idx = np.flatnonzero(include & ~np.isnan(y))
    mask = np.zeros(y.size, dtype=bool)
    if idx.size == 0:
        return None, mask
    vals = y[idx]
    # Equal neighbours neither make nor break a trend: drop repeats of the previous value.
    keep = np.concatenate(([True], vals[1:] != vals[:-1]))
    idx, vals = idx[keep], vals[keep]
    if idx.size < 2:
        return 1, mask
    steps = np.sign(np.diff(vals))
    lengths = _run_lengths(steps)  # in steps; a trend of k steps spans k + 1 points
    ends = np.cumsum(lengths) - 1
    starts = ends - lengths + 1
    points = lengths + 1
    hit = points >= IHI_TREND
    if hit.any():
        mask = _mark_ranges(y.size, idx[starts[hit]], idx[ends[hit] + 1])
    return int(points.max()), mask


def ihi(y: np.ndarray, cl: np.ndarray, include: np.ndarray) -> RunsResult:
    """IHI run chart rules for one part (shift, trend, too few/too many runs)."""
    signs, n_obs = useful_signs(y, cl, include)
    n_useful = int(signs.size)
    longest_trend, trend_points = _trend(y, include)
    trend = longest_trend is not None and longest_trend >= IHI_TREND
    if n_useful == 0:
        return RunsResult(
            n_obs, 0, None, None, None, None, bool(trend),
            longest_trend=longest_trend, trend=bool(trend), trend_points=trend_points,
            shift_points=np.zeros(y.size, dtype=bool),
        )  # fmt: skip
    lengths = _run_lengths(signs)
    longest = int(lengths.max())
    n_runs = int(lengths.size)
    shift = longest >= IHI_SHIFT
    table = ihi_runs_table()
    runs_min, runs_max = table.get(n_useful, (None, None))
    too_few = None if runs_min is None else n_runs < runs_min
    too_many = None if runs_max is None else n_runs > runs_max
    signal = bool(shift or trend or too_few or too_many)
    return RunsResult(
        n_obs=n_obs,
        n_useful=n_useful,
        longest_run=longest,
        longest_run_max=IHI_SHIFT - 1,
        n_crossings=n_runs - 1,
        n_crossings_min=None if runs_min is None else runs_min - 1,
        runs_signal=signal,
        n_runs=n_runs,
        n_runs_min=runs_min,
        n_runs_max=runs_max,
        longest_trend=longest_trend,
        shift=bool(shift),
        trend=bool(trend),
        too_few_runs=too_few,
        too_many_runs=too_many,
        shift_points=_shift_points(y, cl, include),
        trend_points=trend_points,
    )

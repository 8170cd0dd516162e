"""Special-cause rules for Shewhart control charts (Provost & Murray, *The Health Care Data Guide*).

Provost & Murray (2011) read a control chart with five rules; each is a pattern that is unlikely
when only common causes act, so it points to a special cause worth looking for:

1. **Outside the limits** – a single point outside the control limits (``sigma_signal``).
2. **Shift** – 8 or more consecutive points on one side of the centre line
   (``shift_signal``). A point exactly on the centre line neither adds to nor breaks a shift,
   as in their run-chart rule.
3. **Trend** – 6 consecutive points all increasing or all decreasing (``trend_signal``). A tie
   (two equal neighbours) *breaks* the trend: an equal value is neither an increase nor a
   decrease. (Provost & Murray skip ties on *run* charts, where values often repeat; on
   control charts we follow the stricter Western Electric / Making Data Count convention so
   that a flat stretch is never called a trend.)
4. **Two of three beyond 2σ** – 2 out of 3 consecutive points in the outer third of the chart
   (beyond the 2σ line, limits included) on the *same* side of the centre line
   (``two_of_three_signal``; the two outer points are marked, the third may lie anywhere).
5. **Inner third** – 15 consecutive points strictly within 1σ of the centre line
   (``inner_third_signal``): less variation than the limits expect, often a sign that the
   limits were computed from mixed (stratified) data or are out of date.

Excluded and missing points are skipped: the rules read the sequence of points that remain.
The 2σ lines are the engine's ``lcl_95``/``ucl_95``; the 1σ lines are half-way to them (for the
T chart, on its transformed scale; where a limit is clipped at 0 or 1 the unclipped side gives
σ). Rules 4 and 5 need zones that mean the same on both sides of the centre line, so they are
not assessed on G charts (skewed geometric counts, centre line at the median); MR charts and
charts with categorical x get rule 1 only, as their order carries no time.

This is what ``qic(..., method="ihi")`` applies to every control chart; run charts keep the IHI
run-chart rules of :mod:`qilab.measure.runs`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kinds import CHART_KINDS
from .runs import _mark_ranges, _run_lengths

#: Rule 2: a shift is this many consecutive points or more on one side of the centre line.
SHIFT = 8
#: Rule 3: a trend is this many consecutive points all increasing or all decreasing.
TREND = 6
#: Rule 4: this many of ``WINDOW`` consecutive points beyond 2σ on the same side.
OUTER = 2
WINDOW = 3
#: Rule 5: this many consecutive points within 1σ of the centre line.
INNER = 15

#: Per-point columns of ``res.data`` for rules 2–5 (rule 1 is ``sigma_signal``), and what a
#: point marked by each is part of (used in chart tooltips and the explorer).
POINT_COLUMNS: dict[str, str] = {
    "shift_signal": "part of a shift",
    "trend_signal": "part of a trend",
    "two_of_three_signal": "2 of 3 points beyond 2σ",
    "inner_third_signal": "15 points within 1σ",
}

#: Plain-language statement of each rule, shared by ``describe()``, lessons and the explorer.
RULE_TEXT: dict[str, str] = {
    "outside": "1 point outside the control limits",
    "shift": f"{SHIFT} or more consecutive points on one side of the centre line",
    "trend": f"{TREND} consecutive points all increasing or all decreasing",
    "two_of_three": f"{OUTER} of {WINDOW} consecutive points beyond 2σ on the same side",
    "inner_third": f"{INNER} consecutive points within 1σ of the centre line",
}

#: Charts whose zones (1σ and 2σ lines) are not symmetric about the centre line (read from
#: :data:`qilab.measure.kinds.CHART_KINDS`, ``symmetric_zones``).
NO_ZONES = tuple(k for k, kind in CHART_KINDS.items() if not kind.symmetric_zones)
#: Charts that get rule 1 only: their order carries no time (``time_ordered``).
LIMITS_ONLY = tuple(k for k, kind in CHART_KINDS.items() if not kind.time_ordered)


@dataclass
class ControlRulesResult:
    """Rules 2–5 for one chart part: per-point masks and the summary numbers."""

    longest_run: int | None
    n_crossings: int | None
    longest_trend: int | None
    longest_inner_run: int | None
    shift: bool
    trend: bool
    two_of_three: bool | None
    inner_third: bool | None
    shift_points: np.ndarray
    trend_points: np.ndarray
    two_of_three_points: np.ndarray
    inner_third_points: np.ndarray

    @property
    def signal(self) -> bool:
        """True if any of rules 2–5 fired in this part."""
        return bool(self.shift or self.trend or self.two_of_three or self.inner_third)


def one_sigma_lines(
    chart_key: str,
    cl: np.ndarray,
    lcl: np.ndarray,
    ucl: np.ndarray,
    lcl_95: np.ndarray,
    ucl_95: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper 1σ lines, from the limits the engine already computed."""
    with np.errstate(invalid="ignore", divide="ignore"):
        power = CHART_KINDS[chart_key].power
        if power is not None:  # limits computed on the y^(1/power) scale (T chart)
            z = [np.power(v, 1 / power) for v in (cl, ucl_95)]
            width = (z[1] - z[0]) / 2
            lo = np.power(np.maximum(z[0] - width, 0), power)
            return lo, np.power(z[0] + width, power)
        widths = np.vstack(((ucl - cl) / 3, (cl - lcl) / 3, (ucl_95 - cl) / 2, (cl - lcl_95) / 2))
        widths = np.where(np.isfinite(widths), widths, -np.inf)
        width = widths.max(axis=0)
        width = np.where(np.isfinite(width), width, np.nan)
    return cl - width, cl + width


def _compress(include: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Positions of included, non-missing points, and the arrays at those positions."""
    idx = np.flatnonzero(include & ~np.isnan(arrays[0]))
    return (idx, *(a[idx] for a in arrays))


def _mark(size: int, idx: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Mask of the points idx[starts[j]] … idx[stops[j]] (ranges of the compressed sequence),
    so skipped points inside a run (excluded, missing, on the line) are not marked."""
    mask = np.zeros(size, dtype=bool)
    mask[idx[_mark_ranges(idx.size, starts, stops)]] = True
    return mask


def _shift(
    y: np.ndarray, cl: np.ndarray, include: np.ndarray
) -> tuple[int | None, int | None, np.ndarray]:
    """Longest run on one side (centre-line points skipped), crossings, and shift points."""
    idx, yy, cc = _compress(include, y, cl)
    signs = np.sign(yy - cc)
    keep = (signs != 0) & ~np.isnan(signs)
    idx, signs = idx[keep], signs[keep]
    mask = np.zeros(y.size, dtype=bool)
    if idx.size == 0:
        return None, None, mask
    lengths = _run_lengths(signs)
    ends = np.cumsum(lengths) - 1
    starts = ends - lengths + 1
    hit = lengths >= SHIFT
    mask = _mark(y.size, idx, starts[hit], ends[hit])
    return int(lengths.max()), int(lengths.size - 1), mask


def _trend(y: np.ndarray, include: np.ndarray) -> tuple[int | None, np.ndarray]:
    """Longest run of strictly rising or strictly falling points (a tie breaks it)."""
    idx, vals = _compress(include, y)
    mask = np.zeros(y.size, dtype=bool)
    if idx.size == 0:
        return None, mask
    if idx.size < 2:
        return 1, mask
    steps = np.sign(np.diff(vals))
    lengths = _run_lengths(steps)  # in steps; k rising steps span k + 1 points
    ends = np.cumsum(lengths) - 1
    starts = ends - lengths + 1
    direction = steps[starts]
    points = np.where(direction != 0, lengths + 1, 1)
    hit = points >= TREND
    return int(points.max()), _mark(y.size, idx, starts[hit], ends[hit] + 1)


def _two_of_three(
    y: np.ndarray, lo2: np.ndarray, hi2: np.ndarray, include: np.ndarray
) -> np.ndarray:
    """Points beyond 2σ that, with another on the same side, make 2 of 3 consecutive points."""
    idx, yy, lo, hi = _compress(include, y, lo2, hi2)
    mask = np.zeros(y.size, dtype=bool)
    if idx.size == 0:
        return mask
    with np.errstate(invalid="ignore"):
        beyond = np.where(yy > hi, 1, np.where(yy < lo, -1, 0))
    hits = np.zeros(idx.size, dtype=bool)
    for side in (1, -1):
        pad = [0] * (WINDOW - 1)
        flags = np.concatenate((pad, (beyond == side).astype(int), pad))
        counts = np.convolve(flags, np.ones(WINDOW, dtype=int), mode="valid")  # window sums
        # window w covers compressed points w − 2 … w; point i lies in windows i … i + 2
        full = counts >= OUTER
        in_full = np.zeros(idx.size, dtype=bool)
        for offset in range(WINDOW):
            in_full |= full[offset : offset + idx.size]
        hits |= in_full & (beyond == side)
    mask[idx[hits]] = True
    return mask


def _inner_third(
    y: np.ndarray, lo1: np.ndarray, hi1: np.ndarray, include: np.ndarray
) -> tuple[int | None, np.ndarray]:
    """Longest run of points strictly within 1σ, and the points of runs of 15 or more."""
    idx, yy, lo, hi = _compress(include, y, lo1, hi1)
    mask = np.zeros(y.size, dtype=bool)
    if idx.size == 0:
        return None, mask
    with np.errstate(invalid="ignore"):
        inner = (yy > lo) & (yy < hi)
    lengths = _run_lengths(inner)
    ends = np.cumsum(lengths) - 1
    starts = ends - lengths + 1
    value = inner[starts]
    longest = int(lengths[value].max()) if value.any() else 0
    hit = value & (lengths >= INNER)
    return longest, _mark(y.size, idx, starts[hit], ends[hit])


def evaluate(
    chart_key: str,
    y: np.ndarray,
    cl: np.ndarray,
    lcl: np.ndarray,
    ucl: np.ndarray,
    lcl_95: np.ndarray,
    ucl_95: np.ndarray,
    include: np.ndarray,
    ordered: bool = True,
) -> ControlRulesResult:
    """Rules 2–5 for one part. ``ordered=False`` (categorical x) or an MR chart: none apply."""
    empty = np.zeros(y.size, dtype=bool)
    kind = CHART_KINDS[chart_key]
    if not ordered or not kind.time_ordered:
        return ControlRulesResult(
            None, None, None, None, False, False, None, None, empty, empty, empty, empty
        )
    longest, crossings, shift_pts = _shift(y, cl, include)
    longest_trend, trend_pts = _trend(y, include)
    if not kind.symmetric_zones:
        two, two_pts, inner_run, inner_pts = None, empty, None, empty
    else:
        two_pts = _two_of_three(y, lcl_95, ucl_95, include)
        lo1, hi1 = one_sigma_lines(chart_key, cl, lcl, ucl, lcl_95, ucl_95)
        inner_run, inner_pts = _inner_third(y, lo1, hi1, include)
        two = bool(two_pts.any())
    return ControlRulesResult(
        longest_run=longest,
        n_crossings=crossings,
        longest_trend=longest_trend,
        longest_inner_run=inner_run,
        shift=bool(shift_pts.any()),
        trend=bool(trend_pts.any()),
        two_of_three=two,
        inner_third=None if inner_run is None else bool(inner_pts.any()),
        shift_points=shift_pts,
        trend_points=trend_pts,
        two_of_three_points=two_pts,
        inner_third_points=inner_pts,
    )

"""Shared types and R-exact helpers for the centre-line and limit calculations.

The formulas live in :mod:`.limits_variables` (measurements: run, I, MR, T, Xbar, S) and
:mod:`.limits_attributes` (counts: P, P′, C, U, U′, G); :mod:`.kinds` registers each as the
``compute`` of its chart kind. Each function receives one *part* of the chart and returns y (some
charts transform it), the centre line and the 3σ and 2σ limits, as qicharts2 0.8.1's
``qic.<chart>()`` helpers do (R/helper.functions.R).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass
class PartInput:
    """One part of the chart, as arrays over its subgroups."""

    y: np.ndarray
    y_sum: np.ndarray
    y_length: np.ndarray
    y_mean: np.ndarray
    y_sd: np.ndarray
    n: np.ndarray
    base: np.ndarray  # baseline & included: the points the centre line and limits come from
    cl: np.ndarray  # user-supplied centre line (NaN where not given)
    categorical: bool  # x is categorical (qicharts2: a funnel-plot style chart)
    screen_mr: bool = True  # qicharts2 option qic.screenedmr (TRUE once the package is attached)


@dataclass
class PartLimits:
    """What a chart function returns for one part (before ``multiply``)."""

    y: np.ndarray
    cl: np.ndarray
    lcl: np.ndarray
    ucl: np.ndarray
    lcl_95: np.ndarray
    ucl_95: np.ndarray


ChartFunction = Callable[[PartInput], PartLimits]


def r_mean(values: np.ndarray) -> float:
    """R's ``mean()``: long-double sum, divide, then one correction pass (summary.c).

    Matching R bit for bit matters: a point counts as *on* the centre line only if it equals
    it exactly, so the mean of 24 equal values must be that value, not one ulp off.
    """
    if values.size == 0:
        return float("nan")
    ld = values.astype(np.longdouble)
    s = ld.sum() / values.size
    if np.isfinite(s):
        s += (ld - s).sum() / values.size
    return float(s)


def nanmean(values: np.ndarray) -> float:
    """R's ``mean(x, na.rm = TRUE)``: NaN (not a warning) when nothing is left."""
    return r_mean(values[~np.isnan(values)])


def nansum(values: np.ndarray) -> float:
    """R's ``sum(x, na.rm = TRUE)`` (accumulated in long double, as R does)."""
    return float(np.nansum(values.astype(np.longdouble)))


def nanmedian(values: np.ndarray) -> float:
    """R's ``median(x, na.rm = TRUE)``: the middle value, or the R mean of the middle two."""
    values = values[~np.isnan(values)]
    size = values.size
    if size == 0:
        return float("nan")
    half = (size + 1) // 2
    if size % 2 == 1:
        return float(np.partition(values, half - 1)[half - 1])
    part = np.partition(values, [half - 1, half])
    return r_mean(part[half - 1 : half + 1])


def given_cl(part: PartInput) -> np.ndarray | None:
    """The user's centre line if complete (qicharts2: ``if (anyNA(x$cl))`` recompute)."""
    if np.isnan(part.cl).any():
        return None
    return part.cl.astype(float)


def full(part: PartInput, value: float | np.ndarray) -> np.ndarray:
    """Broadcast a scalar (or keep an array) to the part's length, as R recycles."""
    return np.broadcast_to(np.asarray(value, dtype=float), part.y.shape).astype(float)


def screened_mean_mr(mr: np.ndarray, screen: bool) -> float:
    """Average moving range, dropping ranges above 3.267 × the first average (Nelson 1982).

    qicharts2 does this when option ``qic.screenedmr`` is TRUE, which ``library(qicharts2)``
    sets on attach; a range that is NA stays out either way.
    """
    amr = nanmean(mr)
    if screen:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            amr = nanmean(mr[mr < 3.267 * amr])
    return amr


def limits_from_sd(cl: np.ndarray, stdev: np.ndarray | float) -> tuple[np.ndarray, ...]:
    """Centre ± 3σ and ± 2σ: (lcl, ucl, lcl_95, ucl_95)."""
    return cl - 3 * stdev, cl + 3 * stdev, cl - 2 * stdev, cl + 2 * stdev


def clip_lower(values: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """qicharts2: ``x[x < 0 & is.finite(x)] <- 0`` (counts and rates can't go below 0)."""
    out = values.copy()
    out[np.isfinite(out) & (out < floor)] = floor
    return out


def clip_upper(values: np.ndarray, ceiling: float = 1.0) -> np.ndarray:
    """qicharts2: ``x[x > 1 & is.finite(x)] <- 1`` (a proportion can't exceed 1)."""
    out = values.copy()
    out[np.isfinite(out) & (out > ceiling)] = ceiling
    return out

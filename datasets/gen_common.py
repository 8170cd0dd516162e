"""Small helpers shared by the generators: calendars, smooth seasons and noisy counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def days(start: str, end: str) -> pd.DatetimeIndex:
    """Every calendar day from ``start`` to ``end`` inclusive."""
    return pd.date_range(start, end, freq="D")


def months(start: str, periods: int) -> pd.DatetimeIndex:
    """The first day of ``periods`` consecutive months from ``start``."""
    return pd.date_range(start, periods=periods, freq="MS")


def weeks(start: str, periods: int) -> pd.DatetimeIndex:
    """``periods`` consecutive Mondays from ``start`` (which must be a Monday)."""
    index = pd.date_range(start, periods=periods, freq="7D")
    if index[0].day_of_week != 0:
        raise ValueError(f"{start} is not a Monday")
    return index


def seasonal(dates: pd.DatetimeIndex, monthly: list[float]) -> np.ndarray:
    """Interpolate twelve mid-month values (January first) smoothly over the year.

    A plain month lookup would put a step at every month boundary, which a learner's chart
    would then flag as a signal that nobody caused.
    """
    values = np.asarray(monthly, dtype=float)
    mid = (np.arange(12) + 0.5) * 365.25 / 12
    x = np.concatenate([mid - 365.25, mid, mid + 365.25])
    y = np.tile(values, 3)
    return np.interp(dates.day_of_year.to_numpy(dtype=float) - 0.5, x, y)


def logit(p: np.ndarray | float) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return np.log(p / (1 - p))


def expit(x: np.ndarray | float) -> np.ndarray:
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def overdispersed_poisson(rng: np.random.Generator, mean: np.ndarray, cv: float) -> np.ndarray:
    """Counts with more day-to-day spread than Poisson (a gamma-Poisson mixture).

    Real counts of attendances or falls vary more than a Poisson model says, because the
    underlying rate itself wobbles; ``cv`` is that wobble's coefficient of variation.
    """
    mean = np.asarray(mean, dtype=float)
    if cv <= 0:
        return rng.poisson(mean)
    shape = 1 / cv**2
    return rng.poisson(rng.gamma(shape, mean / shape))


def ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series: day-to-day noise that persists (crowding, staffing)."""
    out = np.empty(n)
    out[0] = rng.normal(0, sd / np.sqrt(1 - phi**2))
    shocks = rng.normal(0, sd, n)
    for i in range(1, n):
        out[i] = phi * out[i - 1] + shocks[i]
    return out


def weekday_names(dates: pd.DatetimeIndex) -> list[str]:
    return [WEEKDAYS[d] for d in dates.day_of_week]

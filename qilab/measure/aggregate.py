"""Collapse raw rows into one row per subgroup, exactly as qicharts2 0.8.1's ``qic.agg()`` does.

qicharts2 splits the data by ``x`` (so subgroups come out *sorted* by x), and per subgroup keeps
the numerator sum, the number of non-missing values, their mean and standard deviation, and the
denominator sum. ``y`` becomes ``sum(y) / sum(n)`` when there is a denominator, else the
aggregate function (mean by default). A single missing value stays missing (``y.sum`` is NA), so
a gap in a monthly series stays a gap instead of turning into a zero (qicharts2 0.7.4 fix).

Dated x may first be floored to a period (``period="week"`` → weeks starting Monday, as R's
``cut.POSIXt(breaks = "week")``; ``"month"`` → first of the month), which turns daily rows into
weekly or monthly subgroups: numerators and denominators are summed per period, while for xbar and
s charts the raw values are kept so each period is one subgroup of measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Subgroups:
    """One entry per plotted point (subgroup), in plotting order."""

    x: pd.Series
    y: np.ndarray
    y_sum: np.ndarray
    y_length: np.ndarray
    y_mean: np.ndarray
    y_sd: np.ndarray
    n: np.ndarray
    notes: np.ndarray
    target: np.ndarray
    cl: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


AGG_FUNS = ("mean", "median", "sum", "sd")


def floor_period(x: pd.Series, code: str) -> pd.Series:
    """Start of the period each date falls in (weeks start on Monday, as R's ``cut``)."""
    ts = pd.to_datetime(x)
    if code == "D":
        return ts.dt.normalize()
    if code == "W":
        day = ts.dt.normalize()
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    return ts.dt.to_period(code).dt.start_time


def aggregate(
    x: pd.Series | None,
    y: np.ndarray,
    n: np.ndarray | None,
    notes: np.ndarray | None,
    target: np.ndarray | None,
    cl: np.ndarray | None,
    agg_fun: str = "mean",
) -> Subgroups:
    """Aggregate rows by x (or keep them one per point when x is absent or already unique)."""
    size = len(y)
    if n is not None:
        # qicharts2: complete.cases(y, n); incomplete rows lose both values.
        bad = np.isnan(y) | np.isnan(n)
        y = np.where(bad, np.nan, y)
        n = np.where(bad, np.nan, n)
    if x is None:
        x = pd.Series(np.arange(1, size + 1), name="x")
        return _one_per_row(x, y, n, notes, target, cl)

    x = pd.Series(x).reset_index(drop=True)
    keep = ~x.isna().to_numpy()
    if not keep.all():  # qicharts2 drops rows with no x
        x = x[keep].reset_index(drop=True)
        y = y[keep]
        n = None if n is None else n[keep]
        notes = None if notes is None else notes[keep]
        target = None if target is None else target[keep]
        cl = None if cl is None else cl[keep]

    if isinstance(x.dtype, pd.CategoricalDtype):
        x = x.cat.remove_unused_categories()
    order = np.argsort(_sort_key(x), kind="stable")
    x_sorted = x.iloc[order].reset_index(drop=True)
    if x_sorted.is_unique:
        take = lambda a: None if a is None else a[order]  # noqa: E731
        return _one_per_row(x_sorted, y[order], take(n), take(notes), take(target), take(cl))
    return _grouped(x, y, n, notes, target, cl, agg_fun)


def _sort_key(x: pd.Series) -> np.ndarray:
    if isinstance(x.dtype, pd.CategoricalDtype):
        return x.cat.codes.to_numpy()
    if pd.api.types.is_numeric_dtype(x) or pd.api.types.is_datetime64_any_dtype(x):
        return x.to_numpy()
    return x.astype(str).to_numpy()


def _one_per_row(
    x: pd.Series,
    y: np.ndarray,
    n: np.ndarray | None,
    notes: np.ndarray | None,
    target: np.ndarray | None,
    cl: np.ndarray | None,
) -> Subgroups:
    size = len(y)
    valid = ~np.isnan(y)
    if n is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = y / n
    else:
        ratio = y.copy()
    note_vals = np.full(size, None, dtype=object)
    if notes is not None:
        note_vals = notes.astype(object)  # a copy
        note_vals[notes == ""] = None
    return Subgroups(
        x=x.reset_index(drop=True).rename("x"),
        y=ratio,
        y_sum=y.copy(),
        y_length=valid.astype(float),
        y_mean=y.copy(),
        y_sd=np.full(size, np.nan),
        n=np.full(size, np.nan) if n is None else n.astype(float),
        notes=note_vals,
        target=np.full(size, np.nan) if target is None else target,
        cl=np.full(size, np.nan) if cl is None else cl,
    )


def _grouped(
    x: pd.Series,
    y: np.ndarray,
    n: np.ndarray | None,
    notes: np.ndarray | None,
    target: np.ndarray | None,
    cl: np.ndarray | None,
    agg_fun: str,
) -> Subgroups:
    got_n = n is not None
    frame = pd.DataFrame({"x": x, "y": y})
    frame["n"] = n if got_n else np.nan
    frame["target"] = np.nan if target is None else target
    frame["cl"] = np.nan if cl is None else cl
    frame["notes"] = "" if notes is None else notes
    sort = not isinstance(x.dtype, pd.CategoricalDtype)
    g = frame.groupby("x", sort=sort, observed=True)
    y_g = g["y"]
    count = g.size().to_numpy()
    y_length = y_g.count().to_numpy().astype(float)
    y_sum = y_g.sum(min_count=0).to_numpy()
    # R: sum(y, na.rm = length(y) > 1): a lone missing value stays missing.
    y_sum = np.where((count == 1) & (y_length == 0), np.nan, y_sum)
    y_mean = y_g.mean().to_numpy()
    y_sd = y_g.std(ddof=1).to_numpy()
    if got_n:
        n_sum = g["n"].sum(min_count=0).to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            y_val = y_g.sum().to_numpy() / n_sum
    else:
        n_sum = np.full(len(count), np.nan)
        if agg_fun == "mean":
            y_val = y_mean
        elif agg_fun == "median":
            y_val = y_g.median().to_numpy()
        elif agg_fun == "sum":
            y_val = y_g.sum().to_numpy()  # R: sum(y, na.rm = TRUE)
        else:
            y_val = y_sd
    first = g[["target", "cl"]].first()
    if notes is None:
        note_vals = np.full(len(count), None, dtype=object)
    else:
        note_vals = g["notes"].agg(_join_notes).to_numpy(dtype=object, copy=True)
        note_vals[pd.isna(note_vals)] = None
    xs = pd.Series(g.size().index, name="x")
    if not sort:
        xs = xs.astype(x.dtype)
    return Subgroups(
        x=xs.reset_index(drop=True),
        y=np.asarray(y_val, dtype=float),
        y_sum=np.asarray(y_sum, dtype=float),
        y_length=y_length,
        y_mean=np.asarray(y_mean, dtype=float),
        y_sd=np.asarray(y_sd, dtype=float),
        n=np.asarray(n_sum, dtype=float),
        notes=note_vals,
        target=first["target"].to_numpy(dtype=float),
        cl=first["cl"].to_numpy(dtype=float),
    )


def _join_notes(values: pd.Series) -> str | None:
    """Distinct non-empty notes of a subgroup joined by ' | ' (qicharts2 ``fixnotes``)."""
    seen = [v for v in dict.fromkeys(values) if isinstance(v, str) and v]
    return " | ".join(seen) if seen else None

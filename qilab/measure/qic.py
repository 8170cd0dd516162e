"""``qic()``: one call from raw data to centre line, limits, runs analysis and chart.

The orchestration mirrors qicharts2 0.8.1's ``qic()`` and ``qic.agg()``: aggregate rows into
subgroups (sorted by x), number the parts, mark baseline and excluded points, compute centre
line and limits per part, run the runs analysis per part, multiply, then flag points outside the
limits.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from . import mdc as mdc_rules
from . import rulesets
from ._validate import (
    as_float_array,
    as_table,
    check_chart,
    check_counts,
    check_freeze,
    check_period,
    check_same_length,
    check_target,
    fail,
    is_categorical,
    is_scalar,
    notes_array,
    positions,
    resolve_column,
    resolve_method,
)
from .aggregate import AGG_FUNS, aggregate, floor_period
from .kinds import CHART_KINDS, ChartKind
from .limits import PartInput
from .result import QicResult

ISO_DATE = r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"


def qic(
    y: Any,
    n: Any = None,
    x: Any = None,
    chart: str = "run",
    freeze: int | None = None,
    part: int | list[int] | None = None,
    exclude: int | list[int] | None = None,
    method: str | None = None,
    multiply: float = 1,
    notes: Any = None,
    target: Any = None,
    data: pd.DataFrame | None = None,
    period: str | None = None,
    *,
    cl: Any = None,
    agg_fun: str = "mean",
    improvement: str | None = None,
    screen_outliers: bool = True,
    y_neg: bool = True,
    title: str | None = None,
    ylab: str | None = None,
    xlab: str | None = None,
) -> QicResult:
    """Run chart or Shewhart control chart with runs analysis, as qicharts2 computes it.

    Parameters
    ----------
    y : array-like or str
        The measure: values, or numerators (counts) when ``n`` is given. For ``xbar`` and ``s``
        charts the raw measurements, with ``x`` naming the subgroup each belongs to. A column
        name when ``data`` is given.
    n : array-like or str, optional
        Denominators (e.g. patients, or patient-days) for ``p``, ``pp``, ``u`` and ``up`` charts.
    x : array-like or str, optional
        Subgroups along the x axis (dates, numbers or labels). Rows sharing an x are aggregated
        (summed with a denominator, else averaged) and points are sorted by x, as in qicharts2.
        Default: 1, 2, … in the order given.
    chart : str, default "run"
        ``"run"``, ``"i"``, ``"mr"``, ``"xbar"``, ``"s"``, ``"t"``, ``"p"``, ``"pp"`` (Laney
        P′), ``"c"``, ``"u"``, ``"up"`` (Laney U′) or ``"g"``.
    freeze : int, optional
        The first ``freeze`` points form the baseline: the centre line and limits come from them
        and are extended over the later points (qicharts2 semantics; ignored when ``part`` is
        given, as in qicharts2).
    part : int or list of int, optional
        Recalculate after the k-th point: ``part=[12]`` makes points 1–12 part 1 and the rest
        part 2 (1-based *counts* of points, as qicharts2).
    exclude : int or list of int, optional
        **0-based** positions of points left out of every calculation but still plotted (muted).
        Note this differs from qicharts2, whose ``exclude`` is 1-based.
    method : {"anhoej", "ihi", "mdc"}, optional
        The rule set (each rule set in :data:`qilab.measure.rulesets.RULE_SETS` names its method).
        Left out, it is ``"anhoej"``, or ``"mdc"`` when ``improvement=`` is given on an I chart
        (a direction of improvement only means something to the Making Data Count icons).
        ``"anhoej"``: Anhøj rules on run and control charts, as qicharts2
        (Anhøj & Olesen 2014). ``"ihi"``: the rules of *The Health Care Data Guide* – on a run
        chart the IHI run-chart rules (Perla, Provost & Murray 2011: shift 6, trend 5, too
        few/many runs from their table); on a control chart Provost & Murray's control-chart
        rules (1 point outside the limits; 8 in a row on one side; 6 increasing or decreasing;
        2 of 3 beyond 2σ on the same side; 15 in a row within 1σ; see
        :mod:`qilab.measure.control_rules`). ``"mdc"``: NHS England Making Data Count rules
        for XmR charts (process limits at 2.66 × mean moving range, icons for variation and
        assurance). ``res.rule_set`` and ``describe()`` name the rule set applied.
    multiply : float, default 1
        Multiply y, centre line and limits, e.g. 100 for percentages or 10000 for rates per
        10 000 patient-days.
    notes : array-like, str or dict, optional
        Notes per row (one per row, None for none), or ``{x value or 0-based position: text}``;
        shown as annotations on the chart (e.g. PDSA cycles).
    target : float or array-like, optional
        Target (one number) or trajectory (one per row), in the units shown on the chart (after
        ``multiply``, as qicharts2); drawn as a line, and used for the MDC assurance icon.
    data : DataFrame, optional
        Take ``y``, ``n``, ``x``, ``notes`` and ``target`` from these columns when given as names.
        What :func:`qilab.datasets.read` returns for your own export works too (its table is
        used). A named column with no values at all is an error that says so.
    period : {"day", "week", "month", "quarter", "year"}, optional
        Aggregate dated rows by period before charting (weeks start on Monday, as R's ``cut``):
        numerators and denominators are summed per period; xbar and s charts keep the raw values
        as the period's subgroup.
    cl : float or array-like, optional
        A known centre line instead of the computed one (qicharts2 ``cl``).
    agg_fun : {"mean", "median", "sum", "sd"}, default "mean"
        How to aggregate several y values per subgroup when there is no denominator.
    improvement : {"up", "down"}, optional
        Direction of improvement. With ``method="mdc"`` (or an I chart and the default method)
        it turns MDC special causes into improvement or concern. Other rule sets have no
        direction, so ``improvement=`` with ``method="anhoej"`` or ``"ihi"``, or with no method
        on a chart other than I, is an error that says so.
    screen_outliers : bool, default True
        Drop moving ranges above 3.267 × their mean before estimating σ (Nelson 1982): what
        qicharts2 does for I, T, P′ and U′ charts once attached, and NHSRplotthedots' default.
        ``False`` reproduces the MDC Excel tool.
    y_neg : bool, default True
        If False and no y is negative, lower limits below 0 are drawn at 0 (qicharts2 ``y.neg``).
    title, ylab, xlab : str, optional
        Default chart title and axis labels (``res.chart()`` can override them).

    Returns
    -------
    QicResult
        ``res.data`` (one row per point), ``res.summary`` (one row per part), ``res.chart()``
        (Altair chart) and ``res.describe()`` (text description).

    Raises
    ------
    ValueError
        For bad input, with a message saying what is wrong and how to fix it (mismatched
        lengths, negative counts, numerator > denominator, zero denominators, too few points,
        unknown chart type, non-numeric values).

    See Also
    --------
    qicharts2 0.8.1 ``qic()`` (Anhøj), whose numbers this reproduces;
    NHSRplotthedots ``ptd_spc()`` for the Making Data Count rules.

    Examples
    --------
    A run chart of 24 monthly values, with Anhøj runs analysis:

    >>> from qilab.measure import qic
    >>> y = [12, 14, 11, 13, 15, 12, 14, 13, 11, 12, 13, 14,
    ...      9, 8, 10, 9, 8, 7, 9, 8, 10, 9, 8, 7]
    >>> res = qic(y)
    >>> res.summary[["cl", "longest_run", "longest_run_max", "runs_signal"]]
         cl  longest_run  longest_run_max  runs_signal
    0  10.5           12                8         True

    An I chart frozen on the first 12 points, and a P chart of proportions:

    >>> res = qic(y, chart="i", freeze=12)
    >>> round(float(res.data["cl"].iloc[0]), 3)
    12.833
    >>> p = qic([5, 7, 6, 9], n=[50, 60, 55, 58], chart="p", multiply=100)
    >>> p.data[["y", "cl"]].round(2).iloc[0].tolist()
    [10.0, 12.11]

    Columns of a data frame, aggregated by month:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"day": pd.date_range("2024-01-01", periods=90),
    ...                    "falls": [1, 0, 2] * 30, "bed_days": [30] * 90})
    >>> res = qic("falls", n="bed_days", x="day", data=df, chart="u", period="month")
    >>> len(res.data)
    3
    """
    chart_key = check_chart(chart)
    direction = mdc_rules.direction(improvement)
    method_key = resolve_method(method, chart_key, direction)
    ruleset = rulesets.for_chart(chart_key, method_key)
    chart_key = ruleset.chart_for(chart_key)  # Making Data Count draws a run chart as XmR
    kind = CHART_KINDS[chart_key]
    period_code = check_period(period)
    if agg_fun not in AGG_FUNS:
        raise fail(f"agg_fun={agg_fun!r} is not supported. Use one of: {', '.join(AGG_FUNS)}.")
    if not is_scalar(multiply) or not np.isfinite(float(multiply)) or float(multiply) == 0:
        raise fail(f"multiply must be a non-zero number (e.g. 100 for percent), got {multiply!r}.")

    data = as_table(data)
    y_raw = resolve_column(y, data, "y")
    n_raw = resolve_column(n, data, "n")
    x_raw = resolve_column(x, data, "x")
    notes_raw = resolve_column(notes, data, "notes") if isinstance(notes, str) else notes
    target_raw = resolve_column(target, data, "target") if isinstance(target, str) else target
    cl_raw = resolve_column(cl, data, "cl") if isinstance(cl, str) else cl

    y_arr = as_float_array(y_raw, "y")
    size = y_arr.size
    if size == 0:
        raise fail("y is empty. Give at least one value to chart.")
    n_arr = None
    if n_raw is not None:
        n_arr = as_float_array(n_raw, "n")
        check_same_length(size, n_arr, "n")
    x_ser = None
    if x_raw is not None:
        check_same_length(size, x_raw, "x")
        x_ser = _as_x(x_raw)
    if kind.needs_subgroups and x_ser is None:
        raise fail(
            f"An {chart_key} chart needs subgroups: pass x= naming the subgroup (e.g. the date or "
            f"sample number) of each measurement in y."
        )
    if period_code is not None:
        if x_ser is None or not pd.api.types.is_datetime64_any_dtype(x_ser):
            raise fail(
                f"period={period!r} groups dated rows, but x is not dates. Pass dates as x "
                f"(e.g. x='admission_date' with data=...), or drop period."
            )
        x_ser = floor_period(x_ser, period_code)
    notes_arr = notes_array(notes_raw, size, x_ser)
    target_arr = check_target(target_raw, size)
    cl_arr = None if cl_raw is None else _cl_array(cl_raw, size)
    check_counts(y_arr, n_arr, kind)

    sub = aggregate(x_ser, y_arr, n_arr, notes_arr, target_arr, cl_arr, agg_fun)
    points = len(sub)
    freeze_k = check_freeze(freeze, points)
    parts = positions(part, points, "part", one_based=True)
    excluded = positions(exclude, points, "exclude", one_based=False)
    if parts:
        freeze_k = None  # qicharts2: freeze is ignored when part is given

    xx = np.arange(1, points + 1)
    part_no = np.searchsorted(np.array(parts, dtype=int), xx, side="left") + 1
    baseline = xx <= (freeze_k if freeze_k is not None else points)
    include = np.ones(points, dtype=bool)
    include[excluded] = False
    categorical = is_categorical(sub.x)

    out = _compute_parts(
        sub, kind, ruleset, part_no, baseline, include, categorical, screen_outliers, direction
    )

    sizes = np.bincount(part_no)[1:]
    sizes = sizes[sizes > 0]
    out["runs_signal"] = np.repeat([r.runs.runs_signal for r in out["per_part"]], sizes)
    out["runs_signal"] = out["runs_signal"].astype(bool)
    for key in ("y", "cl", "lcl", "ucl", "lcl_95", "ucl_95"):
        out[key] = out[key] * float(multiply)
    for key in ("lcl", "ucl", "lcl_95", "ucl_95"):
        out[key] = np.where(np.isfinite(out[key]), out[key], np.nan)
    with np.errstate(invalid="ignore"):
        sigma = (out["y"] > out["ucl"]) | (out["y"] < out["lcl"])
    if categorical or not kind.time_ordered:
        out["runs_signal"] = np.zeros(points, dtype=bool)
    if not y_neg and np.nanmin(out["y"]) >= 0:
        for key in ("lcl", "lcl_95"):
            out[key] = np.where(out[key] < 0, 0.0, out[key])

    _warn_if_target_unscaled(sub.target, out["y"], float(multiply))
    frame = _frame(sub, out, sigma, part_no, baseline, include, ruleset)
    summary = _summary(frame, ruleset)
    result = QicResult(
        data=frame,
        summary=summary,
        chart_type=chart_key,
        method=method_key,
        rule_set=ruleset.key,
        multiply=float(multiply),
        improvement=direction,
        labels={
            "title": title,
            "ylab": ylab,
            "xlab": xlab,
            "y_name": y if isinstance(y, str) else None,
            "n_name": n if isinstance(n, str) else None,
            "x_name": x if isinstance(x, str) else None,
            "freeze": freeze_k,
            "categorical": categorical,
            "chart_name": kind.name,
        },
    )
    ruleset.finish(result)
    return result


def _warn_if_target_unscaled(target: Any, y_shown: np.ndarray, multiply: float) -> None:
    """Warn when a target only fits the chart once multiplied: a proportion given as 0.95 on a
    percentage chart. qicharts2 never scales the target, and we keep its convention (and its
    numbers), but a 0.95 % target would silently give a wrong assurance verdict.
    """
    if target is None or multiply == 1:
        return
    t = np.asarray(target, dtype=float)
    t, y = t[np.isfinite(t) & (t > 0)], y_shown[np.isfinite(y_shown) & (y_shown > 0)]
    if not t.size or not y.size:
        return
    typical = float(np.median(y))

    def fold(value: np.ndarray) -> np.ndarray:  # how many times bigger or smaller than typical
        return np.maximum(value / typical, typical / value)

    raw, scaled = fold(t), fold(t * multiply)
    if (raw >= np.sqrt(multiply)).all() and (scaled < raw).all():
        example = float(t[0])
        warnings.warn(
            f"target={example:g} looks like it is on the scale before multiply={multiply:g}: "
            f"targets are in chart units (as in qicharts2), so pass target={example * multiply:g}.",
            UserWarning,
            stacklevel=3,
        )


def _as_x(values: Any) -> pd.Series:
    """Keep dates as datetimes (R converts Date to POSIXct) and everything else as given.

    ISO date text ("2015-01-01", as read from a CSV without ``parse_dates``) is read as dates,
    so a chart of monthly data stays a time series with runs analysis rather than turning into
    categories (qicharts2 would only see dates if the data frame held Date values).
    """
    ser = pd.Series(values).reset_index(drop=True)
    if isinstance(ser.dtype, pd.DatetimeTZDtype):
        ser = ser.dt.tz_localize(None)
    elif not (
        pd.api.types.is_numeric_dtype(ser)
        or pd.api.types.is_datetime64_any_dtype(ser)
        or isinstance(ser.dtype, pd.CategoricalDtype)
    ):
        present = ser.dropna()
        date_objects = all(
            isinstance(v, (pd.Timestamp, np.datetime64)) or hasattr(v, "isoformat")
            for v in present.iloc[:5]
        )
        if len(present) and (date_objects or present.astype(str).str.fullmatch(ISO_DATE).all()):
            ser = pd.to_datetime(ser)
    return ser.rename("x")


def _cl_array(cl: Any, size: int) -> np.ndarray:
    if np.isscalar(cl):
        return np.full(size, float(as_float_array([cl], "cl")[0]))
    arr = as_float_array(cl, "cl")
    check_same_length(size, arr, "cl")
    return arr


def _compute_parts(
    sub: Any,
    kind: ChartKind,
    ruleset: rulesets.RuleSet,
    part_no: np.ndarray,
    baseline: np.ndarray,
    include: np.ndarray,
    categorical: bool,
    screen_outliers: bool,
    direction: int,
) -> dict[str, Any]:
    """Centre line, limits and the rule set's verdicts part by part (loops over parts).

    Per-point arrays are filled slice by slice; the rule set gives one :class:`PartRules` per
    part, kept in ``out["per_part"]`` and expanded to rows only when the data frame is built.
    """
    points = len(sub)
    out: dict[str, Any] = {
        k: np.full(points, np.nan) for k in ("y", "cl", "lcl", "ucl", "lcl_95", "ucl_95")
    }
    per_part: list[rulesets.PartRules] = []
    point_cols = {
        col: np.zeros(points, dtype=bool) if kind_ is bool else np.full(points, None, dtype=object)
        for col, kind_ in ruleset.point_columns.items()
    }

    for k in np.unique(part_no):
        idx = np.flatnonzero(part_no == k)
        sl = slice(int(idx[0]), int(idx[-1]) + 1)  # parts are contiguous
        base = baseline[sl] & include[sl]
        pin = PartInput(
            y=sub.y[sl],
            y_sum=sub.y_sum[sl],
            y_length=sub.y_length[sl],
            y_mean=sub.y_mean[sl],
            y_sd=sub.y_sd[sl],
            n=sub.n[sl],
            base=base,
            cl=sub.cl[sl],
            categorical=categorical,
            screen_mr=screen_outliers,
        )
        _check_enough(kind, pin, int(k))
        lim = ruleset.limits(kind, pin)
        for key in ("y", "cl", "lcl", "ucl", "lcl_95", "ucl_95"):
            out[key][sl] = getattr(lim, key)
        found = ruleset.analyse(
            rulesets.PartContext(
                kind=kind,
                y=out["y"][sl],
                cl=out["cl"][sl],
                lcl=out["lcl"][sl],
                ucl=out["ucl"][sl],
                lcl_95=out["lcl_95"][sl],
                ucl_95=out["ucl_95"][sl],
                include=include[sl],
                categorical=categorical,
                direction=direction,
            )
        )
        for col, values in found.points.items():
            point_cols[col][sl] = values
        per_part.append(found)
    out["per_part"] = per_part
    out["points"] = point_cols
    return out


def _check_enough(kind: ChartKind, pin: PartInput, part: int) -> None:
    """Raise if a part's baseline has too few usable points to estimate its limits."""
    need = kind.min_points
    values = pin.y_sum if kind.counted == "y_sum" else pin.y
    usable = int((pin.base & ~np.isnan(values)).sum())
    if usable < need:
        where = f"part {part}" if part > 1 or pin.base.size < len(pin.y) else "the chart"
        plural = "s" if need != 1 else ""
        raise fail(
            f"Too few points for the limits of {where}: a {kind.name} needs at least "
            f"{need} usable baseline point{plural} per part ({kind.min_points_why}), "
            f"but {where} has {usable}. Add data, move or remove part/freeze boundaries, or "
            f"exclude fewer points."
        )
    if kind.needs_subgroups and not (pin.y_length[pin.base] >= 2).any():
        raise fail(
            f"An {kind.key} chart needs subgroups of at least 2 measurements, but every subgroup "
            f"in part {part} has fewer. Group measurements with x (e.g. by day or week), or use "
            f"an I chart for single values."
        )


RUNS_INT_COLUMNS = (
    "longest_run",
    "longest_run_max",
    "n_crossings",
    "n_crossings_min",
    "n_obs",
    "n_useful",
)


def _per_row(values: list[int | None], sizes: np.ndarray) -> pd.arrays.IntegerArray:
    """Expand one value per part to one per row, as a nullable integer column."""
    missing = np.array([v is None for v in values], dtype=bool)
    filled = np.array([0 if v is None else v for v in values], dtype=np.int64)
    return pd.arrays.IntegerArray(np.repeat(filled, sizes), np.repeat(missing, sizes))


def _per_row_bool(values: list[bool | None], sizes: np.ndarray) -> pd.arrays.BooleanArray:
    """Expand one verdict per part (None: not assessed) to one per row, as nullable booleans."""
    return pd.array(np.repeat(np.array(values, dtype=object), sizes), dtype="boolean")


def _frame(
    sub: Any,
    out: dict[str, Any],
    sigma: np.ndarray,
    part_no: np.ndarray,
    baseline: np.ndarray,
    include: np.ndarray,
    ruleset: rulesets.RuleSet,
) -> pd.DataFrame:
    """Assemble res.data with qicharts2's columns (snake_case) first, then the rule set's."""
    per_part: list[rulesets.PartRules] = out["per_part"]
    sizes = np.bincount(part_no)[1:]
    sizes = sizes[sizes > 0]
    col = {k: _per_row([getattr(r.runs, k) for r in per_part], sizes) for k in RUNS_INT_COLUMNS}
    frame = pd.DataFrame(
        {
            "x": sub.x.to_numpy() if not isinstance(sub.x.dtype, pd.CategoricalDtype) else sub.x,
            "y": out["y"],
            "n": sub.n,
            "cl": out["cl"],
            "lcl": out["lcl"],
            "ucl": out["ucl"],
            "sigma_signal": sigma.astype(bool),
            "runs_signal": out["runs_signal"],
            "longest_run": col["longest_run"],
            "longest_run_max": col["longest_run_max"],
            "n_crossings": col["n_crossings"],
            "n_crossings_min": col["n_crossings_min"],
            "part": part_no.astype(int),
            "lcl_95": out["lcl_95"],
            "ucl_95": out["ucl_95"],
            "n_obs": col["n_obs"],
            "n_useful": col["n_useful"],
            "baseline": baseline,
            "include": include,
            "notes": pd.Series(sub.notes, dtype=object),
            "target": sub.target,  # qicharts2 leaves the target unscaled by multiply
        }
    )
    for key, kind in ruleset.part_columns.items():
        values = [r.part[key] for r in per_part]
        frame[key] = _per_row(values, sizes) if kind == "int" else _per_row_bool(values, sizes)
    for key, values in out["points"].items():
        frame[key] = values
    return frame


def _summary(frame: pd.DataFrame, ruleset: rulesets.RuleSet) -> pd.DataFrame:
    """One row per part, as qicharts2's ``summary.qic`` (aLCL/aUCL are average limits), then
    the rule set's own verdicts and its name (``rule_set``)."""
    rows = []
    for _, g in frame.groupby("part", sort=True):
        first = g.iloc[0]
        row: dict[str, Any] = {
            "part": int(g["part"].iloc[0]),
            "n_obs": first["n_obs"],
            "n_useful": first["n_useful"],
            "longest_run": first["longest_run"],
            "longest_run_max": first["longest_run_max"],
            "n_crossings": first["n_crossings"],
            "n_crossings_min": first["n_crossings_min"],
            "runs_signal": bool(g["runs_signal"].any()),
            "a_lcl": _mean_or_nan(g["lcl"]),
            "cl": _mean_or_nan(g["cl"]),
            "a_ucl": _mean_or_nan(g["ucl"]),
            "sigma_signal": int(g["sigma_signal"].sum()),
        }
        for key in ruleset.part_columns:
            row[key] = first[key]
        row.update(ruleset.summarise(g))
        row["rule_set"] = ruleset.key
        rows.append(row)
    return pd.DataFrame(rows)


def _mean_or_nan(values: pd.Series) -> float:
    vals = values.to_numpy(dtype=float)
    vals = vals[~np.isnan(vals)]
    return float(vals.mean()) if vals.size else float("nan")

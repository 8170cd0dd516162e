"""Turn what a learner passes to :func:`qilab.measure.qic` into clean arrays, or say what to fix.

Every check raises :class:`ValueError` (also a :class:`qilab.errors.QilabError`, so the command
line prints one line) with a message naming the problem *and* the fix: tutors read these out to
learners, so a stack trace about numpy broadcasting is no use to anyone.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from qilab.errors import QilabError

from . import rulesets
from .kinds import CHART_KINDS, ChartKind, chart_kind

#: The built-in chart types, as qicharts2 0.8.1 names them (the keys of
#: :data:`qilab.measure.kinds.CHART_KINDS`, which ``qic()`` reads).
CHART_TYPES: tuple[str, ...] = tuple(CHART_KINDS)

#: The built-in rule-set families ``method=`` selects (Anhøj, IHI, Making Data Count); the
#: rule sets themselves are in :data:`qilab.measure.rulesets.RULE_SETS`.
METHODS: tuple[str, ...] = rulesets.methods()

PERIODS: dict[str, str] = {
    "day": "D",
    "week": "W",
    "month": "M",
    "quarter": "Q",
    "year": "Y",
}


class MeasureInputError(QilabError, ValueError):
    """Bad input to the measurement engine: the message says what is wrong and how to fix it."""


def fail(message: str) -> MeasureInputError:
    """Build the error to raise (``raise fail(...)``) so call sites read as sentences."""
    return MeasureInputError(message)


def check_chart(chart: str) -> str:
    """Normalise the chart name; unknown names list the valid ones."""
    if not isinstance(chart, str):
        raise fail(f"chart must be a text name such as 'i' or 'p', not {type(chart).__name__}.")
    kind = chart_kind(chart)
    if kind is None:
        valid = ", ".join(repr(c) for c in CHART_KINDS)
        raise fail(f"Unknown chart type {chart!r}. Use one of: {valid}.")
    return kind.key


def check_method(method: str) -> str:
    """Normalise the runs-analysis method name."""
    key = str(method).strip().lower()
    known = rulesets.methods()
    if key not in known:
        valid = ", ".join(repr(m) for m in known)
        raise fail(f"Unknown method {method!r}. Use one of: {valid}.")
    return key


def resolve_method(method: str | None, chart_key: str, direction: int) -> str:
    """The method ``qic()`` applies, said out loud rather than switched silently.

    A direction of improvement only means something to the Making Data Count icons, so with no
    ``method`` an ``improvement=`` on an I chart selects ``"mdc"`` (otherwise ``"anhoej"``, the
    qicharts2 default). Asking for a direction with a rule set that has none, or on a chart
    Making Data Count does not cover, is an error naming the fix.

    >>> resolve_method(None, "i", 1), resolve_method(None, "i", 0), resolve_method("ihi", "p", 0)
    ('mdc', 'anhoej', 'ihi')
    """
    if method is None:
        key = rulesets.MDC if direction != 0 and chart_key == "i" else rulesets.ANHOEJ
    else:
        key = check_method(method)
    if direction != 0 and not rulesets.for_chart(chart_key, key).uses_direction:
        why = (
            f"method={method!r} has no direction of improvement"
            if method is not None
            else f"those rules are defined for XmR (I) charts, not {chart_key!r}"
        )
        raise fail(
            "improvement= sets the direction of Making Data Count's improvement and concern "
            f"icons, but {why}. Use chart='i' with method='mdc' (or leave method out), or drop "
            "improvement=."
        )
    return key


def check_period(period: str | None) -> str | None:
    """Map ``period='week'`` etc. to a pandas period code."""
    if period is None:
        return None
    key = str(period).strip().lower()
    if key not in PERIODS:
        valid = ", ".join(repr(p) for p in PERIODS)
        raise fail(f"Unknown period {period!r}. Use one of: {valid}, or None for no aggregation.")
    return PERIODS[key]


def _did_you_mean(name: str, data: pd.DataFrame) -> str:
    """`` Did you mean 'Week ending'?``: the export's heading nearest a mistyped column name.

    Export headings differ from what a learner types by case, spaces or a letter
    ("Week Ending", "week_ending"); naming the heading is the fix, so the message says it.
    """
    headings = [str(c) for c in data.columns]

    def folded(text: str) -> str:
        return re.sub(r"[\s_]+", " ", text).strip().casefold()

    same = [h for h in headings if folded(h) == folded(name)]
    close = same or difflib.get_close_matches(
        folded(name), [folded(h) for h in headings], n=1, cutoff=0.75
    )
    if not close:
        return ""
    match = same[0] if same else headings[[folded(h) for h in headings].index(close[0])]
    return f" Did you mean {match!r}?"


def resolve_column(value: Any, data: pd.DataFrame | None, role: str) -> Any:
    """Look a column name up in ``data``; pass arrays through untouched.

    A column with no values at all is an error that says so (an all-blank column in an
    export is read as empty text, and would otherwise surface as "0 usable points").
    """
    if data is None or value is None:
        if isinstance(value, str) and data is None:
            raise fail(
                f"{role}={value!r} looks like a column name, but no data= was given. "
                f"Pass data=your_dataframe, or pass the values themselves."
            )
        return value
    if isinstance(value, str):
        if value not in data.columns:
            cols = ", ".join(repr(str(c)) for c in list(data.columns)[:12])
            raise fail(
                f"Column {value!r} (for {role}) is not in data.{_did_you_mean(value, data)} "
                f"Its columns are: {cols}."
            )
        column = data[value]
        if len(column) and column.map(_is_blank).all():
            raise fail(
                f"Column {value!r} (for {role}) is empty: all {len(column)} rows are blank. "
                "Check the export has the values in this column (or pick another column)."
            )
        return column
    return value


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip() == ""
    return bool(pd.isna(value)) if is_scalar(value) or value is None else False


def is_scalar(value: object) -> bool:
    """``np.isscalar`` as a plain bool: numpy types it as a guard that narrows a number to
    ``generic | complex | str | bytes | memoryview``, which ``float()`` and ``pd.isna`` reject.
    """
    return bool(np.isscalar(value))


def as_float_array(values: Any, role: str) -> np.ndarray:
    """Numeric 1-D float array with NaN for missing; non-numbers are a clear error."""
    if isinstance(values, (str, bytes)):
        raise fail(f"{role} must be a list or column of numbers, not the text {values!r}.")
    if np.isscalar(values):
        values = [values]
    if isinstance(values, np.ndarray) and values.dtype.kind in "fiub" and values.ndim == 1:
        arr = values.astype(float)  # fast path for numeric arrays (10⁶ points)
        if np.isinf(arr).any():
            first = int(np.flatnonzero(np.isinf(arr))[0])
            raise fail(
                f"{role} has an infinite value at position {first}. Use a finite number or NaN."
            )
        return arr
    series = pd.Series(values) if not isinstance(values, pd.Series) else values
    if series.dtype == bool:
        series = series.astype(float)
    if isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype(object)
    converted = pd.to_numeric(series, errors="coerce")
    bad = converted.isna().to_numpy() & ~pd.isna(series).to_numpy()
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        example = series.iloc[first]
        raise fail(
            f"{role} must be numeric, but position {first} holds {example!r}. "
            f"Convert the column to numbers (e.g. pd.to_numeric) or mark missing values as NaN."
        )
    arr = np.asarray(converted, dtype=float)
    if arr.ndim != 1:
        raise fail(f"{role} must be one-dimensional (one value per point), got shape {arr.shape}.")
    if np.isinf(arr).any():
        first = int(np.flatnonzero(np.isinf(arr))[0])
        raise fail(f"{role} has an infinite value at position {first}. Use a finite number or NaN.")
    return arr


def check_same_length(n_points: int, values: Any, role: str) -> None:
    """Everything per point must line up with y."""
    if values is None:
        return
    length = len(values)
    if length != n_points:
        raise fail(
            f"y has {n_points} values but {role} has {length}. Give one {role} value per y value "
            f"(same length), e.g. by taking both from the same data frame."
        )


def positions(value: Any, n_points: int, role: str, *, one_based: bool) -> list[int]:
    """Validate point positions: ``part`` is 1-based counts, ``exclude`` 0-based positions."""
    if value is None:
        return []
    items: Iterable[Any] = [value] if np.isscalar(value) else value
    out: list[int] = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not float(item).is_integer():
            raise fail(f"{role} must hold whole numbers (point positions), got {item!r}.")
        out.append(int(item))
    lo, hi = (1, n_points - 1) if one_based else (0, n_points - 1)
    for k in out:
        if not lo <= k <= hi:
            what = (
                f"a count of points between 1 and {hi} (the new part starts after that point)"
                if one_based
                else f"a 0-based position between 0 and {hi}"
            )
            raise fail(f"{role}={k} is out of range: each value must be {what}.")
    return sorted(set(out))


def check_freeze(freeze: Any, n_points: int) -> int | None:
    """``freeze=k``: the first k points are the baseline (1 ≤ k ≤ number of points)."""
    if freeze is None:
        return None
    if isinstance(freeze, (bool, np.bool_)) or not float(freeze).is_integer():
        raise fail(f"freeze must be a whole number of points, got {freeze!r}.")
    k = int(freeze)
    if not 1 <= k <= n_points:
        raise fail(
            f"freeze={k} is out of range: it counts the baseline points, so it must be between "
            f"1 and {n_points} (the number of points on the chart)."
        )
    return k


def notes_array(notes: Any, n_points: int, x: Any) -> np.ndarray | None:
    """Notes per row: a list (None for none) or a mapping {x value or position: text}."""
    if notes is None:
        return None
    out = np.full(n_points, "", dtype=object)
    if isinstance(notes, Mapping):
        xs = None if x is None else pd.Series(x).reset_index(drop=True)
        for key, text in notes.items():
            idx = _match_key(key, xs, n_points)
            if idx.size == 0 and _impossible_date(key):
                raise fail(
                    f"notes key {key!r} is not a real date: check its day and month (dates in "
                    f"text are read day first, 08/04/2024 is 8 April)."
                )
            if idx.size == 0:
                raise fail(
                    f"notes key {key!r} matches no point. Use an x value (e.g. a date; dates "
                    f"in text are read day first, 08/04/2024 is 8 April) or a 0-based position."
                )
            out[idx] = str(text)
        return out
    check_same_length(n_points, notes, "notes")
    vals = pd.Series(list(notes), dtype=object)
    mask = vals.isna().to_numpy()
    texts = vals.astype(str).to_numpy(dtype=object)
    texts[mask] = ""
    return texts


def _impossible_date(key: Any) -> bool:
    """Text written as a date whose day or month does not exist (``"31/02/2024"``).

    >>> _impossible_date("31/02/2024"), _impossible_date("28/02/2024"), _impossible_date("x")
    (True, False, False)
    """
    if not isinstance(key, str):
        return False
    if not re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{1,2}-\d{1,2}", key.strip()):
        return False
    try:
        as_date(key)
    except (ValueError, OverflowError):
        return True
    return False


def as_date(key: Any) -> pd.Timestamp:
    """A date given as a date or as text. Text is read day first, as in the UK and as
    :func:`qilab.datasets.read` reads exports: ``"08/04/2024"`` is 8 April 2024; ISO dates
    (``"2024-04-08"``) are read as ISO.

    >>> as_date("08/04/2024").date(), as_date("2024-04-08").date()
    (datetime.date(2024, 4, 8), datetime.date(2024, 4, 8))
    """
    if isinstance(key, str):
        text = key.strip()
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}([ T].*)?", text):
            return pd.Timestamp(text)
        return pd.to_datetime(text, dayfirst=True)
    return pd.Timestamp(key)


def as_table(data: Any) -> pd.DataFrame | None:
    """The table in ``data``: a DataFrame, or the ``(data, report)`` that ``read()`` returns.

    Learners write ``qic(..., data=datasets.read("export.xlsx"))``; the cleaned table is what
    they mean, so it is used (the cleaning report stays theirs to read).
    """
    if data is None or isinstance(data, pd.DataFrame):
        return data
    table = getattr(data, "data", None)
    if isinstance(table, pd.DataFrame):
        return table
    raise fail(
        f"data must be a table (a pandas DataFrame), not {type(data).__name__}. "
        "Load one with qilab.datasets.load(name) or qilab.datasets.read('your_export.xlsx')."
    )


def _match_key(key: Any, xs: pd.Series | None, n_points: int) -> np.ndarray:
    """Rows whose x equals ``key`` (dates compared as dates); else a 0-based position."""
    if xs is not None:
        try:
            if pd.api.types.is_datetime64_any_dtype(xs):
                hit = (xs == as_date(key)).to_numpy()
            else:
                hit = (xs == key).to_numpy()
        except (TypeError, ValueError):
            hit = np.zeros(len(xs), dtype=bool)
        if hit.any():
            return np.flatnonzero(hit)
    if isinstance(key, (int, np.integer)) and 0 <= int(key) < n_points:
        return np.array([int(key)])
    return np.array([], dtype=int)


def check_counts(y: np.ndarray, n: np.ndarray | None, kind: ChartKind) -> None:
    """Counts can't be negative, proportions can't exceed 1, denominators can't be empty."""
    chart = kind.key
    if kind.counts:
        neg = np.flatnonzero(y < 0)
        if neg.size:
            raise fail(
                f"A {chart} chart plots counts, but y is negative at position {int(neg[0])} "
                f"({y[neg[0]]:g}). Counts must be 0 or more; check the data."
            )
    if kind.positive:
        bad = np.flatnonzero(y <= 0)
        if bad.size:
            raise fail(
                f"A {chart} chart needs times between events greater than 0, but position "
                f"{int(bad[0])} is {y[bad[0]]:g}. Remove zero gaps (events on the same day) "
                f"or measure time in smaller units."
            )
    if n is None:
        if kind.needs_n:
            raise fail(
                f"A {chart} chart needs a denominator: pass n= (e.g. patients, or patient-days) "
                f"alongside the numerator y."
            )
        return
    negn = np.flatnonzero(n < 0)
    if negn.size:
        raise fail(
            f"The denominator n is negative at position {int(negn[0])}. Denominators count "
            f"cases or exposure, so they must be greater than 0."
        )
    zero = np.flatnonzero(n == 0)
    if zero.size:
        raise fail(
            f"The denominator n is 0 at position {int(zero[0])}: a rate or proportion needs at "
            f"least one case. Drop that row, or set both y and n to NaN to keep it as a gap."
        )
    orphan = np.flatnonzero(np.isnan(n) & ~np.isnan(y))
    if orphan.size:
        raise fail(
            f"The denominator n is missing at position {int(orphan[0])} but y has a value there. "
            f"Fill in n, or set y to NaN too to mark that point as missing."
        )
    if kind.proportion:
        over = np.flatnonzero(y > n)
        if over.size:
            i = int(over[0])
            raise fail(
                f"For a {chart} chart the numerator can't exceed the denominator, but at position "
                f"{i} y={y[i]:g} > n={n[i]:g}. Check that y counts the cases *with* the "
                f"outcome and n all cases."
            )


def check_target(target: Any, n_points: int) -> np.ndarray | None:
    """A target is one number (a horizontal line) or one per point (a trajectory)."""
    if target is None:
        return None
    if np.isscalar(target):
        return np.full(n_points, float(as_float_array([target], "target")[0]))
    arr = as_float_array(target, "target")
    check_same_length(n_points, arr, "target")
    return arr


def is_categorical(x: Sequence[Any] | pd.Series) -> bool:
    """qicharts2 only joins points and runs its runs analysis when x is numeric or a date."""
    s = pd.Series(x)
    return not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s))

"""Load a shipped data set as a typed DataFrame, exactly as its dictionary describes it.

Types come from the dictionary, never from pandas' guesses, so a learner's ``df.dtypes`` matches
what ``describe`` says: dates are datetimes, categories are categoricals in a meaningful order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from qilab.datasets.catalogue import check_name, csv_path, dictionary
from qilab.datasets.dictionary import Column

from qilab.errors import QilabError


class DatasetFileError(QilabError):
    """A shipped CSV no longer matches its dictionary (edited by hand, or stale)."""


def _fix_hint(name: str) -> str:
    return f"Restore it with `qilab datasets regenerate` (or reinstall QI Lab) for {name!r}."


def _convert(raw: pd.Series, col: Column, name: str) -> pd.Series:
    text = raw.astype("string")
    blank = text.isna() | (text == "")
    if blank.any() and not col.nullable:
        row = int(np.flatnonzero(blank.to_numpy())[0]) + 2  # header is row 1
        raise DatasetFileError(
            f"{name}.csv row {row}, column {col.name!r} is blank but the dictionary says it "
            f"never is. {_fix_hint(name)}"
        )
    try:
        if col.type == "date":
            return pd.to_datetime(text, format="%Y-%m-%d")
        if col.type == "datetime":
            return pd.to_datetime(text, format="%Y-%m-%d %H:%M")
        if col.type == "integer":
            ints = pd.to_numeric(text).astype("Int64")
            return ints if col.nullable else ints.astype("int64")
        if col.type == "float":
            return pd.to_numeric(text).astype("float64")
        if col.type == "boolean":
            return text.map({"true": True, "false": False}).astype("bool")
        if col.type == "category":
            dtype = pd.CategoricalDtype(list(col.categories or ()), ordered=col.ordered)
            values = text.where(~blank)
            unknown = sorted(set(values.dropna()) - set(dtype.categories))
            if unknown:
                raise ValueError(f"values not among its categories: {unknown[:3]}")
            return values.astype(object).astype(dtype)
        return text.where(~blank).astype("str")
    except (ValueError, TypeError) as exc:
        raise DatasetFileError(
            f"{name}.csv column {col.name!r} cannot be read as {col.type}: {exc}. {_fix_hint(name)}"
        ) from None


def load(name: str) -> pd.DataFrame:
    """Load a data set as a pandas DataFrame with the types its dictionary documents.

    Parameters
    ----------
    name : str
        The data set, as listed by :func:`qilab.datasets.list` (for example ``"ed_daily"``).
        A near miss raises an error that suggests the closest names.

    Returns
    -------
    pandas.DataFrame
        One column per dictionary entry, in dictionary order: dates and times as
        ``datetime64``, counts as ``int64`` (``Int64`` where a value may be blank), categories
        as pandas categoricals (ordered where the order means something), text as strings.
        ``df.attrs["name"]`` and ``df.attrs["title"]`` say where it came from.

    Examples
    --------
    >>> from qilab import datasets
    >>> ed = datasets.load("ed_daily")
    >>> ed["date"].dtype.kind
    'M'
    >>> str(ed["day_of_week"].dtype)
    'category'
    >>> ed.plot(x="date", y="pct_within_4_hours")  # doctest: +SKIP
    """
    name = check_name(name)
    d = dictionary(name)
    raw = pd.read_csv(
        csv_path(name), dtype=str, keep_default_na=False, na_values=[], encoding="utf-8"
    )
    if list(raw.columns) != d.column_names:
        raise DatasetFileError(
            f"{name}.csv has columns {list(raw.columns)} but its dictionary lists "
            f"{d.column_names}. {_fix_hint(name)}"
        )
    frame = pd.DataFrame({c.name: _convert(raw[c.name], c, name) for c in d.columns})
    frame.attrs["name"] = d.name
    frame.attrs["title"] = d.title
    return frame

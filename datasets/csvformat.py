"""Write a data set's CSV so the same data always give the same bytes.

Each column is formatted from its dictionary entry, not by pandas' defaults: ISO dates,
a fixed number of decimal places, ``true``/``false``, a blank for missing, UTF-8 without a BOM
and ``\\n`` line endings. That is what makes ``qilab datasets regenerate --check`` meaningful.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import pandas as pd
from qilab.datasets.dictionary import Column, DataDictionary

from qilab.errors import QilabError

#: What to do about a GeneratedDataError, said once for every message.
FIX = (
    "The generator (datasets/gen_*.py) and the data dictionary (datasets/<name>.yaml) disagree: "
    "correct whichever is wrong, then run `qilab datasets regenerate` again."
)


class GeneratedDataError(QilabError, ValueError):
    """A generator produced data that do not match the dictionary (a bug in the generator).

    A :class:`~qilab.errors.QilabError`, so ``qilab datasets regenerate`` prints it as one line
    naming the column and the fix, rather than a traceback; still a ``ValueError`` for callers
    that caught it as one.
    """

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(f"{problem}. {FIX}")


def _format(value: Any, col: Column) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        if not col.nullable:
            raise GeneratedDataError(f"column {col.name!r} has a missing value but is not nullable")
        return ""
    if value is pd.NaT:
        if not col.nullable:
            raise GeneratedDataError(f"column {col.name!r} has a missing date but is not nullable")
        return ""
    kind = col.type
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "datetime":
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    if kind == "integer":
        if float(value) != int(value):
            raise GeneratedDataError(f"column {col.name!r} holds a non-integer {value!r}")
        return str(int(value))
    if kind == "float":
        text = f"{float(value):.{col.decimals}f}"
        return "0" + text[2:] if text.startswith("-0") and float(text) == 0 else text
    if kind == "boolean":
        return "true" if bool(value) else "false"
    text = str(value)
    if kind == "category" and text not in (col.categories or ()):
        raise GeneratedDataError(
            f"column {col.name!r} holds {text!r}, which is not one of its categories"
        )
    return text


def to_csv_bytes(frame: pd.DataFrame, dictionary: DataDictionary) -> bytes:
    """Format ``frame`` column by column as its dictionary says; return UTF-8 bytes."""
    expected = dictionary.column_names
    if list(frame.columns) != expected:
        raise GeneratedDataError(
            f"{dictionary.name}: generator columns {list(frame.columns)} differ from the "
            f"dictionary's {expected}"
        )
    columns = [frame[c.name].tolist() for c in dictionary.columns]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(expected)
    try:
        for values in zip(*columns, strict=True):
            writer.writerow(
                [_format(v, c) for v, c in zip(values, dictionary.columns, strict=True)]
            )
    except GeneratedDataError as err:  # name the data set as well as the column
        raise GeneratedDataError(f"{dictionary.name}: {err.problem}") from None
    return buffer.getvalue().encode("utf-8")


def write_csv(frame: pd.DataFrame, dictionary: DataDictionary, path: Path) -> None:
    path.write_bytes(to_csv_bytes(frame, dictionary))

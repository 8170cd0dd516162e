"""Read one spreadsheet cell as a number or a date, the way a UK learner wrote it.

Each parser returns what it found and how (so the cleaning report can say what was changed),
or ``None``; the date parser also says *why* a value that looks like a date is not one (an
impossible day, or month/day order), because those are the errors a learner can fix.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pandas as pd

#: Text that means "no value" in exports (compared case-insensitively, after trimming).
MISSING_MARKERS = frozenset({"", "-", "–", "—", "n/a", "na", "#n/a", "null", "*", ".", ".."})

#: Excel formula errors: a broken formula, not a missing value.
EXCEL_ERRORS = frozenset({"#div/0!", "#value!", "#ref!", "#name?", "#num!", "#null!", "#spill!"})

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_INVISIBLE = re.compile(r"[\ufeff\u200b\u200c\u200d\u2060]")


def clean_text(value: str) -> str:
    """Trim, drop invisible characters (BOMs, zero-width spaces), collapse inner spaces."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", value)).strip()


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and value.strip().lower() in MISSING_MARKERS


@dataclass(frozen=True)
class Number:
    value: float
    integral_text: bool  # written without a decimal point (or an integral Excel number)
    percent: bool = False
    thousands: bool = False
    currency: bool = False


_PLAIN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d{1,2}%?")


def parse_number(value: Any) -> Number | None:
    """A number from an Excel cell or from text such as '1,234', '93.5%' or '£12.50'."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Number(float(value), integral_text=True)
    if isinstance(value, float):
        return Number(value, integral_text=value.is_integer())
    if not isinstance(value, str):
        return None
    text = value.strip().replace("−", "-")
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    currency = text.startswith("£") or text.startswith("-£")
    if currency:
        text = text.replace("£", "", 1)
    thousands = bool(_GROUPED.fullmatch(text))
    if thousands:
        text = text.replace(",", "")
    elif not _PLAIN.fullmatch(text):
        return None
    number = float(text)
    if percent:
        number /= 100
    integral = not percent and "." not in text and "e" not in text.lower()
    return Number(number, integral, percent=percent, thousands=thousands, currency=currency)


@dataclass(frozen=True)
class Date:
    value: pd.Timestamp
    style: str  # how it was written, for the report: 'dd/mm/yyyy', '1 Mar 2024', 'Excel date'...
    month_only: bool = False


@dataclass(frozen=True)
class NotADate:
    reason: str  # 'us_order', 'impossible' or 'not_a_date'


# (strptime format, label for the report, month only?)
_ISO = [
    ("%Y-%m-%d", "yyyy-mm-dd", False),
    ("%Y-%m-%d %H:%M", "yyyy-mm-dd hh:mm", False),
    ("%Y-%m-%d %H:%M:%S", "yyyy-mm-dd hh:mm:ss", False),
    ("%Y-%m-%dT%H:%M", "yyyy-mm-ddThh:mm", False),
    ("%Y-%m-%dT%H:%M:%S", "yyyy-mm-ddThh:mm:ss", False),
    ("%Y/%m/%d", "yyyy/mm/dd", False),
]
_NUMERIC_DAY_FIRST = [
    ("%d/%m/%Y", "dd/mm/yyyy", False),
    ("%d/%m/%Y %H:%M", "dd/mm/yyyy hh:mm", False),
    ("%d/%m/%Y %H:%M:%S", "dd/mm/yyyy hh:mm:ss", False),
    ("%d/%m/%y", "dd/mm/yy", False),
    ("%d/%m/%y %H:%M", "dd/mm/yy hh:mm", False),
    ("%d-%m-%Y", "dd-mm-yyyy", False),
    ("%d.%m.%Y", "dd.mm.yyyy", False),
]
_NUMERIC_MONTH_FIRST = [
    ("%m/%d/%Y", "mm/dd/yyyy", False),
    ("%m/%d/%Y %H:%M", "mm/dd/yyyy hh:mm", False),
    ("%m/%d/%y", "mm/dd/yy", False),
    ("%m-%d-%Y", "mm-dd-yyyy", False),
]
_WORDS = [
    ("%d %b %Y", "1 Mar 2024", False),
    ("%d %B %Y", "1 March 2024", False),
    ("%d %b %y", "1 Mar 24", False),
    ("%d-%b-%Y", "01-Mar-2024", False),
    ("%d-%b-%y", "01-Mar-24", False),
    ("%d %b %Y %H:%M", "1 Mar 2024 hh:mm", False),
    ("%a %d %b %Y", "Fri 1 Mar 2024", False),
    ("%A %d %B %Y", "Friday 1 March 2024", False),
    ("%b %Y", "Mar 2024", True),
    ("%B %Y", "March 2024", True),
    ("%b-%y", "Mar-24", True),
    ("%b-%Y", "Mar-2024", True),
    ("%b %y", "Mar 24", True),
    ("%B %y", "March 24", True),
]
_ORDINAL = re.compile(r"\b(\d{1,2})(st|nd|rd|th)\b", re.IGNORECASE)
_NUMERIC_SHAPE = re.compile(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{2,4})(?:[ T].*)?")


@lru_cache(maxsize=65536)
def _parse_text_date(text: str, dayfirst: bool) -> Date | NotADate:
    tidy = _ORDINAL.sub(r"\1", clean_text(text)).replace(",", "")
    tidy = re.sub(r"\bSept\b", "Sep", tidy, flags=re.IGNORECASE)
    if not any(ch.isdigit() for ch in tidy):
        return NotADate("not_a_date")
    numeric = _NUMERIC_MONTH_FIRST if not dayfirst else _NUMERIC_DAY_FIRST
    for fmt, label, month_only in (*_ISO, *numeric, *_WORDS):
        try:
            parsed = dt.datetime.strptime(tidy, fmt)
        except ValueError:
            continue
        return Date(pd.Timestamp(parsed), label, month_only)
    shape = _NUMERIC_SHAPE.fullmatch(tidy)
    if shape:
        first, second = int(shape.group(1)), int(shape.group(2))
        if len(shape.group(1)) <= 2 and dayfirst and first <= 12 < second <= 31:
            return NotADate("us_order")
        return NotADate("impossible")
    return NotADate("not_a_date")


def parse_date(value: Any, dayfirst: bool = True) -> Date | NotADate:
    """A date from an Excel date cell or from text in a UK (or ISO) style."""
    if isinstance(value, dt.datetime):
        return Date(pd.Timestamp(value), "Excel date")
    if isinstance(value, dt.date):
        return Date(pd.Timestamp(value), "Excel date")
    if isinstance(value, str):
        return _parse_text_date(value, dayfirst)
    return NotADate("not_a_date")


def column_letter(index: int) -> str:
    """Spreadsheet column letters for a 0-based column index: 0 → A, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters

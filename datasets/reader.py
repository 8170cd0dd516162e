"""Bring your own data: read a learner's CSV or Excel export into a clean, typed table.

Real exports are messy: a title above the headings, blank lines, a 'Grand total' row, dates as
'01/03/2024' or '1 Mar 2024', '93.5%' and '1,234' as text, stray spaces, a BOM. ``read`` cleans
what it safely can, says exactly what it did, and refuses (naming the row and column as Excel
shows them) when a cell cannot be read without guessing.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd
from qilab.datasets.read_files import Grid, load_grid
from qilab.datasets.read_report import CellProblem, CleaningReport, ReadError, row_ranges
from qilab.datasets.read_values import (
    DECIMAL_COMMA,
    EXCEL_ERRORS,
    Date,
    Number,
    clean_text,
    column_letter,
    is_missing,
    parse_date,
    parse_number,
)

TOTAL_ROW = re.compile(r"(grand\s+|sub[\s-]?)?totals?:?|sum:?", re.IGNORECASE)
LEADING_ZERO = re.compile(r"0\d+")


class ReadResult(NamedTuple):
    """The clean table and the report of what was cleaned: ``data, report = read(path)``."""

    data: pd.DataFrame
    report: CleaningReport

    def __repr__(self) -> str:
        rows, cols = self.data.shape
        return f"{self.report}\n(data: {rows} rows × {cols} columns; use .data for the table)"

    def _repr_markdown_(self) -> str:
        return self.report._repr_markdown_()


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and clean_text(value) == "")


def _filled(cells: list[Any]) -> int:
    return sum(not _blank(v) for v in cells)


def _quote(value: Any) -> str:
    text = str(value)
    return f"'{text[:40]}…'" if len(text) > 40 else f"'{text}'"


class _Table(NamedTuple):
    names: list[str]
    letters: list[str]
    rows: list[tuple[int, list[Any]]]


Rows = list[tuple[int, list[Any]]]


def _headings(
    header: list[Any], body: Rows, row_no: int, report: CleaningReport, source: str
) -> tuple[list[int], list[str]]:
    width = len(header)
    headings = ["" if _blank(v) else clean_text(str(v)) for v in header]
    tidied = [
        str(v) for v, h in zip(header, headings, strict=True) if h and isinstance(v, str) and v != h
    ]
    if tidied:
        report.add(f"Tidied spaces in {len(tidied)} heading(s) such as {_quote(tidied[0])}.")
    keep, problems, empty = [], [], 0
    for j in range(width):
        has_data = any(not _blank(cells[j]) for _, cells in body)
        if not headings[j]:
            if has_data:
                letter = column_letter(j)
                problems.append(
                    CellProblem(
                        "this column has values but no heading.",
                        f"Type a heading into cell {letter}{row_no}, or delete the column.",
                        row=row_no,
                        column=letter,
                    )
                )
            else:
                empty += 1
            continue
        keep.append(j)
    if problems:
        raise ReadError(source, problems)
    if empty:
        report.add(f"Ignored {empty} empty column(s) with no heading.")
    names: list[str] = []
    seen: Counter[str] = Counter()
    for j in keep:
        base = headings[j]
        seen[base] += 1
        name = base if seen[base] == 1 else f"{base} ({seen[base]})"
        if name != base:
            report.add(
                f"Two columns are headed '{base}'; column {column_letter(j)} is renamed "
                f"'{name}'. Rename it in your file if that is not what you want."
            )
        names.append(name)
    return keep, names


def _shape(grid: Grid, report: CleaningReport, source: str) -> _Table:
    width = max((len(cells) for _, cells in grid.rows), default=0)
    rows = [(n, list(cells) + [None] * (width - len(cells))) for n, cells in grid.rows]
    non_blank = [(n, c) for n, c in rows if _filled(c)]
    if not non_blank:
        raise ReadError(source, [], summary=f"{source}: there is no data in the file.")
    start = 0
    if width > 1 and _filled(non_blank[0][1]) == 1:
        for k, (_, cells) in enumerate(non_blank[:12]):
            if _filled(cells) >= 2:
                start = k
                break
    if start:
        skipped = [n for n, _ in non_blank[:start]]
        first = next(v for v in non_blank[0][1] if not _blank(v))
        report.add(
            f"Skipped {len(skipped)} title line(s) above the headings ({row_ranges(skipped)}, "
            f"starting {_quote(clean_text(str(first)))})."
        )
    header_no, header = non_blank[start]
    report.header_row = header_no
    body = [(n, c) for n, c in rows if n > header_no]
    keep, names = _headings(header, body, header_no, report, source)

    kept, blanks, totals = [], [], []
    for n, cells in body:
        values = [cells[j] for j in keep]
        if not _filled(values):
            blanks.append(n)
            continue
        first = next(v for v in values if not _blank(v))
        if isinstance(first, str) and TOTAL_ROW.fullmatch(clean_text(first)):
            totals.append((n, clean_text(first)))
            continue
        kept.append((n, values))
    notes = []
    while len(keep) >= 3 and kept:
        n, values = kept[-1]
        filled = [v for v in values if not _blank(v)]
        lone = filled[0] if len(filled) == 1 else None
        if (
            isinstance(lone, str)
            and parse_number(lone) is None
            and not isinstance(parse_date(lone), Date)
        ):
            notes.append((n, clean_text(lone)))
            kept.pop()
        else:
            break
    last = kept[-1][0] if kept else header_no
    inner_blanks = [n for n in blanks if n < last]
    if inner_blanks:
        report.add(f"Dropped {len(inner_blanks)} blank {row_ranges(inner_blanks)}.")
    for n in inner_blanks:
        report.dropped_rows[n] = "blank"
    for n, label in totals:
        report.add(
            f"Dropped the totals row {n} ({_quote(label)}): a total is not a data point, and "
            "a chart would show it as one more, very large, value."
        )
        report.dropped_rows[n] = "totals"
    for n, text in reversed(notes):
        report.add(f"Dropped the note below the table in row {n} ({_quote(text)}).")
        report.dropped_rows[n] = "note"
    if not kept:
        raise ReadError(
            source,
            [],
            summary=f"{source}: there are headings in row {header_no} but no data rows "
            "below them. Check you exported the data, not just the headings.",
        )
    return _Table(names, [column_letter(j) for j in keep], kept)


def _kind(values: list[Any], dayfirst: bool) -> str:
    """Guess a column's type from its non-missing values: 'date', 'number' or 'text'."""
    if not values:
        return "text"
    if any(isinstance(v, str) and LEADING_ZERO.fullmatch(v) for v in values):
        return "code"
    parsed = [parse_date(v, dayfirst) for v in values]
    dates = sum(isinstance(p, Date) for p in parsed)
    # Values shaped like dates but wrong (31/02/2024, a US 03/25/2024) still vote 'date', so
    # the learner hears about them instead of getting a text column.
    date_like = dates + sum(getattr(p, "reason", "") in ("us_order", "impossible") for p in parsed)
    numbers = sum(parse_number(v) is not None for v in values)
    if dates and date_like >= numbers and 2 * date_like > len(values):
        return "date"
    if 2 * numbers > len(values):
        return "number"
    return "text"


def _date_problem(value: Any, dayfirst: bool) -> tuple[str, str]:
    if isinstance(value, str) and value.strip().lower() in EXCEL_ERRORS:
        return (
            f"{_quote(value)} is an Excel formula error.",
            "Fix the formula, or clear the cell.",
        )
    result = parse_date(value, dayfirst)
    reason = getattr(result, "reason", "not_a_date")
    if reason == "us_order":
        return (
            f"{_quote(value)} is not a day/month/year date: there is no month "
            f"{re.split(r'[/.-]', str(value).strip())[1]}.",
            "QI Lab reads dates as day/month/year, as in the UK. If the whole column is "
            "month/day/year (a US export), use read(..., dayfirst=False); otherwise correct "
            "the cell.",
        )
    if reason == "impossible":
        return (
            f"{_quote(value)} is not a real date.",
            "Check the day and month (there is no 31 February, for example) and correct it.",
        )
    if parse_number(value) is not None:
        return (
            f"{_quote(value)} is a number, not a date.",
            "In Excel, format the cell as a date (Format Cells › Date), or type the date "
            "as dd/mm/yyyy.",
        )
    return (
        f"{_quote(value)} is not a date.",
        "Type a date such as 01/03/2024 or 1 Mar 2024, or clear the cell if it is unknown.",
    )


def _number_problem(value: Any) -> tuple[str, str]:
    text = str(value).strip()
    if text.lower() in EXCEL_ERRORS:
        return (f"{_quote(text)} is an Excel formula error.", "Fix the formula, or clear the cell.")
    if DECIMAL_COMMA.fullmatch(text):
        return (
            f"{_quote(text)} uses a decimal comma.",
            f"Write it with a decimal point ({text.replace(',', '.')}), or set Excel to use "
            "'.' as the decimal separator before exporting.",
        )
    if isinstance(parse_date(value), Date):
        return (
            f"{_quote(text)} is a date, but the rest of the column holds numbers.",
            "Move it to the right column or correct it.",
        )
    return (
        f"{_quote(text)} is not a number.",
        "Correct it (digits only, such as 1234, 1,234 or 93.5%), or clear the cell if the "
        "value is missing.",
    )


class _Column(NamedTuple):
    """One column being read: where it is, for messages that point at a cell."""

    name: str
    letter: str
    rows: list[int]  # file row of each value

    @property
    def label(self) -> str:
        return f"Column {self.letter} '{self.name}'"

    def problem(self, row: int, message: str, fix: str) -> CellProblem:
        return CellProblem(message, fix, row=row, column=self.letter, heading=self.name)


def _formula_error(value: Any) -> bool:
    return isinstance(value, str) and value.lower() in EXCEL_ERRORS


def _convert_dates(
    col: _Column,
    values: list[Any],
    dayfirst: bool,
    problems: list[CellProblem],
    report: CleaningReport,
) -> tuple[pd.Series, str]:
    out: list[Any] = []  # Timestamps and NaT
    styles: Counter[str] = Counter()
    months: list[Any] = []
    for n, v in zip(col.rows, values, strict=True):
        if v is None:
            out.append(pd.NaT)
            continue
        parsed = parse_date(v, dayfirst)
        if isinstance(parsed, Date):
            out.append(parsed.value)
            styles[parsed.style] += 1
            if parsed.month_only:
                months.append(v)
        else:
            problems.append(col.problem(n, *_date_problem(v, dayfirst)))
            out.append(pd.NaT)
    written = [s for s in styles if s != "Excel date" and not s.startswith("yyyy")]
    if written:
        shown = ", ".join(f"{s} ({styles[s]})" for s in sorted(written, key=lambda s: -styles[s]))
        order = "day/month/year" if dayfirst else "month/day/year"
        report.add(f"{col.label}: read dates written as {shown}, in {order} order.")
    if months:
        report.add(
            f"{col.label}: {len(months)} month(s) such as {_quote(months[0])} dated the "
            "1st of the month."
        )
    series = pd.Series(pd.to_datetime(out), dtype="datetime64[us]")
    times = series.dropna()
    return series, "date and time" if (times != times.dt.normalize()).any() else "date"


def _convert_numbers(
    col: _Column, values: list[Any], problems: list[CellProblem], report: CleaningReport
) -> tuple[pd.Series, str]:
    parsed: list[Number | None] = []
    for n, v in zip(col.rows, values, strict=True):
        number = None if v is None else parse_number(v)
        if v is not None and number is None:
            problems.append(col.problem(n, *_number_problem(v)))
        parsed.append(number)
    found = [(v, p) for v, p in zip(values, parsed, strict=True) if p is not None]
    percents = [v for v, p in found if p.percent]
    first_percent = next((p.value for _, p in found if p.percent), None)
    if percents:
        for n, v, p in zip(col.rows, values, parsed, strict=True):
            if p is not None and not p.percent and p.value > 1:
                problems.append(
                    col.problem(
                        n,
                        f"{_quote(v)} has no % sign, but other cells in this column are "
                        "percentages.",
                        "Add the % sign if it is a percentage, or write every cell the same way.",
                    )
                )
        report.add(
            f"{col.label}: {len(percents)} percentage(s) such as {_quote(percents[0])} converted "
            f"to proportions ({first_percent:g}), the value Excel stores."
        )
    grouped = [v for v, p in found if p.thousands]
    if grouped:
        report.add(
            f"{col.label}: removed thousands separators from {len(grouped)} value(s) "
            f"such as {_quote(grouped[0])}."
        )
    pounds = sum(p.currency for _, p in found)
    if pounds:
        report.add(f"{col.label}: removed the £ sign from {pounds} value(s).")
    numbers = [None if p is None else p.value for p in parsed]
    if found and all(p.integral_text and p.value.is_integer() for _, p in found):
        ints = pd.Series(pd.array([None if x is None else int(x) for x in numbers], dtype="Int64"))
        if ints.isna().any():
            return ints, "whole number (some blank)"
        return ints.astype("int64"), "whole number"
    kind = "proportion (from percentages)" if percents else "number"
    return pd.Series(numbers, dtype="float64"), kind


def _read_column(
    col: _Column,
    raw: list[Any],
    forced: str | None,
    dayfirst: bool,
    problems: list[CellProblem],
    report: CleaningReport,
) -> tuple[pd.Series, str, int]:
    """Clean, type and convert one column; return (series, type label, cells trimmed)."""
    values, trimmed = [], 0
    for v in raw:
        if isinstance(v, str):
            tidy = clean_text(v)
            trimmed += tidy != v
            v = tidy
        values.append(v)
    errors = [(n, v) for n, v in zip(col.rows, values, strict=True) if _formula_error(v)]
    present = [v for v in values if not is_missing(v) and not _formula_error(v)]
    kind = forced or _kind(present, dayfirst)
    if kind in ("date", "number"):
        markers = [(n, v) for n, v in zip(col.rows, values, strict=True) if v and is_missing(v)]
        if markers:
            report.add(
                f"{col.label}: {len(markers)} cell(s) such as {_quote(markers[0][1])} read as "
                f"missing ({row_ranges([n for n, _ in markers])})."
            )
        values = [None if is_missing(v) else v for v in values]
        if kind == "date":
            return (*_convert_dates(col, values, dayfirst, problems, report), trimmed)
        return (*_convert_numbers(col, values, problems, report), trimmed)
    # Text: a formula error is never data, whatever the rest of the column holds.
    problems += [col.problem(n, *_number_problem(v)) for n, v in errors]
    if kind == "code":
        example = next(v for v in present if LEADING_ZERO.fullmatch(str(v)))
        report.add(
            f"{col.label}: kept as text because values such as {_quote(example)} start with 0 "
            "(codes, not quantities)."
        )
    text = [None if v is None or v == "" else str(v) for v in values]
    if not present and not forced:
        report.add(f"{col.label}: every cell is blank, so the column is empty.")
        return pd.Series(text, dtype="str"), "empty (no values)", trimmed
    return pd.Series(text, dtype="str"), "text", trimmed


def _check_forced(
    option: str, wanted: Iterable[str] | None, names: list[str], source: str
) -> set[str]:
    if wanted is None:
        return set()
    wanted = {wanted} if isinstance(wanted, str) else set(wanted)
    unknown = sorted(wanted - set(names))
    if unknown:
        hints = []
        for u in unknown:
            close = difflib.get_close_matches(u, names, n=1, cutoff=0.5)
            hints.append(f"'{u}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise ReadError(
            source,
            [],
            summary=f"{source}: {option}= names {', '.join(hints)}, but the file has no such "
            f"column. Its columns are: {', '.join(names)}.",
        )
    return wanted


def read(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    dayfirst: bool = True,
    dates: Iterable[str] | None = None,
    numbers: Iterable[str] | None = None,
    text: Iterable[str] | None = None,
) -> ReadResult:
    """Read your own CSV or Excel export into a clean table, and say what was cleaned.

    Headings are found even below a title line; blank rows, totals rows ('Total',
    'Grand total') and notes under the table are dropped; stray spaces and byte-order marks
    are removed; dates in UK styles (01/03/2024, 1 Mar 2024, 2024-03-01, Mar-24) become
    dates; '1,234' and '£12' become numbers and '93.5%' the proportion 0.935 (the value Excel
    stores). Codes with leading zeros ('01234') stay text. Your file is never changed.

    Parameters
    ----------
    path : str or Path
        A ``.csv``, ``.tsv``, ``.txt`` or ``.xlsx`` file.
    sheet : str or int, optional
        For Excel files: the sheet's name or 0-based number (the first sheet by default).
    dayfirst : bool, default True
        Read 01/03/2024 as 1 March (UK). Set False only for a US month/day export.
    dates, numbers, text : list of str, optional
        Column headings to read as dates, numbers or text whatever they look like (for
        example ``text=["Practice code"]``).

    Returns
    -------
    ReadResult
        A named pair ``(data, report)``: ``data`` is a DataFrame (dates as ``datetime64``,
        whole numbers as ``int64`` or ``Int64``, other numbers as ``float64``, text as
        strings); ``report`` is a :class:`CleaningReport` listing what was cleaned, with the
        file row of each data row in ``report.source_rows``.

    Raises
    ------
    ReadError
        When a cell cannot be read without guessing (a date that does not exist, text in a
        column of numbers, a US date, an Excel formula error...). The message gives the row
        and column as Excel shows them (heading row counted) and how to fix each cell.

    Examples
    --------
    >>> from qilab import datasets
    >>> data, report = datasets.read("falls_export.csv")  # doctest: +SKIP
    >>> print(report)  # doctest: +SKIP
    Read CSV file falls_export.csv: 24 rows and 3 columns, headings in row 1.
    Columns: Month: date; Falls: whole number; Bed days: whole number.
    Cleaned:
    - Dropped the totals row 26 ('Grand total'): a total is not a data point, ...
    >>> data, report = datasets.read("audit.xlsx", sheet="Ward 7")  # doctest: +SKIP
    """
    source = Path(path).name
    grid = load_grid(path, sheet)
    report = CleaningReport(source=source, kind=grid.kind, sheet=grid.sheet)
    for note in grid.notes:
        report.add(note)
    table = _shape(grid, report, source)
    forced_dates = _check_forced("dates", dates, table.names, source)
    forced_numbers = _check_forced("numbers", numbers, table.names, source)
    forced_text = _check_forced("text", text, table.names, source)

    rows = [n for n, _ in table.rows]
    problems: list[CellProblem] = []
    columns: dict[str, pd.Series] = {}
    trimmed: dict[str, int] = {}
    forced = {
        **dict.fromkeys(forced_numbers, "number"),
        **dict.fromkeys(forced_dates, "date"),
        **dict.fromkeys(forced_text, "text"),
    }
    for k, (name, letter) in enumerate(zip(table.names, table.letters, strict=True)):
        raw = [cells[k] for _, cells in table.rows]
        columns[name], report.columns[name], trimmed[letter] = _read_column(
            _Column(name, letter, rows), raw, forced.get(name), dayfirst, problems, report
        )
    if problems:
        order = {letter: i for i, letter in enumerate(table.letters)}
        problems.sort(key=lambda p: (p.row or 0, order.get(p.column or "", 0)))
        raise ReadError(source, problems)
    if sum(trimmed.values()):
        where = ", ".join(letter for letter, count in trimmed.items() if count)
        report.add(
            f"Trimmed stray spaces or invisible characters in {sum(trimmed.values())} cell(s) "
            f"(column(s) {where})."
        )
    data = pd.DataFrame(columns)
    report.rows_kept = len(data)
    report.source_rows = rows
    return ReadResult(data, report)

"""Turn a learner's CSV or Excel file into a grid of raw cells, numbered as Excel numbers rows.

The file is read once, as bytes, and never opened for writing: a learner's only copy of an
audit must survive any mistake in this code. Encoding, byte-order marks and delimiters are
worked out here and recorded as notes for the cleaning report.
"""

from __future__ import annotations

import csv
import difflib
import io
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qilab.datasets.read_report import ReadError

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
SAVE_AS = "open it in Excel and use File › Save As › 'CSV UTF-8' or 'Excel Workbook (.xlsx)'"


@dataclass
class Grid:
    """Raw cells: each row is (row number as Excel shows it, list of cell values)."""

    rows: list[tuple[int, list[Any]]]
    kind: str
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


def _fail(source: str, message: str) -> ReadError:
    return ReadError(source, [], summary=f"{source}: {message}")


def _decode(data: bytes, source: str, notes: list[str]) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        notes.append("Removed the byte-order mark (BOM) that Excel puts at the start of the file.")
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        notes.append("The file is UTF-16 text (Excel's 'Unicode Text'); read it as such.")
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        notes.append(
            "The file is not UTF-8; read it as Windows-1252, the encoding of Excel's plain "
            "'CSV' on Windows (check symbols such as £ came through)."
        )
        return data.decode("cp1252", errors="replace")


def _sniff_delimiter(text: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    lines = [line for line in text.splitlines()[:30] if line.strip()]
    best, best_score = ",", (0.0, 1)
    for delimiter in (",", ";", "\t", "|"):
        widths = [len(r) for r in csv.reader(lines, delimiter=delimiter)]
        if not widths:
            continue
        common = max(set(widths), key=widths.count)
        if common < 2:
            continue
        score = (widths.count(common) / len(widths), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_grid(data: bytes, path: Path) -> Grid:
    notes: list[str] = []
    text = _decode(data, path.name, notes)
    delimiter = _sniff_delimiter(text, path.suffix.lower())
    names = {";": "semicolons", "\t": "tabs", "|": "vertical bars"}
    if delimiter in names:
        notes.append(f"Values are separated by {names[delimiter]}, not commas.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [(i, list(cells)) for i, cells in enumerate(reader, start=1)]
    return Grid(rows=rows, kind="CSV", notes=notes)


def _excel_grid(data: bytes, path: Path, sheet: str | int | None) -> Grid:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - depends on the environment
        raise _fail(
            path.name,
            "reading Excel files needs the openpyxl package. Install it "
            "(pip install openpyxl), or save the sheet as CSV and read that.",
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), data_only=True, read_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _fail(
            path.name,
            f"could not be opened as an Excel workbook ({type(exc).__name__}). It may be "
            f"password-protected, damaged, or not really an .xlsx file: {SAVE_AS}.",
        ) from None
    titles = book.sheetnames
    if sheet is None:
        chosen = book.worksheets[0]
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(titles):
            raise _fail(
                path.name,
                f"has {len(titles)} sheet(s), so there is no sheet number {sheet} "
                f"(numbers start at 0). Its sheets are: {', '.join(titles)}.",
            )
        chosen = book.worksheets[sheet]
    elif sheet in titles:
        chosen = book[sheet]
    else:
        close = difflib.get_close_matches(str(sheet), titles, n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise _fail(
            path.name,
            f"has no sheet called '{sheet}'.{hint} Its sheets are: {', '.join(titles)}.",
        )
    notes = []
    if len(titles) > 1:
        others = ", ".join(f"'{t}'" for t in titles if t != chosen.title)
        notes.append(
            f"Read sheet '{chosen.title}'; the workbook also has {others} "
            "(pass sheet='name' to read another)."
        )
    rows = [
        (i, list(values))
        for i, values in enumerate(
            chosen.iter_rows(
                min_row=1, max_row=chosen.max_row, max_col=chosen.max_column, values_only=True
            ),
            start=1,
        )
    ]
    book.close()
    return Grid(rows=rows, kind="Excel", sheet=chosen.title, notes=notes)


def load_grid(path: str | Path, sheet: str | int | None = None) -> Grid:
    """Read ``path`` (CSV, TSV, TXT or XLSX) into a :class:`Grid`; raise ReadError if it can't."""
    path = Path(path).expanduser()
    source = path.name
    if not path.exists():
        raise _fail(
            source,
            f"cannot find this file (looked for {path.resolve()}). Check the name and folder; "
            "in JupyterLab, right-click the file and choose 'Copy Path'.",
        )
    if path.is_dir():
        raise _fail(source, "this is a folder, not a file: give the path of the file inside it.")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise _fail(source, f"is in the old .xls format, which QI Lab cannot read: {SAVE_AS}.")
    if suffix not in TEXT_SUFFIXES | EXCEL_SUFFIXES:
        raise _fail(
            source,
            f"has the extension '{suffix or '(none)'}'; QI Lab reads .csv, .tsv, .txt and "
            f".xlsx files: {SAVE_AS}.",
        )
    data = path.read_bytes()
    if not data.strip():
        raise _fail(source, "the file is empty. Check you saved it after pasting the data.")
    if suffix in EXCEL_SUFFIXES:
        return _excel_grid(data, path, sheet)
    if sheet is not None:
        raise _fail(source, "is a CSV file, which has no sheets: leave out sheet=.")
    return _csv_grid(data, path)

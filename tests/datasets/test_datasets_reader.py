"""Bring your own data: ``read`` cleans what it safely can and points at what it cannot.

Every file is created in ``tmp_path``; every read goes through :func:`read_untouched`, which
fails the test if the learner's file changed in any way (bytes, size or modification time) or
if anything new appeared beside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import openpyxl  # reads learners' .xlsx exports: a dependency of qilab, so never skipped
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qilab.datasets import ReadError

from qilab import datasets
from qilab.errors import QilabError


def _state(folder: Path) -> dict[str, tuple[str, int, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def read_untouched(path: Path, **kwargs) -> datasets.ReadResult:
    """``datasets.read`` that also proves the file (and its folder) were left exactly as found."""
    before = _state(path.parent)
    try:
        return datasets.read(path, **kwargs)
    finally:
        assert _state(path.parent) == before, "read() must never change the learner's files"


def read_error(path: Path, **kwargs) -> ReadError:
    with pytest.raises(ReadError) as caught:
        read_untouched(path, **kwargs)
    assert isinstance(caught.value, QilabError)
    return caught.value


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    old = 1_600_000_000  # an old modification time, so a rewrite could not go unnoticed
    os.utime(path, (old, old))
    return path


# ---- clean files and the cleaning of messy ones --------------------------------------------


def test_a_clean_file_is_read_as_is(tmp_path):
    path = write(tmp_path, "clean.csv", "date,falls\n2024-03-01,5\n2024-03-02,7\n")
    data, report = read_untouched(path)
    assert list(data.columns) == ["date", "falls"]
    assert data["date"].tolist() == [pd.Timestamp("2024-03-01"), pd.Timestamp("2024-03-02")]
    assert data["falls"].dtype == "int64" and data["falls"].tolist() == [5, 7]
    assert not report.changed
    assert "Nothing needed cleaning" in str(report)
    assert report.columns == {"date": "date", "falls": "whole number"}
    assert report.source_rows == [2, 3]


MESSY = (
    "\ufeffFalls report for Elm Ward,,,\n"
    "\n"
    "Month , Falls,Bed days, 4hr perf\n"
    '01/04/2024, 7 ,"1,234",93.5%\n'
    '1 May 2024,5,"1,180",91%\n'
    "\n"
    '2024-06-01,n/a,"1,201",88.0%\n'
    "Jul-24,4,1190,-\n"
    'Grand total,16,"4,805",\n'
    "Source: Datix extract,,,\n"
    "\n"
)


def test_a_messy_export_is_cleaned_and_every_step_reported(tmp_path):
    path = write(tmp_path, "messy.csv", MESSY)
    data, report = read_untouched(path)
    assert list(data.columns) == ["Month", "Falls", "Bed days", "4hr perf"]
    assert data["Month"].tolist() == list(
        pd.to_datetime(["2024-04-01", "2024-05-01", "2024-06-01", "2024-07-01"])
    )
    assert data["Falls"].dtype == "Int64" and data["Falls"].tolist() == [7, 5, pd.NA, 4]
    assert data["Bed days"].tolist() == [1234, 1180, 1201, 1190]
    assert data["4hr perf"].tolist()[:3] == pytest.approx([0.935, 0.91, 0.88])
    assert pd.isna(data["4hr perf"].iloc[3])
    assert report.header_row == 3
    assert report.source_rows == [4, 5, 7, 8]
    assert report.dropped_rows == {6: "blank", 9: "totals", 10: "note"}
    text = str(report)
    for expected in (
        "byte-order mark",
        "Skipped 1 title line(s) above the headings (row 1",
        "Dropped 1 blank row 6",
        "totals row 9 ('Grand total')",
        "note below the table in row 10",
        "dd/mm/yyyy (1), 1 Mar 2024 (1), Mar-24 (1)",
        "'n/a' read as missing (row 7)",
        "thousands separators from 3",
        "'93.5%' converted to proportions (0.935)",
        "Tidied spaces in 3 heading(s)",
        "Trimmed stray spaces",
        "Your file was not changed",
    ):
        assert expected in text, expected
    assert "| Bed days | whole number |" in report._repr_markdown_()


def test_read_result_unpacks_and_shows_the_report(tmp_path):
    path = write(tmp_path, "messy.csv", MESSY)
    result = read_untouched(path)
    data, report = result
    assert result.data is data and result.report is report
    assert "use .data for the table" in repr(result)
    assert result._repr_markdown_() == report._repr_markdown_()


@pytest.mark.parametrize(
    ("name", "text", "encoding", "note"),
    [
        ("semi.csv", "Ward;Falls\nAsh;3\nBeech;4\n", "utf-8", "semicolons"),
        ("tabs.tsv", "Ward\tFalls\nAsh\t3\nBeech\t4\n", "utf-8", "tabs"),
        ("tabs.txt", "Ward\tFalls\nAsh\t3\nBeech\t4\n", "utf-8", "tabs"),
        ("crlf.csv", "Ward,Falls\r\nAsh,3\r\nBeech,4\r\n", "utf-8", None),
        ("unicode.txt", "Ward\tFalls\nAsh\t3\nBeech\t4\n", "utf-16", "UTF-16"),
        ("windows.csv", "Ward,Falls\nAsh,3\nBeech,4\n", "cp1252", None),
    ],
)
def test_encodings_and_delimiters(tmp_path, name, text, encoding, note):
    data, report = read_untouched(write(tmp_path, name, text, encoding))
    assert data["Ward"].tolist() == ["Ash", "Beech"]
    assert data["Falls"].tolist() == [3, 4]
    if note:
        assert note in str(report)


def test_windows_1252_pounds_are_read(tmp_path):
    path = write(tmp_path, "costs.csv", 'Ward,Cost\nAsh,"£1,234.50"\nBeech,£99\n', "cp1252")
    data, report = read_untouched(path)
    assert data["Cost"].tolist() == [1234.5, 99.0]
    assert "Windows-1252" in str(report) and "£ sign" in str(report)


@pytest.mark.parametrize(
    "written",
    [
        "01/03/2024",
        "1/3/2024",
        "01/03/24",
        "1 Mar 2024",
        "1 March 2024",
        "01-Mar-2024",
        "01-Mar-24",
        "2024-03-01",
        "1st March 2024",
        "Fri 1 Mar 2024",
        "01.03.2024",
        "01-03-2024",
    ],
)
def test_uk_and_iso_dates_read_as_1_march_2024(tmp_path, written):
    path = write(tmp_path, "d.csv", f'Date,Falls\n"{written}",3\n02/03/2024,4\n')
    data, _ = read_untouched(path)
    assert data["Date"].iloc[0] == pd.Timestamp("2024-03-01")


@pytest.mark.parametrize("written", ["Mar-24", "March 2024", "Mar 2024", "Sept 2024"])
def test_months_are_dated_by_their_first_day(tmp_path, written):
    data, report = read_untouched(write(tmp_path, "m.csv", f"Month,Falls\n{written},3\n"))
    assert data["Month"].iloc[0].day == 1
    assert "1st of the month" in str(report)


def test_times_are_kept(tmp_path):
    path = write(tmp_path, "t.csv", "Arrival,Minutes\n01/03/2024 14:30,45\n02/03/2024 09:05,50\n")
    data, report = read_untouched(path)
    assert data["Arrival"].iloc[0] == pd.Timestamp("2024-03-01 14:30")
    assert report.columns["Arrival"] == "date and time"


def test_codes_with_leading_zeros_stay_text(tmp_path):
    path = write(tmp_path, "codes.csv", "Practice code,Patients\n01234,50\n00567,40\n")
    data, report = read_untouched(path)
    assert data["Practice code"].tolist() == ["01234", "00567"]
    assert "start with 0" in str(report)


def test_column_types_can_be_forced(tmp_path):
    path = write(tmp_path, "f.csv", "Ward,Year,Score\nAsh,2023,5\nBeech,2024,6\n")
    data, _ = read_untouched(path, text=["Year"])
    assert data["Year"].tolist() == ["2023", "2024"]
    error = read_error(path, numbers=["Ward"])
    assert "Row 2, column A ('Ward'): 'Ash' is not a number." in str(error)


def test_duplicate_headings_empty_columns_and_subtotals(tmp_path):
    text = "Ward,Falls,Falls,,\nAsh,3,1,,\nSubtotal,3,1,,\nBeech,4,2,,\n"
    data, report = read_untouched(write(tmp_path, "dup.csv", text))
    assert list(data.columns) == ["Ward", "Falls", "Falls (2)"]
    assert data["Ward"].tolist() == ["Ash", "Beech"]
    assert "renamed 'Falls (2)'" in str(report)
    assert "Ignored 2 empty column(s)" in str(report)
    assert report.dropped_rows == {3: "totals"}


def test_us_dates_read_with_dayfirst_false(tmp_path):
    path = write(tmp_path, "us.csv", "Date,Falls\n03/25/2024,3\n04/01/2024,4\n")
    data, report = read_untouched(path, dayfirst=False)
    assert data["Date"].tolist() == [pd.Timestamp("2024-03-25"), pd.Timestamp("2024-04-01")]
    assert "month/day/year" in str(report)


# ---- files that cannot be read: which row and column, and how to fix it ---------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Month,Falls\n01/04/2024,3\n01/05/2024,4\n01/06/2024,twelve\n01/07/2024,5\n",
            "Row 4, column B ('Falls'): 'twelve' is not a number. Correct it",
        ),
        (
            "Date,Falls\n30/01/2024,3\n31/02/2024,4\n01/03/2024,5\n",
            "Row 3, column A ('Date'): '31/02/2024' is not a real date.",
        ),
        (
            "Date,Falls\n01/03/2024,3\n03/25/2024,4\n01/04/2024,5\n",
            "Row 3, column A ('Date'): '03/25/2024' is not a day/month/year date: there is no "
            "month 25.",
        ),
        (
            "Ward,Rate\nAsh,0.5\nBeech,#DIV/0!\nCedar,0.7\n",
            "Row 3, column B ('Rate'): '#DIV/0!' is an Excel formula error.",
        ),
        (
            'Ward,Compliance\nAsh,"93,5"\nBeech,91.0\nCedar,90.2\n',
            "Row 2, column B ('Compliance'): '93,5' uses a decimal comma. Write it with a "
            "decimal point (93.5)",
        ),
        (
            "Ward,Compliance\nAsh,93%\nBeech,94\nCedar,95%\n",
            "Row 3, column B ('Compliance'): '94' has no % sign",
        ),
        (
            "Date,Falls\n01/03/2024,3\n45352,4\n03/03/2024,5\n",
            "Row 3, column A ('Date'): '45352' is a number, not a date.",
        ),
        (
            "Date,Falls\n01/03/2024,3\nTBC,4\n03/03/2024,5\n",
            "Row 3, column A ('Date'): 'TBC' is not a date.",
        ),
        (
            "Ward,Falls\nAsh,3\nBeech,01/03/2024\nCedar,5\n",
            "Row 3, column B ('Falls'): '01/03/2024' is a date, but the rest of the column",
        ),
        (
            "Date,,Falls\n01/03/2024,x,3\n",
            "Row 1, column B: this column has values but no heading. Type a heading into cell B1",
        ),
    ],
)
def test_broken_cells_are_named_by_row_and_column(tmp_path, text, expected):
    error = read_error(write(tmp_path, "broken.csv", text))
    assert expected in str(error)
    assert "the heading row counts" in str(error) and "never changes your file" in str(error)
    assert error.problems and error.problems[0].row is not None


def test_row_numbers_count_title_and_blank_lines_as_excel_does(tmp_path):
    text = (
        "A&E weekly report\n\nWeek,Attendances\n04/03/2024,1900\n\n11/03/2024,lots\n"
        "18/03/2024,1850\n25/03/2024,1875\n"
    )
    error = read_error(write(tmp_path, "rows.csv", text))
    assert "Row 6, column B ('Attendances'): 'lots' is not a number." in str(error)


def test_every_problem_is_listed_up_to_a_limit(tmp_path):
    rows = "".join(f"0{i}/03/2024,bad{i}\n" for i in range(1, 10)) + "10/03/2024,1\n" * 12
    error = read_error(write(tmp_path, "many.csv", "Date,Falls\n" + rows))
    assert len(error.problems) == 9
    assert str(error).startswith("many.csv: 9 cells need fixing.")
    assert "… and 1 more like these." in str(error)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.csv", None, "cannot find this file"),
        ("empty.csv", "", "the file is empty"),
        ("spaces.csv", "  \n\n ", "the file is empty"),
        ("old.xls", "x", "old .xls format"),
        ("notes.docx", "x", "QI Lab reads .csv, .tsv, .txt and .xlsx"),
        ("headings.csv", "Date,Falls\n,\n", "no data rows below them"),
        ("commas.csv", ",,,\n,,\n", "no data in the file"),
    ],
)
def test_file_level_problems_say_what_to_do(tmp_path, name, content, expected):
    path = tmp_path / name
    if content is not None:
        write(tmp_path, name, content)
        error = read_error(path)
    else:
        with pytest.raises(ReadError) as caught:
            datasets.read(path)
        error = caught.value
        assert str(path.resolve()) in str(error)
    assert expected in str(error)
    assert str(error).startswith(name)


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(ReadError, match="folder, not a file"):
        datasets.read(tmp_path)


def test_forcing_an_unknown_column_suggests_the_right_one(tmp_path):
    path = write(tmp_path, "f.csv", "Ward,Falls\nAsh,3\n")
    error = read_error(path, dates=["Fall"])
    assert "'Fall' (did you mean 'Falls'?)" in str(error)
    assert read_error(path, sheet="Sheet1").args[0].endswith("leave out sheet=.")


# ---- Excel workbooks -------------------------------------------------------------------------


def excel(tmp_path: Path, name: str = "audit.xlsx") -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Summary"
    sheet.append(["Hand hygiene audit, medical wards"])
    sheet.append([])
    sheet.append(["Month", "Ward code", "Observed", "Compliance"])
    sheet.append([dt.datetime(2024, 4, 1), "0123", 20, 0.9])
    sheet.append([dt.datetime(2024, 5, 1), "0456", 25, 0.88])
    sheet.append([dt.datetime(2024, 6, 1), "0789", 18, 0.935])
    for row in range(4, 7):
        sheet[f"D{row}"].number_format = "0.0%"
    sheet.append(["Total", None, 63, None])
    other = book.create_sheet("Raw data")
    other.append(["Ward", "Observed"])
    other.append(["Ash", 12])
    path = tmp_path / name
    book.save(path)
    old = 1_600_000_000
    os.utime(path, (old, old))
    return path


def test_excel_cells_keep_their_types(tmp_path):
    data, report = read_untouched(excel(tmp_path))
    assert data["Month"].tolist() == list(
        pd.to_datetime(["2024-04-01", "2024-05-01", "2024-06-01"])
    )
    assert data["Ward code"].tolist() == ["0123", "0456", "0789"]
    assert data["Observed"].tolist() == [20, 25, 18]
    assert data["Compliance"].tolist() == pytest.approx([0.9, 0.88, 0.935])
    assert report.kind == "Excel" and report.sheet == "Summary" and report.header_row == 3
    assert report.source_rows == [4, 5, 6]
    assert report.dropped_rows == {7: "totals"}
    assert "also has 'Raw data'" in str(report)


def test_excel_sheets_by_name_or_number(tmp_path):
    path = excel(tmp_path)
    by_name, _ = read_untouched(path, sheet="Raw data")
    by_number, _ = read_untouched(path, sheet=1)
    assert by_name.equals(by_number) and by_name["Ward"].tolist() == ["Ash"]
    assert "Did you mean 'Raw data'?" in str(read_error(path, sheet="raw data"))
    assert "no sheet number 5" in str(read_error(path, sheet=5))


def test_excel_errors_are_named_by_cell(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Ward", "Rate"])
    book.active.append(["Ash", 0.5])
    book.active.append(["Beech", "#DIV/0!"])
    path = tmp_path / "errors.xlsx"
    book.save(path)
    error = read_error(path)
    assert "Row 3, column B ('Rate'): '#DIV/0!' is an Excel formula error." in str(error)


def test_a_damaged_workbook_is_reported(tmp_path):
    path = write(tmp_path, "damaged.xlsx", "this is not a zip file")
    assert "could not be opened as an Excel workbook" in str(read_error(path))


# ---- properties ------------------------------------------------------------------------------

_UK_STYLES = ("%d/%m/%Y", "%d %b %Y", "%d %B %Y", "%d-%b-%y", "%Y-%m-%d", "%d/%m/%y")


@settings(max_examples=40, deadline=None)
@given(
    days=st.lists(
        st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2060, 12, 31)),
        min_size=1,
        max_size=6,
    ),
    style=st.sampled_from(_UK_STYLES),
    counts=st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=6, max_size=6),
)
def test_uk_dates_and_grouped_numbers_round_trip(tmp_path_factory, days, style, counts):
    folder = tmp_path_factory.mktemp("prop")
    lines = ["Date,Count"] + [
        f'"{d.strftime(style)}","{c:,}"' for d, c in zip(days, counts, strict=False)
    ]
    path = write(folder, "p.csv", "\n".join(lines) + "\n")
    data, _ = read_untouched(path)
    assert [t.date() for t in data["Date"]] == days
    assert data["Count"].tolist() == counts[: len(days)]

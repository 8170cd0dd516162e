"""Grade files an LMS imports: Moodle's grading worksheet and gradebook CSV, Canvas's gradebook.

Only **final** marks leave QI Lab (no written answer waiting for a tutor): a provisional mark
in an LMS is a mark a learner and their supervisor act on. Grades are percentages of the
assignment's marks (after any late penalty), scaled to the LMS item's maximum where the LMS
file says it.

A feedback column is never written without its grade: Moodle's own documentation warns that
"importing feedback will also overwrite any grades that are linked to that assessment … if
both columns are not included then all grades for that activity will be lost"
(docs.moodle.org, *Grade import*). So each feedback cell is filled exactly when its grade is,
and a learner without a final mark is left out (gradebook files) or left as the LMS wrote the
row (the Moodle worksheet).

Layouts (checked against the LMS documentation and Moodle's importer source,
``mod/assign/feedback/offline/importgradeslib.php``):

- **Moodle offline grading worksheet** (*Assignment → View all submissions → Download grading
  worksheet*): ``Identifier`` (``Participant 123``), ``Full name``, ``Email address``,
  ``Status``, ``Grade``, ``Maximum grade``, ``Grade can be changed``,
  ``Last modified (submission)``, ``Last modified (grade)``, ``Feedback comments``. Moodle
  matches rows by ``Identifier``, which only Moodle knows, so QI Lab fills in the worksheet the
  tutor downloaded (matching learners by email address) rather than inventing one.
- **Moodle gradebook CSV import** (*Grades → Import → CSV file*): a learner column to map
  from — ``Email address`` (map to *useremail*) or ``ID number`` (*useridnumber*) — then one
  grade column per assignment and its feedback column.
- **Canvas gradebook CSV** (*Grades → Import*): ``Student``, ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Section``, then one column per assignment; the second row is
  ``Points Possible``. Canvas matches learners by ``SIS User ID`` (here the roster id) when
  ``ID`` (Canvas's own number) is empty.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from qilab.escalator.gradebook import table_rows

from .course import CourseError

if TYPE_CHECKING:
    from .cohort import CohortData

CANVAS_IDENTITY = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
POINTS_POSSIBLE = "Points Possible"
WORKSHEET_REQUIRED = ["Identifier", "Email address", "Grade", "Maximum grade"]
WORKSHEET_FEEDBACK = "Feedback comments"
MOODLE_KEYS = {"email": "Email address", "idnumber": "ID number"}


def final_marks(data: CohortData) -> pd.DataFrame:
    """learner, name, email, assignment, percent, feedback — final marks only."""
    rows = data.status[(data.status["marks"] == "final") & data.status["percent"].notna()]
    table = rows[["learner", "name", "email", "assignment", "percent", "status"]].copy()
    table["feedback"] = [
        feedback_comment(data, row.learner, row.assignment) for row in table_rows(table)
    ]
    return table.reset_index(drop=True)


def feedback_comment(data: CohortData, learner: str, assignment: str) -> str:
    """A short, plain comment for the LMS: the mark, the verdict and any late penalty."""
    row = data.status[
        (data.status["learner"] == learner) & (data.status["assignment"] == assignment)
    ].iloc[0]
    verdict = "Passed" if row["status"] == "completed" else f"Not passed yet ({row['status']})"
    text = (
        f"{row['score']:g} of {row['max_score']:g} marks ({row['percent']:.1f} %; pass mark "
        f"{row['pass_mark']:g} %). {verdict}."
    )
    if row["late_penalty"] and row["late_penalty"] > 0:
        text += f" Includes a late penalty of {row['late_penalty']:g} marks."
    if row["detail"]:
        text += f" {str(row['detail'])[0].upper()}{str(row['detail'])[1:]}."
    return text


def _fmt(value: float) -> str:
    return f"{value:.2f}"


#: A cell starting with one of these is a formula to Excel and LibreOffice ("CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> str:
    """Text for a CSV a person opens in a spreadsheet: never read as a formula.

    A roster name such as ``=HYPERLINK("http://…")`` would run as a formula when a tutor opens
    the file in Excel; a leading apostrophe makes it plain text (OWASP's advice).

    Examples
    --------
    >>> print(safe_text('=HYPERLINK("http://x")'), "|", safe_text("Dr Aisha Khan"))
    '=HYPERLINK("http://x") | Dr Aisha Khan
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


# -- Canvas -----------------------------------------------------------------------------------
def canvas_gradebook(data: CohortData, path: Path) -> Path:
    """Canvas's gradebook import CSV (percent, Points Possible 100); final marks only."""
    marks = final_marks(data)
    people = data.book.learners.sort_values("learner")
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow([*CANVAS_IDENTITY, *data.assignments])
        out.writerow([POINTS_POSSIBLE, "", "", "", "", *["100.00"] * len(data.assignments)])
        for person in table_rows(people):
            mine = marks[marks["learner"] == person.learner].set_index("assignment")
            if mine.empty:
                continue
            student = ", ".join(p for p in (person.last_name, person.first_name) if p)
            out.writerow(
                [
                    safe_text(student or person.learner),
                    "",
                    person.learner,
                    person.email,
                    "",
                    *[
                        _fmt(mine.loc[a, "percent"]) if a in mine.index else ""
                        for a in data.assignments
                    ],
                ]
            )
    return Path(path)


def read_canvas(path: Path) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Parse a Canvas gradebook CSV back: (points possible, SIS User ID -> assignment -> grade)."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header, points, *learners = rows
    if header[: len(CANVAS_IDENTITY)] != CANVAS_IDENTITY or points[0].strip() != POINTS_POSSIBLE:
        raise CourseError(f"{path} is not a Canvas gradebook CSV (wrong first columns or rows).")
    items = header[len(CANVAS_IDENTITY) :]
    possible = {a: float(v) for a, v in zip(items, points[len(CANVAS_IDENTITY) :], strict=True)}
    grades: dict[str, dict[str, float]] = {}
    for row in learners:
        values = row[len(CANVAS_IDENTITY) :]
        grades[row[2]] = {a: float(v) for a, v in zip(items, values, strict=True) if v != ""}
    return possible, grades


# -- Moodle gradebook import ------------------------------------------------------------------
def moodle_gradebook(data: CohortData, path: Path, key: str = "email") -> Path:
    """Moodle's gradebook CSV import, one row per learner with a final mark.

    ``key`` is ``email`` (map *Email address* to *useremail*) or ``idnumber`` (map *ID number*
    to *useridnumber*; the roster id). Each assignment has a grade column and a feedback
    column, always filled together.
    """
    if key not in MOODLE_KEYS:
        raise CourseError(f"unknown Moodle key {key!r}: use email or idnumber.")
    marks = final_marks(data)
    people = data.book.learners.sort_values("learner")
    header = [MOODLE_KEYS[key], "First name", "Last name"]
    for assignment in data.assignments:
        header += [assignment, f"{assignment} (feedback)"]
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(header)
        for person in table_rows(people):
            mine = marks[marks["learner"] == person.learner].set_index("assignment")
            if mine.empty:
                continue
            ident = person.email if key == "email" else person.learner
            row = [ident, safe_text(person.first_name), safe_text(person.last_name)]
            for assignment in data.assignments:
                if assignment in mine.index:
                    row += [
                        _fmt(mine.loc[assignment, "percent"]),
                        safe_text(mine.loc[assignment, "feedback"]),
                    ]
                else:
                    row += ["", ""]
            out.writerow(row)
    return Path(path)


def read_moodle(path: Path) -> dict[str, dict[str, tuple[float, str]]]:
    """Parse a Moodle gradebook CSV back: key -> assignment -> (grade, feedback)."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    header, *learners = rows
    items = header[3::2]
    found: dict[str, dict[str, tuple[float, str]]] = {}
    for row in learners:
        mine = {}
        for i, assignment in enumerate(items):
            grade, feedback = row[3 + 2 * i], row[4 + 2 * i]
            if grade == "" and feedback:
                raise CourseError(f"{path}: feedback without a grade for {row[0]} ({assignment}).")
            if grade != "":
                mine[assignment] = (float(grade), feedback)
        found[row[0]] = mine
    return found


# -- Moodle offline grading worksheet ---------------------------------------------------------
@dataclass
class WorksheetReport:
    """What filling a worksheet did."""

    path: Path
    filled: list[str] = field(default_factory=list)
    provisional: list[str] = field(default_factory=list)  # held back: not final yet
    no_marks: list[str] = field(default_factory=list)  # in the worksheet, nothing marked
    not_in_worksheet: list[str] = field(default_factory=list)  # final mark, no worksheet row
    unknown: list[str] = field(default_factory=list)  # worksheet rows not on the roster

    def __str__(self) -> str:
        lines = [f"Moodle grading worksheet: {self.path} ({len(self.filled)} grade(s) filled in)"]
        if self.provisional:
            lines.append(
                "  left as they were (provisional: written answers awaiting a tutor): "
                + ", ".join(self.provisional)
            )
        if self.no_marks:
            lines.append("  left as they were (nothing marked yet): " + ", ".join(self.no_marks))
        if self.not_in_worksheet:
            lines.append(
                "  final marks with no row in the worksheet (enrol them in Moodle, or check "
                "their email address): " + ", ".join(self.not_in_worksheet)
            )
        if self.unknown:
            lines.append("  worksheet rows not on the roster: " + ", ".join(self.unknown))
        return "\n".join(lines)


def moodle_worksheet(
    data: CohortData, assignment: str, worksheet: Path, out: Path
) -> WorksheetReport:
    """Fill in the grading worksheet Moodle gave the tutor, keeping every other column as is.

    Rows are matched by email address (case-insensitive). ``Grade`` is the percent scaled to
    the row's ``Maximum grade``; ``Feedback comments`` is filled only where ``Grade`` is. Rows
    without a final mark are written back exactly as Moodle wrote them.
    """
    if assignment not in data.assignments:
        raise CourseError(
            f"{assignment!r} is not in this course's gradebook: use one of "
            f"{', '.join(data.assignments) or '(none released yet)'}."
        )
    worksheet = Path(worksheet)
    if not worksheet.is_file():
        raise CourseError(
            f"no worksheet at {worksheet}: download it from Moodle (Assignment → View all "
            "submissions → Grading action → Download grading worksheet)."
        )
    with worksheet.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    missing = [c for c in WORKSHEET_REQUIRED if c not in columns]
    if missing:
        raise CourseError(
            f"{worksheet} is not a Moodle grading worksheet (no {', '.join(missing)} column): "
            "download it again from Moodle."
        )
    report = WorksheetReport(Path(out))
    marks = final_marks(data)
    marks = marks[marks["assignment"] == assignment]
    by_email = {
        str(e).lower(): row for e, row in zip(marks["email"], table_rows(marks), strict=True)
    }
    status = data.status[data.status["assignment"] == assignment]
    state = {str(e).lower(): r for e, r in zip(status["email"], table_rows(status), strict=True)}
    seen = set()
    for row in rows:
        email = str(row.get("Email address", "")).strip().lower()
        seen.add(email)
        mark = by_email.get(email)
        if mark is None:
            known = state.get(email)
            if known is None:
                report.unknown.append(row.get("Email address", "") or row["Identifier"])
            elif known.marks == "provisional":
                report.provisional.append(known.learner)
            else:
                report.no_marks.append(known.learner)
            continue
        maximum = float(row.get("Maximum grade") or 100)
        row["Grade"] = _fmt(mark.percent / 100 * maximum)
        if WORKSHEET_FEEDBACK in columns:
            row[WORKSHEET_FEEDBACK] = safe_text(mark.feedback)
        report.filled.append(mark.learner)
    report.not_in_worksheet = sorted(
        row.learner for email, row in by_email.items() if email not in seen
    )
    with Path(out).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return report


def read_worksheet(path: Path) -> list[dict[str, str]]:
    """Parse a Moodle grading worksheet back, one dict per row (for checks and tests)."""
    with Path(path).open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))

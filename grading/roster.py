"""Read a cohort roster (a CSV exported from the academy's LMS or spreadsheet) and check each row.

Tutors paste rosters together from several sources, so every bad row is reported with its row
number as a spreadsheet shows it (the header is row 1) and the fix; good rows are still
usable. Learner ids become folder names in nbgrader's layout and parts of exchange file names,
so they are restricted to characters that are safe in both.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from qilab.errors import QilabError

#: Header spellings accepted for each field (compared case-insensitively, spaces → '_').
ID_HEADERS = ("id", "learner_id", "learner", "student_id", "student", "username", "user_id")
NAME_HEADERS = ("name", "full_name", "learner_name", "student_name")
FIRST_HEADERS = ("first_name", "firstname", "given_name", "forename")
LAST_HEADERS = ("last_name", "lastname", "surname", "family_name")
EMAIL_HEADERS = ("email", "email_address", "e-mail", "mail")

#: nbgrader uses ids in paths and globs and splits exchange names on '+': keep them plain.
LEARNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}$")


@dataclass(frozen=True)
class Learner:
    """One learner as nbgrader's gradebook stores them."""

    id: str
    first_name: str
    last_name: str
    email: str

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True)
class RowProblem:
    """A roster row that was not used, and why."""

    row: int
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.problem} — {self.fix}"


@dataclass
class Roster:
    """The usable learners of a roster file plus every row that could not be used."""

    learners: list[Learner] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


class RosterError(QilabError):
    """The roster as a whole cannot be read (missing file, no id column, not a CSV)."""


def _normalise(header: str) -> str:
    return header.strip().lower().replace(" ", "_")


def _column(headers: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((headers[n] for n in names if n in headers), None)


#: Words that belong to the surname that follows them (Irish, Scottish, Welsh, Dutch, German,
#: Romance, Arabic and Malay usage): "Ó Briain", "van der Berg", "de la Cruz", "bin Ahmad".
SURNAME_PARTICLES = frozenset(
    [
        "ó",
        "o'",
        "ní",
        "nic",
        "ua",
        "uí",
        "mac",
        "mhic",
        "ap",
        "ab",
        "ferch",
        "van",
        "von",
        "der",
        "den",
        "ter",
        "de",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "das",
        "du",
        "des",
        "la",
        "le",
        "st",
        "st.",
        "al",
        "el",
        "bin",
        "binti",
        "bint",
        "ibn",
    ]
)


def split_name(full: str) -> tuple[str, str]:
    """Split a full name for nbgrader's first/last fields, keeping it as written.

    The surname is the last word with any particles before it ("Ó Briain", "van der Berg"),
    so the Formgrader's "surname, first names" reads right; joined again with a space the
    two parts give back the name exactly as the roster wrote it.

    Examples
    --------
    >>> split_name("Dr Aisha Khan")
    ('Dr Aisha', 'Khan')
    >>> split_name("Dr Siân Ó Briain")
    ('Dr Siân', 'Ó Briain')
    >>> split_name("Prof Anna van der Berg")
    ('Prof Anna', 'van der Berg')
    >>> split_name("Cher")
    ('Cher', '')
    """
    words = full.split()
    if len(words) < 2:
        return (words[0] if words else "", "")
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in SURNAME_PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


def read_roster(path: str | Path) -> Roster:
    """Read and check a roster CSV with columns for learner id, name and email.

    Columns may be called ``id`` (or ``learner_id``, ``student_id``, ``username``), ``name`` (or
    ``first_name`` and ``last_name``) and ``email``; other columns are ignored. Rows with a
    missing or unusable id, an id already used by an earlier row, or a malformed email are
    reported in :attr:`Roster.problems` and left out; blank lines are ignored.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "roster.csv"
    >>> _ = f.write_text("id,name,email\\nd001,Aisha Khan,aisha@nhs.example\\n,No Id,x@y.org\\n")
    >>> roster = read_roster(f)
    >>> [learner.id for learner in roster.learners]
    ['d001']
    >>> print(roster.problems[0])
    row 3: no learner id — fill in the id column (the learner's LMS or staff id)
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")  # Excel writes a byte-order mark
    except FileNotFoundError:
        raise RosterError(f"No roster at {path}: check the path to the CSV file.") from None
    except UnicodeDecodeError:
        raise RosterError(
            f"{path} is not UTF-8 text: in Excel use Save As → 'CSV UTF-8 (Comma delimited)'."
        ) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = {_normalise(h): h for h in reader.fieldnames or [] if h}
    id_col = _column(headers, ID_HEADERS)
    if id_col is None:
        found = ", ".join(reader.fieldnames or []) or "nothing"
        raise RosterError(
            f"{path} has no learner id column (found: {found}). "
            "Give the CSV a header row such as: id,name,email"
        )
    name_col = _column(headers, NAME_HEADERS)
    first_col, last_col = _column(headers, FIRST_HEADERS), _column(headers, LAST_HEADERS)
    email_col = _column(headers, EMAIL_HEADERS)

    roster = Roster()
    seen: dict[str, int] = {}
    for offset, row in enumerate(reader):
        number = offset + 2  # the header is row 1, as in a spreadsheet
        if not any((value or "").strip() for value in row.values()):
            continue
        learner_id = (row.get(id_col) or "").strip()
        if name_col:
            first, last = split_name((row.get(name_col) or "").strip())
        else:
            first = (row.get(first_col) or "").strip() if first_col else ""
            last = (row.get(last_col) or "").strip() if last_col else ""
        email = (row.get(email_col) or "").strip() if email_col else ""

        problem = _check(learner_id, email, seen)
        if problem:
            roster.problems.append(RowProblem(number, *problem))
            continue
        seen[learner_id.lower()] = number
        roster.learners.append(Learner(learner_id, first, last, email))
    return roster


def _check(learner_id: str, email: str, seen: dict[str, int]) -> tuple[str, str] | None:
    if not learner_id:
        return "no learner id", "fill in the id column (the learner's LMS or staff id)"
    if not LEARNER_ID.match(learner_id):
        return (
            f"learner id {learner_id!r} has characters nbgrader cannot use",
            "use letters, digits and . _ - @ only, starting with a letter or digit",
        )
    if learner_id.lower() in seen:
        return (
            f"duplicate learner id {learner_id!r} (first used in row {seen[learner_id.lower()]})",
            "give each learner one row with a unique id",
        )
    if email and not EMAIL.match(email):
        return f"email {email!r} is not a valid address", "correct it or leave the cell empty"
    return None

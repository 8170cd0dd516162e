"""Marks out of an nbgrader gradebook, read one way for learners and tutors alike.

``qilab progress`` (one learner, gradebook opened read-only) and the tutor's reports (a whole
cohort) both read grades here and hand them to :mod:`qilab.escalator.rules`, so the two can
never disagree about a score. The rows come from nbgrader's own ORM classes in a handful of
SQL joins (not one query per learner): a cohort of 500 over 12 assignments loads in well under
a second, from SQLite or PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .rules import CellMark, ModuleMarks, module_marks

GRADE_COLUMNS = [
    "learner",
    "assignment",
    "notebook",
    "cell",
    "kind",
    "max_score",
    "auto_score",
    "manual_score",
    "score",
    "needs_manual_grade",
    "flagged",
    "late_penalty",
]
SUBMISSION_COLUMNS = ["learner", "assignment", "timestamp", "extension"]

#: (assignment, notebook, cell) -> the outcome ids the cell is tagged with
Tags = Mapping[tuple[str, str, str], tuple[str, ...]]


@dataclass
class GradebookTables:
    """Learners, assignments, cells, submissions and every grade, as pandas tables."""

    learners: pd.DataFrame  # learner, first_name, last_name, email
    assignments: pd.DataFrame  # assignment, duedate, max_score
    grades: pd.DataFrame  # GRADE_COLUMNS
    cells: pd.DataFrame  # assignment, notebook, cell, kind, max_score
    submitted: pd.DataFrame  # SUBMISSION_COLUMNS (timestamp and extension as nbgrader keeps them)


def table_rows(table: pd.DataFrame) -> Iterator[Any]:
    """The rows of a gradebook table as named tuples: ``row.learner``, ``row.score``.

    Typed ``Any`` on purpose: a row's fields hold different types (text, numbers, times, NaT),
    which pandas' type stubs can only give as one wide union for every field.

    >>> [row.learner for row in table_rows(pd.DataFrame({"learner": ["ada", "bo"]}))]
    ['ada', 'bo']
    """
    return table.itertuples()


def read_tables(gb: Any, learner: str | None = None, every_course: bool = False) -> GradebookTables:
    """Read an open :class:`nbgrader.api.Gradebook` (all learners, or one) into tables.

    Only the gradebook's own course (``gb.course_id``) is read unless ``every_course`` is set,
    which ``qilab progress`` uses: it opens a gradebook without knowing its course id.
    """
    from nbgrader.api import (
        Assignment,
        BaseCell,
        Grade,
        GradeCell,
        Notebook,
        SolutionCell,
        Student,
        SubmittedAssignment,
        SubmittedNotebook,
        TaskCell,
    )

    students = gb.db.query(Student)
    if learner is not None:
        students = students.filter(Student.id == learner)
    learners = pd.DataFrame(
        [(s.id, s.first_name or "", s.last_name or "", s.email or "") for s in students],
        columns=["learner", "first_name", "last_name", "email"],
    )
    solutions = {
        (a, n, c)
        for a, n, c in gb.db.query(Assignment.name, Notebook.name, SolutionCell.name)
        .join(Notebook, SolutionCell.notebook_id == Notebook.id)
        .join(Assignment, Notebook.assignment_id == Assignment.id)
        .filter(_course(Assignment, gb, every_course))
    }
    cell_rows = []
    for cls in (GradeCell, TaskCell):
        query = (
            gb.db.query(Assignment.name, Notebook.name, cls.name, cls.max_score)
            .join(Notebook, cls.notebook_id == Notebook.id)
            .join(Assignment, Notebook.assignment_id == Assignment.id)
            .filter(_course(Assignment, gb, every_course))
        )
        for a, n, c, points in query:
            cell_rows.append((a, n, c, _kind(cls is TaskCell, (a, n, c) in solutions), points))
    cells = pd.DataFrame(cell_rows, columns=["assignment", "notebook", "cell", "kind", "max_score"])
    assignments = pd.DataFrame(
        [
            (a.name, a.duedate)
            for a in gb.db.query(Assignment).filter(_course(Assignment, gb, every_course))
        ],
        columns=["assignment", "duedate"],
    )
    maxima = cells.groupby("assignment")["max_score"].sum()
    assignments["max_score"] = assignments["assignment"].map(maxima).fillna(0.0).astype(float)

    subs = (
        gb.db.query(
            Student.id,
            Assignment.name,
            SubmittedAssignment.timestamp,
            SubmittedAssignment.extension,
        )
        .select_from(SubmittedAssignment)
        .join(Student, SubmittedAssignment.student_id == Student.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .filter(_course(Assignment, gb, every_course))
    )
    query = (
        gb.db.query(
            Student.id,
            Assignment.name,
            Notebook.name,
            BaseCell.name,
            Grade.auto_score,
            Grade.manual_score,
            Grade.extra_credit,
            Grade.needs_manual_grade,
            SubmittedNotebook.flagged,
            SubmittedNotebook.late_submission_penalty,
        )
        .select_from(Grade)
        .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Student, SubmittedAssignment.student_id == Student.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
        .join(BaseCell, Grade.cell_id == BaseCell.id)
        .filter(_course(Assignment, gb, every_course))
    )
    if learner is not None:
        subs = subs.filter(Student.id == learner)
        query = query.filter(Student.id == learner)
    submitted = pd.DataFrame(subs.all(), columns=SUBMISSION_COLUMNS)
    raw = pd.DataFrame(
        query.all(),
        columns=[
            "learner",
            "assignment",
            "notebook",
            "cell",
            "auto_score",
            "manual_score",
            "extra_credit",
            "needs_manual_grade",
            "flagged",
            "late_penalty",
        ],
    )
    for column in ("auto_score", "manual_score", "extra_credit", "late_penalty"):
        raw[column] = pd.to_numeric(raw[column], errors="coerce").astype(float)
    grades = raw.merge(cells, on=["assignment", "notebook", "cell"], how="left")
    # nbgrader's rule for Grade.score: manual beats auto; either plus extra credit; else 0.
    base = grades["manual_score"].where(grades["manual_score"].notna(), grades["auto_score"])
    grades["score"] = (base + grades["extra_credit"].fillna(0)).where(base.notna(), 0.0)
    grades["needs_manual_grade"] = grades["needs_manual_grade"].astype(bool)
    grades["flagged"] = grades["flagged"].fillna(False).astype(bool)
    return GradebookTables(learners, assignments, grades[GRADE_COLUMNS], cells, submitted)


def _course(assignment: Any, gb: Any, every_course: bool) -> Any:
    from sqlalchemy import true

    return true() if every_course else assignment.course_id == gb.course_id


def _kind(task: bool, solution: bool) -> str:
    if task:
        return "task"
    return "written" if solution else "test"


def all_marks(
    tables: GradebookTables, tags: Tags | None = None
) -> dict[str, dict[str, ModuleMarks]]:
    """learner -> assignment -> :class:`ModuleMarks`, for every submission with grades."""
    tags = tags or {}
    maxima = dict(
        zip(tables.assignments["assignment"], tables.assignments["max_score"], strict=True)
    )
    found: dict[str, dict[str, ModuleMarks]] = {}
    if tables.grades.empty:
        return found
    for (learner, assignment), group in tables.grades.groupby(["learner", "assignment"]):
        columns = ["notebook", "cell", "score", "max_score", "needs_manual_grade"]
        cells = [
            CellMark(
                str(notebook),
                str(cell),
                float(score),
                float(max_score) if max_score == max_score else 0.0,  # NaN: no maximum recorded
                bool(manual),
                tags.get((str(assignment), str(notebook), str(cell)), ()),
            )
            for notebook, cell, score, max_score, manual in group[columns].itertuples(
                index=False, name=None
            )
        ]
        penalties = (
            group.groupby("notebook")["late_penalty"].first().fillna(0.0).astype(float).to_dict()
        )
        found.setdefault(str(learner), {})[str(assignment)] = module_marks(
            cells, float(maxima.get(assignment, 0.0)), {str(k): v for k, v in penalties.items()}
        )
    return found


def cell_outcomes(cell: Mapping[str, Any]) -> list[str]:
    """The outcome ids a notebook cell is tagged with (``qilab.outcomes`` in its metadata)."""
    meta = cell.get("metadata", {})
    tagged = meta.get("qilab", {}).get("outcomes")
    if tagged is None:
        tagged = meta.get("nbgrader", {}).get("qilab", {}).get("outcomes")
    if isinstance(tagged, str):
        tagged = [tagged]
    return [str(t) for t in tagged or []]


def outcome_tags(source: Path) -> dict[tuple[str, str, str], tuple[str, ...]]:
    """(assignment, notebook, cell) -> outcome ids, from nbgrader source notebooks.

    ``source`` is a folder of assignments (``source/{assignment}/{notebook}.ipynb``); a
    missing folder or an unreadable notebook gives no tags, never an error.
    """
    tags: dict[tuple[str, str, str], tuple[str, ...]] = {}
    if not Path(source).is_dir():
        return tags
    for path in sorted(Path(source).glob("*/*.ipynb")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for cell in nb.get("cells", []) if isinstance(nb, dict) else []:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            outcomes = cell_outcomes(cell)
            if gid and outcomes:
                tags[(path.parent.name, path.stem, gid)] = tuple(outcomes)
    return tags

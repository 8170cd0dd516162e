"""The gradebook as tables: one row per graded cell, per submission, per learner.

Reports, comparisons and exports all start here. The rows come from nbgrader's own ORM
classes in a handful of SQL joins (not one query per learner), so a cohort of 500 over 12
assignments loads in well under a second, from SQLite or PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .course import Course

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


@dataclass
class Gradebook:
    """Learners, assignments and every grade of a course, as pandas tables."""

    learners: pd.DataFrame  # learner, first_name, last_name, email
    assignments: pd.DataFrame  # assignment, duedate, max_score
    grades: pd.DataFrame  # GRADE_COLUMNS
    cells: pd.DataFrame  # assignment, notebook, cell, kind, max_score

    def submissions(self) -> pd.DataFrame:
        """One row per learner and assignment: score, maximum, percent, marking state.

        Examples
        --------
        >>> load_gradebook(Course.open("cohort")).submissions().columns.tolist()  # doctest: +SKIP
        ['learner', 'assignment', 'score', 'max_score', 'percent', 'needs_manual_grade', 'flagged']
        """
        columns = [
            "learner",
            "assignment",
            "score",
            "max_score",
            "percent",
            "needs_manual_grade",
            "flagged",
        ]
        if self.grades.empty:
            return pd.DataFrame(columns=columns)
        by_notebook = self.grades.groupby(
            ["learner", "assignment", "notebook"], as_index=False
        ).agg(
            score=("score", "sum"),
            needs_manual_grade=("needs_manual_grade", "any"),
            flagged=("flagged", "any"),
            late_penalty=("late_penalty", "first"),
        )
        by_notebook["score"] = (by_notebook["score"] - by_notebook["late_penalty"].fillna(0)).clip(
            lower=0
        )
        table = by_notebook.groupby(["learner", "assignment"], as_index=False).agg(
            score=("score", "sum"),
            needs_manual_grade=("needs_manual_grade", "any"),
            flagged=("flagged", "any"),
        )
        table = table.merge(self.assignments[["assignment", "max_score"]], on="assignment")
        table["percent"] = 100 * table["score"] / table["max_score"].where(table["max_score"] > 0)
        return table[columns]


def load_gradebook(course: Course) -> Gradebook:
    """Read a course's gradebook into :class:`Gradebook` tables."""
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

    with course.gradebook() as gb:
        learners = pd.DataFrame(
            [(s.id, s.first_name or "", s.last_name or "", s.email or "") for s in gb.students],
            columns=["learner", "first_name", "last_name", "email"],
        )
        solutions = {
            (a, n, c)
            for a, n, c in gb.db.query(Assignment.name, Notebook.name, SolutionCell.name)
            .join(Notebook, SolutionCell.notebook_id == Notebook.id)
            .join(Assignment, Notebook.assignment_id == Assignment.id)
            .filter(Assignment.course_id == gb.course_id)
        }
        cell_rows = []
        for cls in (GradeCell, TaskCell):
            query = (
                gb.db.query(Assignment.name, Notebook.name, cls.name, cls.max_score)
                .join(Notebook, cls.notebook_id == Notebook.id)
                .join(Assignment, Notebook.assignment_id == Assignment.id)
                .filter(Assignment.course_id == gb.course_id)
            )
            for a, n, c, points in query:
                cell_rows.append((a, n, c, _kind(cls is TaskCell, (a, n, c) in solutions), points))
        cells = pd.DataFrame(
            cell_rows, columns=["assignment", "notebook", "cell", "kind", "max_score"]
        )
        assignments = pd.DataFrame(
            [(a.name, a.duedate) for a in gb.assignments if a.course_id == gb.course_id],
            columns=["assignment", "duedate"],
        )
        maxima = cells.groupby("assignment")["max_score"].sum()
        assignments["max_score"] = assignments["assignment"].map(maxima).fillna(0.0)

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
            .filter(Assignment.course_id == gb.course_id)
        )
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
    return Gradebook(learners, assignments, grades[GRADE_COLUMNS], cells)


def _kind(task: bool, solution: bool) -> str:
    if task:
        return "task"
    return "written" if solution else "test"

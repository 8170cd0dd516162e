"""The gradebook as tables: one row per graded cell, per submission, per learner.

Reports, comparisons and exports all start here. The reading itself is
:func:`qilab.escalator.gradebook.read_tables`, which ``qilab progress`` uses too, so the two
never disagree about a score.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from qilab.escalator.gradebook import GRADE_COLUMNS, GradebookTables, read_tables

from .course import Course

__all__ = ["GRADE_COLUMNS", "Gradebook", "load_gradebook"]


@dataclass
class Gradebook(GradebookTables):
    """Learners, assignments and every grade of a course, as pandas tables."""

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
    """Read a course's gradebook into :class:`Gradebook` tables (the escalator's one reader)."""
    with course.gradebook() as gb:
        tables = read_tables(gb)
    return Gradebook(
        tables.learners, tables.assignments, tables.grades, tables.cells, tables.submitted
    )

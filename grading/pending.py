"""``qilab course pending``: the written answers waiting for a tutor, by assignment and learner.

Until they are marked a learner's marks are provisional (reports say so, feedback is held
back or labelled), so this is the tutor's to-do list. Marking happens in nbgrader's
Formgrader (``cd COURSE && jupyter lab`` → *Nbgrader → Formgrader*, see grading/README.md).
"""

from __future__ import annotations

import pandas as pd

from qilab.escalator.gradebook import table_rows

from .course import Course, CourseError, assignment_sort_key
from .results import Gradebook, load_gradebook


def pending_table(course: Course, assignment: str | None = None) -> pd.DataFrame:
    """assignment, learner, name, notebook, cell, max_score — one row per unmarked cell."""
    book = load_gradebook(course)
    if assignment is not None and assignment not in set(book.assignments["assignment"]):
        known = ", ".join(sorted(book.assignments["assignment"], key=assignment_sort_key))
        raise CourseError(
            f"no assignment {assignment!r} in the gradebook: use one of {known or '(none yet)'}."
        )
    return pending_rows(book, assignment)


def pending_rows(book: Gradebook, assignment: str | None = None) -> pd.DataFrame:
    """:func:`pending_table` from gradebook tables already loaded."""
    names = {
        row.learner: " ".join(p for p in (row.first_name, row.last_name) if p) or row.learner
        for row in table_rows(book.learners)
    }
    grades = book.grades
    waiting = grades[grades["needs_manual_grade"]].copy() if not grades.empty else grades
    if assignment is not None:
        waiting = waiting[waiting["assignment"] == assignment]
    waiting = waiting.assign(name=waiting["learner"].map(names))
    waiting = waiting.sort_values(
        ["assignment", "learner", "notebook", "cell"],
        key=lambda s: s.map(assignment_sort_key) if s.name == "assignment" else s,
    )
    columns = ["assignment", "learner", "name", "notebook", "cell", "max_score"]
    return waiting.reindex(columns=columns).reset_index(drop=True)


def pending_text(course: Course, assignment: str | None = None) -> str:
    """The to-do list as text: a heading per assignment, a line per learner."""
    table = pending_table(course, assignment)
    if table.empty:
        return "Nothing awaits a tutor: every written answer is marked."
    lines = [
        f"{len(table)} written answer(s) from {table['learner'].nunique()} learner(s) await a "
        "tutor (mark them in the Formgrader; until then these marks are provisional):"
    ]
    for name, group in table.groupby("assignment", sort=False):
        lines.append(f"\n{name} ({len(group)} answer(s), {group['learner'].nunique()} learner(s))")
        for learner, mine in group.groupby("learner", sort=False):
            cells = ", ".join(
                f"{row.cell} ({row.max_score:g} marks)"
                if row.max_score == row.max_score
                else row.cell
                for row in table_rows(mine)
            )
            lines.append(f"  {learner:<16} {mine['name'].iloc[0]:<28} {cells}")
    return "\n".join(lines)

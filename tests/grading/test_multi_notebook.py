"""An assignment of two notebooks is marked notebook by notebook, as plain nbgrader marks it.

Academies split longer assignments (a measurement notebook and a reflection notebook, say).
Each notebook of a submission is checked, sandboxed and run on its own; one a learner did not
hand in is simply missing, not an error that costs them the other's marks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from qilab.grading import synthetic
from qilab.grading.autograde import autograde
from qilab.grading.course import Course, init_course
from qilab.grading.integrity import Status
from qilab.grading.release import release
from qilab.grading.results import load_gradebook

pytestmark = pytest.mark.slow

A = synthetic.ASSIGNMENT
SECOND = "part2"
NBGRADER = str(Path(sys.executable).parent / "nbgrader")


def scores(course: Course) -> dict[tuple[str, str, str], tuple[float | None, bool]]:
    """(learner, notebook, cell) -> (automatic score, needs a manual grade)."""
    return {
        (row.learner, row.notebook, row.cell): (
            None if row.auto_score != row.auto_score else row.auto_score,
            bool(row.needs_manual_grade),
        )
        for row in load_gradebook(course).grades.itertuples()
    }


def test_two_notebooks_are_marked_each_on_its_own(tmp_path):
    sources = tmp_path / "sources"
    first = synthetic.write_source(sources)
    shutil.copy(first, first.parent / f"{SECOND}.ipynb")
    roster = synthetic.write_roster(tmp_path / "roster.csv", ["both", "onlyfirst", "mixed"])
    init_course(tmp_path / "cohort", roster, source=sources / "source")
    course = Course.open(tmp_path / "cohort")
    assert not release(course).errors
    released = {
        name: nbformat.read(course.root / "release" / A / f"{name}.ipynb", 4)
        for name in (A, SECOND)
    }
    handed_in = {
        "both": {A: "solution", SECOND: "solution"},
        "onlyfirst": {A: "solution"},
        "mixed": {A: "blank", SECOND: "solution"},
    }
    for learner, notebooks in handed_in.items():
        folder = course.root / "submitted" / learner / A
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2025-03-03 09:00:00.000000 UTC")
        for name, kind in notebooks.items():
            nbformat.write(synthetic.submission(released[name], kind), folder / f"{name}.ipynb")
    plain = tmp_path / "plain"
    shutil.copytree(course.root, plain)

    report = autograde(course, A, workers=2, progress=False)

    assert {o.learner: o.status for o in report.outcomes} == {
        "both": Status.GRADED,
        "onlyfirst": Status.GRADED,
        "mixed": Status.GRADED,
    }, str(report)
    outcome = {o.learner: o for o in report.outcomes}
    assert outcome["both"].score == 2 * outcome["onlyfirst"].score  # two full notebooks vs one
    assert outcome["mixed"].score == outcome["onlyfirst"].score  # the second notebook's marks
    for learner, notebooks in handed_in.items():
        for name in notebooks:
            assert (course.root / "autograded" / learner / A / f"{name}.ipynb").is_file()
    assert not (course.root / "autograded" / "onlyfirst" / A / f"{SECOND}.ipynb").exists()

    done = subprocess.run(
        [NBGRADER, "autograde", A], cwd=plain, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ours, nbgraders = scores(course), scores(Course.open(plain))
    assert ours == nbgraders
    assert {notebook for (_, notebook, _) in ours} == {A, SECOND}

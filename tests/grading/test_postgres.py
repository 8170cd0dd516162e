"""The gradebook on a real PostgreSQL server (Debian's), as a large academy would run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy
from qilab.grading import synthetic
from qilab.grading.autograde import autograde
from qilab.grading.report import build_report
from qilab.grading.results import load_gradebook

pytestmark = pytest.mark.slow
A = synthetic.ASSIGNMENT
NBGRADER = str(Path(sys.executable).parent / "nbgrader")


def test_parallel_autograde_writes_every_grade_to_postgresql(make_course, place, postgres_url):
    course = make_course(["sol", "partial", "blank", "loner"], db_url=postgres_url)
    assert course.db_url.startswith("postgresql")
    assert not (course.root / "gradebook.db").exists()  # no SQLite file on the side
    for learner, kind in [("sol", "solution"), ("partial", "partial"), ("blank", "blank")]:
        place(course, learner, kind)
    report = autograde(course, A, workers=2, progress=False)
    assert {o.learner: o.score for o in report.outcomes} == {"sol": 5, "partial": 3, "blank": 0}

    engine = sqlalchemy.create_engine(postgres_url)
    with engine.connect() as db:
        rows = db.execute(sqlalchemy.text("SELECT count(*) FROM grade")).scalar_one()
        students = db.execute(sqlalchemy.text("SELECT count(*) FROM student")).scalar_one()
    engine.dispose()
    assert (rows, students) == (9, 4)  # three graded cells per submission; the roster of four

    again = autograde(course, A, workers=2, progress=False)
    assert sorted(again.skipped) == ["blank", "partial", "sol"]
    data = build_report(course).data
    assert data.status.set_index("learner").loc["loner", "status"] == "not submitted"
    grades = load_gradebook(course).grades
    assert grades.groupby("learner")["score"].sum().to_dict() == {
        "blank": 0,
        "partial": 3,
        "sol": 5,
    }
    done = subprocess.run(  # plain nbgrader finds the same gradebook through the config
        [NBGRADER, "db", "student", "list"], cwd=course.root, capture_output=True, text=True
    )
    assert done.returncode == 0 and "There are 4 students" in done.stdout

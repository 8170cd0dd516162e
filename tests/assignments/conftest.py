"""One real marking run of every assignment, through the pipeline tutors run, for the session.

Two synthetic learners hand in each assignment: ``solution`` submits the instructor's source
notebook (model answers included) and ``blank`` submits the generated student version unchanged.
The course is made, released and marked exactly as a tutor does it — ``qilab course init``,
``release`` and ``autograde`` through :mod:`qilab.grading` (its nbgrader configuration, its
sandbox, its parallel workers) — in a temporary folder, so the developer's own ``.qilab/`` is
never touched. Real runs are slow (a kernel per notebook), so it is done once per session.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from qilab.grading import synthetic
from qilab.grading.autograde import autograde
from qilab.grading.course import Course, init_course
from qilab.grading.release import release

from .course import MODULES, SOURCE

#: Generous limits for a busy shared machine: importing the plotting stack in a fresh kernel can
#: take far longer than a learner's server needs (the course's own limit is 60 s a cell).
CELL_TIMEOUT = 240
SUBMISSION_TIMEOUT = 1800
LEARNERS = ("solution", "blank")


@dataclass
class GradedCourse:
    """A cohort course in which every selected module was released and autograded."""

    course: Course
    logs: dict[str, list[str]] = field(default_factory=dict)

    def root(self, module: str) -> Path:
        return self.course.root

    def db_url(self, module: str) -> str:
        return self.course.db_url

    def log(self, module: str) -> str:
        return "\n".join(self.logs.get(module, []))

    def hand_in(self, module: str) -> None:
        handed_in = {
            "solution": self.course.root / "source" / module / f"{module}.ipynb",
            "blank": self.course.root / "release" / module / f"{module}.ipynb",
        }
        for learner, notebook in handed_in.items():
            folder = self.course.root / "submitted" / learner / module
            folder.mkdir(parents=True)
            if notebook.exists():
                shutil.copy(notebook, folder)
                (folder / "timestamp.txt").write_text("2025-01-06 09:00:00.000000 UTC")


def wanted_modules(session: pytest.Session) -> list[str]:
    """The modules this run's selected tests grade (all of them, unless ``-k`` narrowed it)."""
    wanted = {
        item.callspec.params["module"]
        for item in session.items
        if "graded_course" in getattr(item, "fixturenames", ())
        and "module" in getattr(getattr(item, "callspec", None), "params", {})
    }
    return [m for m in MODULES if m in wanted] or list(MODULES)


@pytest.fixture(scope="session")
def graded_course(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> GradedCourse:
    selected = wanted_modules(request.session)
    present = [m for m in selected if (SOURCE / m / f"{m}.ipynb").is_file()]
    tmp = tmp_path_factory.mktemp("cohort")
    for module in present:
        shutil.copytree(SOURCE / module, tmp / "source" / module)
    roster = synthetic.write_roster(tmp / "roster.csv", list(LEARNERS))
    init_course(
        tmp / "assignments",
        roster,
        source=tmp / "source",
        cell_timeout=CELL_TIMEOUT,
        submission_timeout=SUBMISSION_TIMEOUT,
    )
    graded = GradedCourse(Course.open(tmp / "assignments"))
    released = release(graded.course, names=present, exchange=False)
    for module in present:
        graded.logs[module] = [f"$ qilab course release {module}\n{released}"]
        graded.hand_in(module)
        report = autograde(graded.course, module, progress=False)
        graded.logs[module].append(f"$ qilab course autograde {module}\n{report}")
    return graded

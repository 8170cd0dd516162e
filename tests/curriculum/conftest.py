"""Fixtures for the curriculum tests: a throw-away copy of the course to break on purpose."""

from __future__ import annotations

import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def copy_course(root: Path) -> Path:
    """Copy the course (curriculum, assignment sources, pyproject) to ``root``."""
    skip = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    shutil.copytree(REPO / "curriculum", root / "curriculum", ignore=skip)
    shutil.copytree(REPO / "assignments" / "source", root / "assignments" / "source", ignore=skip)
    shutil.copy(REPO / "pyproject.toml", root)
    return root


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A throw-away copy of the course, for QILAB_ROOT, to break on purpose."""
    return copy_course(tmp_path / "academy")


@pytest.fixture(scope="session")
def course_copier():
    """``course_copier(root)`` copies the course, for fixtures wider than one test."""
    return copy_course


@dataclass(frozen=True)
class Marked:
    """One learner's marks for one assignment, as nbgrader would hold them."""

    auto: float  # automatic marks scored
    auto_of: float  # automatic marks available
    reflection: float | None = 0  # tutor's mark for the reflection; None = not marked yet
    reflection_of: float = 0  # marks available for the reflection (0: no reflection cell)


def build_gradebook(path: Path, marks: dict[tuple[str, str], Marked]) -> Path:
    """A real nbgrader gradebook, written through nbgrader's own Gradebook API.

    Each assignment gets one notebook with an auto-graded code cell and, if it has reflection
    marks, a manually graded markdown cell. All learners of an assignment share its cells, as in
    a real course.
    """
    from nbgrader.api import Gradebook, MissingEntry

    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), Gradebook(f"sqlite:///{path}", course_id="qilab") as gb:
        warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy chatter while adding rows
        for learner in sorted({who for who, _ in marks}):
            gb.update_or_create_student(learner)
        for (learner, name), m in marks.items():
            try:
                gb.find_assignment(name)
            except MissingEntry:
                gb.add_assignment(name)
                gb.add_notebook(name, name)
                gb.add_grade_cell("auto", name, name, max_score=m.auto_of, cell_type="code")
                if m.reflection_of:
                    gb.add_grade_cell(
                        "reflection", name, name, max_score=m.reflection_of, cell_type="markdown"
                    )
            gb.add_submission(name, learner)
            grade = gb.find_grade("auto", name, name, learner)
            grade.auto_score, grade.needs_manual_grade = m.auto, False
            if m.reflection_of:
                grade = gb.find_grade("reflection", name, name, learner)
                grade.manual_score = m.reflection
                grade.needs_manual_grade = m.reflection is None
            gb.db.commit()
    return path


@pytest.fixture(scope="session")
def make_gradebook():
    """``make_gradebook(path, {(learner, assignment): Marked(...)})`` builds a real gradebook."""
    return build_gradebook


@pytest.fixture(scope="session")
def marked():
    """The :class:`Marked` record type, for tests that build gradebooks."""
    return Marked

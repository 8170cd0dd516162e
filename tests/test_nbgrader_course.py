"""The course's nbgrader set-up works on embedded defaults: SQLite gradebook, local folders.

Real nbgrader runs in a temporary copy of the course layout, so the developer's own gradebook
in ``.qilab/`` is never touched.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

NBGRADER = str(Path(sys.executable).parent / "nbgrader")


def graded_notebook(answer: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            f"def median_of(values):\n    ### BEGIN SOLUTION\n    {answer}\n    ### END SOLUTION",
            metadata={
                "nbgrader": {
                    "grade": False,
                    "grade_id": "answer",
                    "locked": False,
                    "schema_version": 3,
                    "solution": True,
                    "task": False,
                }
            },
        ),
        nbformat.v4.new_code_cell(
            "assert median_of([3, 1, 2]) == 2",
            metadata={
                "nbgrader": {
                    "grade": True,
                    "grade_id": "check",
                    "locked": True,
                    "points": 1,
                    "schema_version": 3,
                    "solution": False,
                    "task": False,
                }
            },
        ),
    ]
    return nb


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [NBGRADER, *args], cwd=course, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_generate_and_autograde_with_the_embedded_gradebook(repo, tmp_path):
    course = tmp_path / "assignments"
    (course / "source" / "ps0").mkdir(parents=True)
    shutil.copy(repo / "assignments" / "nbgrader_config.py", course)
    solution = "return sorted(values)[len(values) // 2]"
    nbformat.write(graded_notebook(solution), course / "source" / "ps0" / "ps0.ipynb")

    nbgrader(course, "generate_assignment", "ps0")
    released = nbformat.read(course / "release" / "ps0" / "ps0.ipynb", as_version=4)
    assert solution not in released.cells[0].source  # the learner never sees the model answer

    submitted = course / "submitted" / "learner1" / "ps0"
    submitted.mkdir(parents=True)
    nbformat.write(graded_notebook(solution), submitted / "ps0.ipynb")
    nbgrader(course, "autograde", "ps0", "--create")

    gradebook = tmp_path / ".qilab" / "gradebook.db"  # next to the course, as configured
    assert gradebook.is_file()
    with sqlite3.connect(gradebook) as db:
        (score,) = db.execute(
            "SELECT auto_score FROM grade WHERE auto_score IS NOT NULL"
        ).fetchone()
    assert score == 1

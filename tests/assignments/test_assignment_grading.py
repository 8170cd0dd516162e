"""Every assignment survives a real nbgrader round trip: generate, hand in, autograde.

The ``graded_course`` fixture (conftest.py) marks a temporary cohort course once per session
through :mod:`qilab.grading` — the pipeline tutors run, with QI Lab's nbgrader configuration.
For each module it checks that the generated student version hides what it must, that the model
answers score full marks on every automatically graded cell without printing to stderr or
warning, and that the unchanged student version scores zero without breaking the grader.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from nbgrader.api import Gradebook
from qilab.grading.preprocessors import split_warnings

from .course import (
    MODULES,
    SOLUTION,
    is_autograded_test,
    is_manual_answer,
    nbgrader_meta,
    notebook_path,
    outcomes,
    points,
    read,
    secret_lines,
)

#: The session's nbgrader build (24 kernels, each importing the plotting stack) runs inside the
#: first test's set-up: minutes on a busy shared machine, well past the suite's 300 s default.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
TEXT_STUB = "YOUR ANSWER HERE"
#: How a blank submission's cells may fail: the answer stubs, the names they leave unset, and
#: checks that reject a scaffold's ``...`` placeholders. Anything else is a bug in a test cell.
BLANK_ERRORS = {"NotImplementedError", "NameError", "AssertionError"}


def released(course, module: str) -> nbformat.NotebookNode:
    path = course.root(module) / "release" / module / f"{module}.ipynb"
    assert path.is_file(), f"nbgrader generate_assignment failed:\n{course.log(module)}"
    return read(path)


def autograded(course, module: str, learner: str) -> nbformat.NotebookNode:
    path = course.root(module) / "autograded" / learner / module / f"{module}.ipynb"
    assert path.is_file(), f"nbgrader autograde failed for {learner}:\n{course.log(module)}"
    return read(path)


def grades(course, module: str, learner: str) -> dict[str, tuple[float | None, float, bool]]:
    """grade_id -> (automatic score, maximum, needs a manual grade), from the gradebook."""
    autograded(course, module, learner)  # a clear message if the run failed
    with Gradebook(course.db_url(module)) as gradebook:
        notebook = gradebook.find_submission_notebook(module, module, learner)
        return {g.name: (g.auto_score, g.max_score, g.needs_manual_grade) for g in notebook.grades}


def problems(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """(grade_id, what) for every error, stderr stream and Python warning in the notebook.

    QI Lab's FairWarnings moves warnings to stdout so they cannot cost a learner a mark; a
    model answer should print none at all, so they are looked for there too.
    """
    found = []
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id", "?")
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                found.append((grade_id, output.ename))
            elif output.output_type == "stream" and output.name == "stderr":
                found.append((grade_id, "stderr: " + output.text[:200]))
            elif output.output_type == "stream" and split_warnings(output.text)[1]:
                found.append((grade_id, "warning: " + split_warnings(output.text)[1][:200]))
    return found


@pytest.mark.parametrize("module", MODULES)
def test_student_version_hides_answers_hidden_tests_and_rubrics(graded_course, module):
    source = read(notebook_path(module))
    student = released(graded_course, module)
    text = json.dumps(student)  # sources and metadata alike
    for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "Marking rubric", "Model answer"):
        assert marker not in text, f"{module}: the student version contains {marker!r}"
    leaked = [line for line in secret_lines(source) if line in text]
    assert not leaked, f"{module}: the student version shows {leaked[:3]}"
    assert len(student.cells) == len(source.cells)
    for mine, theirs in zip(source.cells, student.cells, strict=True):
        gid = nbgrader_meta(mine)["grade_id"]
        if nbgrader_meta(mine)["solution"]:
            # the model answer is replaced by a stub; any scaffold around it stays
            stub = STUB if mine.cell_type == "code" else TEXT_STUB
            expected = SOLUTION.sub(stub + "\n", mine.source).rstrip("\n")
            assert theirs.source == expected, f"{module}/{gid}: the answer is not stubbed out"
        # the outcome tags travel with the cells, so tutors' tools can read any version
        assert outcomes(theirs) == outcomes(mine)


@pytest.mark.parametrize("module", MODULES)
def test_model_answers_score_full_marks_silently(graded_course, module):
    source = read(notebook_path(module))
    scores = grades(graded_course, module, "solution")
    for cell in source.cells:
        gid = nbgrader_meta(cell)["grade_id"]
        if is_autograded_test(cell):
            assert scores[gid][:2] == (points(cell), points(cell)), f"{module}/{gid}: {scores[gid]}"
        elif is_manual_answer(cell):
            assert scores[gid][2], f"{module}/{gid}: an answered reflection goes to the tutor"
    assert sum(s[1] for s in scores.values()) == sum(points(c) for c in source.cells)
    assert problems(autograded(graded_course, module, "solution")) == []


@pytest.mark.parametrize("module", MODULES)
def test_unchanged_student_version_scores_zero(graded_course, module):
    source = read(notebook_path(module))
    scores = grades(graded_course, module, "blank")
    for cell in source.cells:
        gid = nbgrader_meta(cell)["grade_id"]
        if is_autograded_test(cell):
            assert scores[gid][0] == 0, f"{module}/{gid}: a blank answer scored {scores[gid][0]}"
        elif is_manual_answer(cell):
            # nbgrader scores an untouched answer 0 itself: tutors never mark blanks
            assert scores[gid][0] == 0 and not scores[gid][2], f"{module}/{gid}: {scores[gid]}"
    failures = problems(autograded(graded_course, module, "blank"))
    setup = {nbgrader_meta(c)["grade_id"] for c in source.cells if not nbgrader_meta(c)["grade"]}
    setup -= {nbgrader_meta(c)["grade_id"] for c in source.cells if nbgrader_meta(c)["solution"]}
    assert [f for f in failures if f[0] in setup] == [], "the locked set-up cells must still run"
    unexpected = [f for f in failures if f[1] not in BLANK_ERRORS]
    assert unexpected == [], f"{module}: a blank submission failed in an unexpected way"

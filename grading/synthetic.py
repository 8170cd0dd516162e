"""A small synthetic assignment and cohort: practise the tutor's workflow, test it, time it.

The assignment is a miniature of the Foundation measurement module — compute a run chart's
median and count its crossings (Perla, Provost & Murray 2011; Anhøj's crossings rule) on a
**synthetic** series of weekly inpatient falls, then explain the chart in words — with
visible and hidden tests, partial credit and a manually graded reflection. The "learners" are
made up, and so is every answer: correct, blank, partial, and the ways real submissions go
wrong (an endless loop, a memory bomb, an edited test, a deleted test, a damaged file).

Examples
--------
>>> nb = source_notebook()
>>> [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata][:3]
['instructions', 'setup', 'median_answer']
"""

from __future__ import annotations

import copy
import csv
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
from nbformat.notebooknode import NotebookNode

ASSIGNMENT = "foundation_measurement"

#: Synthetic weekly inpatient falls on one ward (made up; never real patient data).
WEEKLY_FALLS = [7, 5, 6, 6, 8, 4, 6, 9, 5, 6, 7, 3, 6, 5, 8, 6, 4, 7, 6, 5]

MEDIAN_SOLUTION = """\
ordered = sorted(values)
middle = len(ordered) // 2
if len(ordered) % 2:
    return float(ordered[middle])
return (ordered[middle - 1] + ordered[middle]) / 2"""

CROSSINGS_SOLUTION = """\
sides = [value > centre for value in values if value != centre]
return sum(a != b for a, b in zip(sides, sides[1:]))"""

#: Counts a touch of the centre line as a crossing: right on some series, wrong on others.
CROSSINGS_PARTIAL = """\
return sum(
    1 for a, b in zip(values, values[1:]) if (a - centre) * (b - centre) <= 0
)"""

REFLECTION = (
    "The median is 6 falls a week and the line crosses it often, with no long runs: "
    "the chart shows only common-cause variation, so there is no sign yet that the "
    "ward's falls have changed."
)

#: Unique text inside the hidden tests, so tests can prove feedback never shows it.
HIDDEN_MARKER = "run_median([10, 40, 20, 30])"


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2


def _crossings(values: Sequence[float], centre: float) -> int:
    sides = [value > centre for value in values if value != centre]
    return sum(a != b for a, b in itertools.pairwise(sides))


def _meta(
    grade_id: str,
    *,
    grade: bool = False,
    solution: bool = False,
    locked: bool = False,
    points: float | None = None,
    outcomes: list[str] | None = None,
) -> dict[str, Any]:
    nbgrader: dict[str, Any] = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        nbgrader["points"] = points
    meta: dict[str, Any] = {"nbgrader": nbgrader}
    if outcomes:
        meta["qilab"] = {"outcomes": outcomes}
    return meta


def _indent(code: str) -> str:
    return "\n".join("    " + line if line else line for line in code.splitlines())


def source_notebook(assignment: str = ASSIGNMENT) -> NotebookNode:
    """The instructor version: solutions and hidden tests inside nbgrader's markers."""
    expected = _crossings(WEEKLY_FALLS, _median(WEEKLY_FALLS))
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# Run charts: the median and crossings\n\n"
            "The data are **synthetic** weekly inpatient falls on one ward (made up for "
            "teaching). A run chart's centre line is the median; Anhøj's crossings rule asks "
            "whether the line crosses it too rarely to be random (Perla, Provost & Murray, "
            "*BMJ Qual Saf* 2011; Anhøj & Olesen, *PLoS ONE* 2014)."
        ),
        nbformat.v4.new_markdown_cell(
            "Answer in the cells marked for you. Do not edit or delete the test cells: the "
            "marker checks.",
            metadata=_meta("instructions", locked=True),
        ),
        nbformat.v4.new_code_cell(
            f"falls = {WEEKLY_FALLS!r}  # synthetic weekly falls",
            metadata=_meta("setup", locked=True),
        ),
        nbformat.v4.new_code_cell(
            "def run_median(values):\n"
            '    """The median of the values: the centre line of a run chart."""\n'
            "    ### BEGIN SOLUTION\n" + _indent(MEDIAN_SOLUTION) + "\n    ### END SOLUTION",
            metadata=_meta("median_answer", solution=True),
        ),
        nbformat.v4.new_code_cell(
            'assert run_median([3, 1, 2]) == 2, "the median of 3, 1 and 2 is 2"\n'
            "### BEGIN HIDDEN TESTS\n"
            f'assert {HIDDEN_MARKER} == 25.0, "an even number of points"\n'
            "### END HIDDEN TESTS",
            metadata=_meta(
                "median_tests",
                grade=True,
                locked=True,
                points=2,
                outcomes=[f"{assignment}.3"],
            ),
        ),
        nbformat.v4.new_code_cell(
            "def crossings(values, centre):\n"
            '    """How often the line crosses the centre (points on it are skipped)."""\n'
            "    ### BEGIN SOLUTION\n" + _indent(CROSSINGS_SOLUTION) + "\n    ### END SOLUTION",
            metadata=_meta("crossings_answer", solution=True),
        ),
        nbformat.v4.new_code_cell(
            "score = 0.0\n"
            "if crossings([1, 3, 1, 3], 2) == 3:\n"
            "    score += 1.0\n"
            "if crossings([1, 2, 3], 2) == 1:  # a point on the centre line is not a crossing\n"
            "    score += 1.0\n"
            "### BEGIN HIDDEN TESTS\n"
            f"if crossings(falls, run_median(falls)) == {expected}:\n"
            "    score += 1.0\n"
            "### END HIDDEN TESTS\n"
            "score",
            metadata=_meta(
                "crossings_tests",
                grade=True,
                locked=True,
                points=3,
                outcomes=[f"{assignment}.4"],
            ),
        ),
        nbformat.v4.new_markdown_cell(
            "**Reflection (2 marks).** In two or three sentences for the ward team: what does "
            "the run chart of falls show? *Rubric: 1 mark for reading the median and "
            "crossings correctly; 1 mark for the right conclusion (common-cause variation, "
            "no signal).*",
            metadata=_meta("rubric", locked=True),
        ),
        nbformat.v4.new_markdown_cell(
            "### BEGIN SOLUTION\n" + REFLECTION + "\n### END SOLUTION",
            metadata=_meta(
                "reflection",
                grade=True,
                solution=True,
                points=2,
                outcomes=[f"{assignment}.5"],
            ),
        ),
    ]
    return nb


def write_source(course_root: str | Path, assignment: str = ASSIGNMENT) -> Path:
    """Put the instructor version in ``source/{assignment}/`` of a course folder."""
    folder = Path(course_root) / "source" / assignment
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.ipynb"
    nbformat.write(source_notebook(assignment), path)
    return path


def _answer_cell(nb: NotebookNode, grade_id: str) -> NotebookNode:
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _set_function(nb: NotebookNode, grade_id: str, body: str) -> None:
    cell = _answer_cell(nb, grade_id)
    header = cell.source.split("    # YOUR CODE HERE")[0]
    cell.source = header + _indent(body)


#: The kinds of submission :func:`submission` can make.
KINDS = (
    "solution",
    "blank",
    "partial",
    "warns",
    "loop",
    "bomb",
    "tamper",
    "deleted",
    "oddities",
    "slow",
)


def submission(released: NotebookNode, kind: str) -> NotebookNode:
    """A learner's notebook made from the released (student) version.

    ``solution`` answers everything; ``blank`` hands back the release untouched; ``partial``
    gets the crossings subtly wrong; ``warns`` is correct but prints a ``FutureWarning`` on
    stderr; ``loop`` never finishes one cell; ``bomb`` allocates memory without end;
    ``tamper`` answers wrongly and edits a test (and its points); ``deleted`` deletes a test
    cell; ``oddities`` duplicates a test cell, asks for another kernel and changes a cell's
    type; ``slow`` sleeps for a minute in one cell.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    nb = copy.deepcopy(released)
    if kind == "blank":
        return nb
    median, crossings = MEDIAN_SOLUTION, CROSSINGS_SOLUTION
    if kind == "partial":
        crossings = CROSSINGS_PARTIAL
    elif kind == "warns":
        median = (
            "import warnings\n"
            'warnings.warn("this way of sorting is deprecated", FutureWarning)\n' + median
        )
    elif kind == "tamper":
        median = "return values[len(values) // 2]  # forgot to sort"
    _set_function(nb, "median_answer", median)
    _set_function(nb, "crossings_answer", crossings)
    _answer_cell(nb, "reflection").source = REFLECTION
    if kind == "loop":
        loop = (
            "import time\nwhile True:  # waits for a result that never comes\n    time.sleep(0.05)"
        )
        _answer_cell(nb, "crossings_answer").source = loop
    elif kind == "bomb":
        _answer_cell(nb, "crossings_answer").source = (
            "def hoard():\n"
            "    kept = []\n"
            "    while True:\n"
            "        kept.append(bytearray(256 * 2**20))\n"
            "\n"
            "hoard()"
        )
    elif kind == "slow":
        _answer_cell(nb, "crossings_answer").source = "import time\ntime.sleep(60)"
    elif kind == "tamper":
        test = _answer_cell(nb, "median_tests")
        test.source = "assert True  # passes whatever the answer"
        test.metadata["nbgrader"]["points"] = 20
    elif kind == "deleted":
        nb.cells.remove(_answer_cell(nb, "crossings_tests"))
    elif kind == "oddities":
        pasted = copy.deepcopy(_answer_cell(nb, "median_tests"))
        pasted["id"] = "pasted-copy"
        nb.cells.append(pasted)
        nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
        _answer_cell(nb, "instructions").cell_type = "raw"
    return nb


#: A notebook file damaged in transit (cut off mid-way), as LMS downloads sometimes are.
CORRUPTED = b'{"cells": [{"cell_type": "code", "source": "def run_median(values'


def write_roster(path: str | Path, learners: list[str]) -> Path:
    """A roster CSV for made-up learners ``id, name, email``."""
    path = Path(path)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "name", "email"])
        for learner in learners:
            writer.writerow([learner, f"Dr {learner.title()} Example", f"{learner}@nhs.example"])
    return path

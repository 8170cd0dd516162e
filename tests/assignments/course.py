"""Read the assignments' source notebooks and the curriculum manifest the way the tests need them.

Kept apart from the tests so that the static checks and the nbgrader runs share one reading of
what a graded cell, a hidden test and a rubric are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

from qilab import levels

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "assignments" / "source"
MANIFEST = REPO / "curriculum" / "escalator.yaml"

LEVELS = levels.LEVELS
THEMES = levels.THEMES
#: The 12 fixed module ids; each has one assignment of the same name.
MODULES = [f"{level}_{theme}" for level in LEVELS for theme in THEMES]

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
SOLUTION = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
RUBRIC = re.compile(r"\*\*Marking rubric \(tutor only, (\d+) marks?\)\.\*\*")
RUBRIC_ITEM = re.compile(r"^- (\d+) marks?:", re.M)
HEADER = re.compile(r"(\d+) marks \((\d+) marked automatically, (\d+) by your tutor\)")


def notebook_path(module: str) -> Path:
    return SOURCE / module / f"{module}.ipynb"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_autograded_test(cell: nbformat.NotebookNode) -> bool:
    """A locked code cell with points: nbgrader grades it by running it."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution")


def is_manual_answer(cell: nbformat.NotebookNode) -> bool:
    """A markdown answer with points: the tutor marks it against its rubric."""
    meta = nbgrader_meta(cell)
    return cell.cell_type == "markdown" and meta.get("grade", False) and meta.get("solution")


def is_graded(cell: nbformat.NotebookNode) -> bool:
    return is_autograded_test(cell) or is_manual_answer(cell)


def points(cell: nbformat.NotebookNode) -> float:
    return float(nbgrader_meta(cell).get("points", 0))


def outcomes(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.metadata.get("qilab", {}).get("outcomes", []))


@dataclass(frozen=True)
class Manifest:
    """The learning outcomes of each module, from curriculum/escalator.yaml."""

    outcomes: dict[str, set[str]]

    @classmethod
    def load(cls) -> Manifest:
        data = yaml.safe_load(MANIFEST.read_text())
        return cls(
            {
                module["id"]: {outcome["id"] for outcome in module.get("outcomes", [])}
                for module in data["modules"]
            }
        )


def secret_lines(nb: nbformat.NotebookNode) -> list[str]:
    """Lines a learner must never see: hidden tests, model answers and rubrics.

    Only lines long enough to be specific count (a bare ``)`` would match anything), and lines
    the learner is shown anyway are left out: a ``datasets.load`` that the visible checks use
    too, or a line of code quoted in the question.
    """
    secret, public = [], []
    for cell in nb.cells:
        source = cell.source
        for pattern in (HIDDEN, SOLUTION):
            for region in pattern.findall(source):
                secret += [line.strip() for line in region.splitlines() if len(line.strip()) >= 20]
            source = pattern.sub("", source)
        public.append(source)
    shown = "\n".join(public)
    return [line for line in dict.fromkeys(secret) if line not in shown]

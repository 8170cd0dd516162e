"""Learning outcomes behind the marks, and the escalator the reports judge them by.

Assignment authors tag every graded cell with the module's outcome ids in its metadata::

    "metadata": {"nbgrader": {...}, "qilab": {"outcomes": ["foundation_measurement.3"]}}

(``nbgrader.qilab.outcomes`` is read too). The manifest itself — outcome wording, pass marks,
outcome minimums, prerequisites — is read and validated by :mod:`qilab.escalator`, the same
code ``qilab progress`` uses: grading never parses ``escalator.yaml`` on its own.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from qilab.escalator.gradebook import Tags, cell_outcomes, outcome_tags
from qilab.escalator.manifest import Manifest, Module, load_manifest, load_manifest_file
from qilab.escalator.schema import LEVELS

from .course import Course

__all__ = [
    "LEVEL_TITLES",
    "cell_outcomes",
    "course_tags",
    "escalator",
    "level_of",
    "module_for",
    "tags_frame",
]

LEVEL_TITLES = {
    "foundation": "Foundation",
    "practitioner": "Practitioner",
    "advanced": "Advanced practitioner",
}


def level_of(assignment: str) -> str | None:
    """The escalator level of an assignment id ``{level}_{theme}`` (``None`` if it has none).

    Examples
    --------
    >>> level_of("practitioner_pdsa"), level_of("ps1")
    ('practitioner', None)
    """
    level = assignment.split("_", 1)[0]
    return level if level in LEVELS else None


def escalator(path: str | Path | None = None) -> Manifest:
    """The manifest the reports judge by: ``path`` (``--manifest``) or the course's own
    ``curriculum/escalator.yaml``; validated, so a broken manifest is one clear error."""
    return load_manifest_file(path) if path is not None else load_manifest()


def module_for(manifest: Manifest, assignment: str) -> Module:
    """The manifest's module for an assignment; an assignment outside the escalator (a
    practice sheet, say) is judged by the manifest's default pass mark and has no level."""
    for module in manifest.modules:
        if module.assignment == assignment:
            return module
    return Module(
        id=assignment,
        title=assignment,
        level="",
        theme="",
        outcomes=(),
        prerequisites=(),
        minutes=0,
        lesson="",
        simulations=(),
        datasets=(),
        assignment=assignment,
        case_study=None,
        sources=(),
        pass_mark=manifest.pass_mark,
    )


def course_tags(course: Course) -> Tags:
    """(assignment, notebook, cell) -> outcome ids, from the course's source notebooks."""
    return outcome_tags(course.root / "source")


def tags_frame(tags: Tags) -> pd.DataFrame:
    """The tags as a table, one row per (graded cell, outcome)."""
    rows = [(a, n, c, o) for (a, n, c), outcomes in tags.items() for o in outcomes]
    return pd.DataFrame(rows, columns=["assignment", "notebook", "cell", "outcome"])

"""Learning outcomes behind the marks: which outcome each graded cell gives evidence for.

Assignment authors tag every graded cell with the module's outcome ids in its metadata::

    "metadata": {"nbgrader": {...}, "qilab": {"outcomes": ["foundation_measurement.3"]}}

(``nbgrader.qilab.outcomes`` is read too). Together with the gradebook this turns scores into
attainment per outcome and per escalator level, and the escalator manifest
(``curriculum/escalator.yaml``) supplies each outcome's wording and the pass marks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from qilab.errors import QilabError

from .course import LEVELS, Course

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


def cell_outcomes(cell: dict[str, Any]) -> list[str]:
    """The outcome ids a notebook cell is tagged with (either metadata location)."""
    meta = cell.get("metadata", {})
    tagged = meta.get("qilab", {}).get("outcomes")
    if tagged is None:
        tagged = meta.get("nbgrader", {}).get("qilab", {}).get("outcomes")
    if isinstance(tagged, str):
        tagged = [tagged]
    return [str(t) for t in tagged or []]


def outcome_tags(course: Course) -> pd.DataFrame:
    """One row per (graded cell, outcome) from the course's source notebooks."""
    rows = []
    for assignment in course.assignments():
        for path in sorted((course.root / "source" / assignment).glob("*.ipynb")):
            try:
                nb = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            for cell in nb.get("cells", []):
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if gid:
                    rows += [(assignment, path.stem, gid, o) for o in cell_outcomes(cell)]
    return pd.DataFrame(rows, columns=["assignment", "notebook", "cell", "outcome"])


@dataclass
class Curriculum:
    """What the report needs from the escalator manifest (all optional)."""

    outcome_text: dict[str, str] = field(default_factory=dict)
    module_title: dict[str, str] = field(default_factory=dict)
    pass_marks: dict[str, float] = field(default_factory=dict)
    default_pass_mark: float = 50.0

    def pass_mark(self, assignment: str) -> float:
        return self.pass_marks.get(assignment, self.default_pass_mark)


def load_curriculum(path: str | Path | None, default_pass_mark: float = 50.0) -> Curriculum:
    """Read outcome wording and pass marks from ``escalator.yaml`` (absent file: defaults).

    Only reads the manifest; ``qilab check curriculum`` is what validates it.
    """
    curriculum = Curriculum(default_pass_mark=default_pass_mark)
    if path is None or not Path(path).is_file():
        return curriculum
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise QilabError(f"{path} is not valid YAML ({exc}); fix it or pass --manifest.") from None
    if "pass_mark" in raw:
        curriculum.default_pass_mark = float(raw["pass_mark"])
    for module in raw.get("modules", []) or []:
        module_id = str(module.get("id", ""))
        curriculum.module_title[module_id] = str(module.get("title", module_id))
        if module.get("pass_mark") is not None:
            curriculum.pass_marks[module_id] = float(module["pass_mark"])
        for outcome in module.get("outcomes", []) or []:
            curriculum.outcome_text[str(outcome.get("id"))] = str(outcome.get("text", ""))
    return curriculum


def default_manifest() -> Path | None:
    from qilab import paths

    try:
        path = paths.curriculum_dir() / "escalator.yaml"
    except QilabError:
        return None
    return path if path.is_file() else None


def attainment(grades: pd.DataFrame, tags: pd.DataFrame) -> pd.DataFrame:
    """Per learner and outcome: marks gained over marks available, in marked cells only.

    Cells still waiting for a tutor's marking are left out, so a pending reflection never
    reads as a failed outcome.

    Examples
    --------
    >>> grades = pd.DataFrame({"learner": ["a"], "assignment": ["x_y"], "notebook": ["x_y"],
    ...     "cell": ["t"], "score": [1.0], "max_score": [2.0], "needs_manual_grade": [False]})
    >>> tags = pd.DataFrame({"assignment": ["x_y"], "notebook": ["x_y"], "cell": ["t"],
    ...     "outcome": ["x_y.1"]})
    >>> attainment(grades, tags)[["outcome", "percent"]].to_dict("records")
    [{'outcome': 'x_y.1', 'percent': 50.0}]
    """
    columns = ["learner", "assignment", "outcome", "score", "max_score", "percent"]
    if grades.empty or tags.empty:
        return pd.DataFrame(columns=columns)
    marked = grades[~grades["needs_manual_grade"]]
    joined = marked.merge(tags, on=["assignment", "notebook", "cell"])
    table = joined.groupby(["learner", "assignment", "outcome"], as_index=False).agg(
        score=("score", "sum"), max_score=("max_score", "sum")
    )
    table["percent"] = 100 * table["score"] / table["max_score"].where(table["max_score"] > 0)
    return table[columns]

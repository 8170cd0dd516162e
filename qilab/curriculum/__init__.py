"""The skills-escalator curriculum: manifest, checks, learner progress and lesson quizzes.

``curriculum/escalator.yaml`` describes three levels by four themes (12 modules); this package
reads and validates it (:func:`load_manifest`), checks that the course on disk matches it
(:func:`check_course`, behind ``qilab check curriculum``), reports a learner's progress from the
nbgrader gradebook (:func:`progress`, behind ``qilab progress`` and the start page) and offers
the small ungraded quiz widget lessons use (:mod:`qilab.curriculum.quiz`).
"""

from __future__ import annotations

from qilab.escalator.manifest import (
    DEFAULT_PASS_MARK,
    Manifest,
    ManifestError,
    Module,
    Outcome,
    Stage,
    load_manifest,
    manifest_path,
)
from qilab.escalator.schema import LEVELS, THEMES, Problem, validate

from .progress import Progress, current_learner, progress, show_progress

__all__ = [
    "DEFAULT_PASS_MARK",
    "LEVELS",
    "THEMES",
    "Manifest",
    "ManifestError",
    "Module",
    "Outcome",
    "Problem",
    "Progress",
    "Stage",
    "current_learner",
    "load_manifest",
    "manifest_path",
    "progress",
    "show_progress",
    "validate",
]

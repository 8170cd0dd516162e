"""The skills escalator's manifest and its pass rule, in one place below every tool that uses them.

``curriculum/escalator.yaml`` says what the levels, modules, outcomes, pass marks and outcome
minimums are (:mod:`.schema`, :mod:`.manifest`); :mod:`.rules` says when a module and a level
count as complete; :mod:`.gradebook` reads the marks from nbgrader's gradebook the one way.
``qilab progress`` (:mod:`qilab.curriculum`) and the tutor's reports (:mod:`qilab.grading`)
both import them, so a learner and an academy lead never read two different answers.
"""

from __future__ import annotations

from .manifest import (
    DEFAULT_PASS_MARK,
    Manifest,
    ManifestError,
    Module,
    Outcome,
    Stage,
    load_manifest,
    load_manifest_file,
    manifest_path,
)
from .rules import ModuleMarks, ModuleResult, Standing, evaluate, judge, module_marks
from .schema import LEVELS, THEMES, Problem, validate

__all__ = [
    "DEFAULT_PASS_MARK",
    "LEVELS",
    "THEMES",
    "Manifest",
    "ManifestError",
    "Module",
    "ModuleMarks",
    "ModuleResult",
    "Outcome",
    "Problem",
    "Stage",
    "Standing",
    "evaluate",
    "judge",
    "load_manifest",
    "load_manifest_file",
    "manifest_path",
    "module_marks",
    "validate",
]

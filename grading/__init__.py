"""Tutor tooling for cohorts, driving nbgrader's own API (see grading/README.md).

The workflow, one function per step (``qilab course …`` on the command line)::

    from qilab.grading import Course, init_course, release, collect, autograde
    init_course("cohort-2025", "roster.csv")
    course = Course.open("cohort-2025")
    release(course, level="foundation")
    collect(course, "foundation_measurement", "moodle-download.zip")
    autograde(course, "foundation_measurement")        # parallel; nbgrader marks
    generate_feedback(course, "foundation_measurement")
    build_report(course)

Modules: :mod:`.course` (the course folder and its nbgrader config), :mod:`.roster`,
:mod:`.release` with :mod:`.deadlines`, :mod:`.collect` and :mod:`.lms`, :mod:`.autograde`
with :mod:`.cluster` (Dask), :mod:`.execution` (the task a worker runs) and :mod:`.integrity`,
:mod:`.preprocessors` (the nbgrader preprocessors the course config names), :mod:`.feedback`
with :mod:`.provisional` and :mod:`.explain` (errors in plain words, which :mod:`.validate`, the
learner's Validate button, shares),
:mod:`.pending`, :mod:`.results`, :mod:`.outcomes`, :mod:`.cohort` (every learner judged by
:mod:`qilab.escalator.rules`), :mod:`.report`, :mod:`.gradefiles` (Moodle and Canvas),
:mod:`.progress`, and :mod:`.synthetic` (a made-up cohort to practise on).

The step functions are bound here by name; they share their names with the modules that
hold them (``qilab.grading.autograde`` the module, ``autograde`` the function), so import them
from the package as above, or from the module: ``from qilab.grading.autograde import autograde``.
"""

# ruff: noqa: E402 (the step functions are imported after without_iri_grammar() runs)
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from qilab import without_iri_grammar

without_iri_grammar()  # before nbformat imports jsonschema: marking starts 1.5 s sooner

# Steps named like their modules are bound now (the function must win over the module).
from .autograde import autograde
from .collect import collect
from .course import Course, CourseError, init_course
from .release import release, select_assignments
from .roster import read_roster

# The others are imported when first used: reports and feedback bring pandas and Altair
# (about 1 s), which `qilab course autograde` and most other commands never need.
_LAZY = {
    "build_report": ".report",
    "generate_feedback": ".feedback",
    "load_gradebook": ".results",
}

if TYPE_CHECKING:
    from .feedback import generate_feedback
    from .report import build_report
    from .results import load_gradebook


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Course",
    "CourseError",
    "autograde",
    "build_report",
    "collect",
    "generate_feedback",
    "init_course",
    "load_gradebook",
    "read_roster",
    "release",
    "select_assignments",
]

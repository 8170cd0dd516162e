"""Release assignments to a cohort: all of them, one escalator level, or named ones.

Releasing is nbgrader's two steps — ``generate_assignment`` (student version into ``release/``,
cells and points into the gradebook) and ``release_assignment`` (into the exchange, for
learners on the same JupyterHub). Cohorts on an LMS upload ``release/{assignment}/`` instead.
Running it again is safe: what is already generated or released is reported and left alone
unless ``force`` is given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .course import LEVELS, Course, CourseError, quiet_nbgrader


def select_assignments(
    course: Course, names: list[str] | None = None, level: str | None = None
) -> list[str]:
    """Assignment ids by name or by escalator level (ids are ``{level}_{theme}``); default all.

    Examples
    --------
    >>> select_assignments(Course.open("cohort"), level="foundation")  # doctest: +SKIP
    ['foundation_codesign', 'foundation_measurement', 'foundation_pdsa', 'foundation_systems']
    """
    available = course.assignments()
    if not available:
        raise CourseError(
            f"{course.root / 'source'} has no assignments: copy nbgrader source assignments "
            "there (or re-run `qilab course init` with --source)."
        )
    if level:
        if level not in LEVELS:
            raise CourseError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}.")
        chosen = [a for a in available if a.split("_", 1)[0] == level]
        if not chosen:
            raise CourseError(f"no {level} assignments in {course.root / 'source'}.")
        return chosen
    if names:
        unknown = [n for n in names if n not in available]
        if unknown:
            raise CourseError(
                f"no assignment called {', '.join(unknown)}; this course has: "
                f"{', '.join(available)}."
            )
        return list(names)
    return available


@dataclass
class ReleaseReport:
    generated: list[str] = field(default_factory=list)
    already_generated: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    already_released: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    due: datetime | None = None
    due_set: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = []
        if self.generated:
            lines.append(f"Generated student versions: {', '.join(self.generated)}")
        if self.already_generated:
            lines.append(
                f"Already generated (kept; --force regenerates): "
                f"{', '.join(self.already_generated)}"
            )
        if self.released:
            lines.append(f"Released to the exchange: {', '.join(self.released)}")
        if self.already_released:
            lines.append(f"Already in the exchange: {', '.join(self.already_released)}")
        if self.due is not None and self.due_set:
            lines.append(
                f"Due {self.due:%d %b %Y %H:%M} UTC: {', '.join(self.due_set)} "
                "(late work is shown in the report; extensions: `qilab course extend`)"
            )
        lines += [f"error: {e}" for e in self.errors]
        return "\n".join(lines) or "Nothing to release."


def _error(result: dict[str, Any]) -> str:
    text = (result.get("error") or result.get("log") or "").strip()
    return text.splitlines()[-1] if text else "nbgrader failed"


def release(
    course: Course,
    names: list[str] | None = None,
    level: str | None = None,
    exchange: bool = True,
    force: bool = False,
    due: datetime | None = None,
) -> ReleaseReport:
    """Generate the student versions and (optionally) put them in nbgrader's exchange.

    Examples
    --------
    >>> print(release(Course.open("cohort"), level="foundation"))  # doctest: +SKIP
    Generated student versions: foundation_codesign, foundation_measurement, ...

    ``due`` (naive UTC, see :func:`qilab.grading.deadlines.parse_when`) becomes nbgrader's
    due date of every assignment named, already released or not.
    """
    report = ReleaseReport(due=due)
    api = course.api()
    for assignment in select_assignments(course, names, level):
        notebook_dir = course.root / "release" / assignment
        if notebook_dir.is_dir() and any(notebook_dir.iterdir()) and not force:
            report.already_generated.append(assignment)
        else:
            with quiet_nbgrader():
                result = api.generate_assignment(assignment, force=True, create=True)
            if not result["success"]:
                report.errors.append(f"{assignment}: {_error(result)}")
                continue
            report.generated.append(assignment)
        if due is not None:
            from .deadlines import set_due

            set_due(course, [assignment], due)
            report.due_set.append(assignment)
        if not exchange:
            continue
        outbound = course.exchange_root() / course.course_id / "outbound" / assignment
        if outbound.is_dir() and not force:
            report.already_released.append(assignment)
            continue
        with quiet_nbgrader():
            result = _release_assignment(api, assignment, force)
        if result["success"]:
            report.released.append(assignment)
        else:
            report.errors.append(f"{assignment}: {_error(result)}")
    return report


def _release_assignment(api: Any, assignment: str, force: bool) -> dict[str, Any]:
    from nbgrader.utils import capture_log, temp_attrs

    with temp_attrs(api.coursedir, assignment_id=assignment):
        app = api.exchange.ReleaseAssignment(
            coursedir=api.coursedir, authenticator=api.authenticator, parent=api
        )
        app.force = force
        return capture_log(app)

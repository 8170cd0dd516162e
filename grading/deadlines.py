"""Due dates, per-learner extensions and late penalties, kept where nbgrader looks for them.

- A due date is nbgrader's own ``Assignment.duedate`` (``qilab course release --due``).
- An extension is nbgrader's own ``SubmittedAssignment.extension``. nbgrader can only hold one
  once the learner has a submission, so ``qilab course extend`` also records it in the course's
  ``deadlines.json``; :class:`LatePenalties` (nbgrader's ``AssignLatePenalties``, named in the
  course's ``nbgrader_config.py``) copies it into the gradebook before nbgrader works out
  lateness, so an extension granted before the work arrives is honoured.
- The penalty is :class:`LatePenalty`, an nbgrader ``LateSubmissionPlugin``: a percentage of
  the notebook's marks available per day (or part of a day) late, up to a cap; 0 (the default)
  means no penalty. nbgrader never takes off more than the notebook scored.

All times are kept as nbgrader keeps them, naive UTC; a time typed without a zone is read in
the course's ``c.Exchange.timezone`` (nbgrader's setting, UTC unless changed).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from nbgrader.plugins import LateSubmissionPlugin
from nbgrader.preprocessors import AssignLatePenalties
from traitlets import Float

from .course import Course, CourseError, quiet_nbgrader

DEADLINES_NAME = "deadlines.json"
DATE_HINT = "write it like 2025-03-14 17:00 (or 2025-03-14T17:00+01:00 with a time zone)"


def parse_when(text: str, timezone: str = "UTC") -> datetime:
    """A date and time a tutor typed, as naive UTC (nbgrader's convention).

    Examples
    --------
    >>> parse_when("2025-03-14 17:00")
    datetime.datetime(2025, 3, 14, 17, 0)
    >>> parse_when("2025-06-14 17:00", "Europe/London")
    datetime.datetime(2025, 6, 14, 16, 0)
    """
    import dateutil.parser
    import dateutil.tz

    try:
        moment = dateutil.parser.parse(str(text))
    except (ValueError, OverflowError):
        raise CourseError(f"cannot read {text!r} as a date and time: {DATE_HINT}.") from None
    if moment.tzinfo is None:
        zone = dateutil.tz.gettz(timezone or "UTC")
        if zone is None:
            raise CourseError(
                f"unknown time zone {timezone!r} in c.Exchange.timezone: use a name such as "
                "Europe/London or UTC."
            )
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dateutil.tz.UTC).replace(tzinfo=None)


def course_timezone(course: Course) -> str:
    return str(course.config().get("Exchange", {}).get("timezone", "UTC") or "UTC")


@dataclass
class Deadlines:
    """Extensions granted: (assignment, learner) -> the new deadline (naive UTC)."""

    extensions: dict[tuple[str, str], datetime] = field(default_factory=dict)

    def extension(self, assignment: str, learner: str) -> datetime | None:
        return self.extensions.get((assignment, learner))

    def due_for(self, assignment: str, learner: str, due: datetime | None) -> datetime | None:
        """The learner's own deadline: the extension when granted, else the due date."""
        until = self.extension(assignment, learner)
        if until is None:
            return due
        return until if due is None else max(due, until)


def load_deadlines(course_root: Course | Path) -> Deadlines:
    root = course_root.root if isinstance(course_root, Course) else Path(course_root)
    path = root / DEADLINES_NAME
    if not path.is_file():
        return Deadlines()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        items = raw.get("extensions", [])
        return Deadlines(
            {
                (str(i["assignment"]), str(i["learner"])): datetime.fromisoformat(i["until"])
                for i in items
            }
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CourseError(
            f"{path} is damaged ({exc}): restore it from a backup, or delete it and grant the "
            "extensions again with `qilab course extend`."
        ) from None


def _save(course: Course, deadlines: Deadlines) -> None:
    path = course.root / DEADLINES_NAME
    items = [
        {"assignment": a, "learner": learner, "until": until.isoformat()}
        for (a, learner), until in sorted(deadlines.extensions.items())
    ]
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps({"extensions": items}, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)  # never a half-written file


def set_due(course: Course, assignments: list[str], when: datetime) -> None:
    """Set nbgrader's due date of each (generated) assignment."""
    with course.gradebook() as gb, quiet_nbgrader():
        for assignment in assignments:
            gb.update_or_create_assignment(assignment, duedate=when)


@dataclass
class Extension:
    """What ``extend`` did."""

    learner: str
    assignment: str
    due: datetime
    until: datetime
    regrade: bool  # already autograded: run autograde --force for the penalty to follow

    def __str__(self) -> str:
        text = (
            f"Extension for {self.learner} on {self.assignment}: due {self.due:%d %b %Y %H:%M} "
            f"UTC, now {self.until:%d %b %Y %H:%M} UTC."
        )
        if self.regrade:
            text += (
                f" Already marked: run `qilab course autograde {self.assignment} --learner "
                f"{self.learner} --force` to work out any late penalty again."
            )
        return text


def extend(course: Course, learner: str, assignment: str, until: datetime) -> Extension:
    """Give one learner until ``until`` (naive UTC) for one assignment.

    Recorded in ``deadlines.json`` and, once the learner has a submission, in nbgrader's own
    ``SubmittedAssignment.extension`` (which the Formgrader shows). Granting again replaces
    the earlier extension; nothing else in the file is touched.
    """
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb, quiet_nbgrader():
        try:
            gb.find_student(learner)
        except MissingEntry:
            raise CourseError(
                f"no learner {learner!r} in this course: check the id (`qilab course init` "
                "adds learners from the roster)."
            ) from None
        try:
            due = gb.find_assignment(assignment).duedate
        except MissingEntry:
            raise CourseError(
                f"{assignment!r} is not released yet: release it with a due date first "
                f"(`qilab course release {assignment} --due …`)."
            ) from None
        if due is None:
            raise CourseError(
                f"{assignment} has no due date to extend: set one with `qilab course release "
                f"{assignment} --due …`."
            )
        if until <= due:
            raise CourseError(
                f"the extension ({until:%d %b %Y %H:%M} UTC) must be after the due date "
                f"({due:%d %b %Y %H:%M} UTC)."
            )
        regrade = False
        try:
            submission = gb.find_submission(assignment, learner)
        except MissingEntry:
            submission = None
        if submission is not None:
            submission.extension = until - due
            gb.db.commit()
            regrade = (course.root / "autograded" / learner / assignment).is_dir()
    deadlines = load_deadlines(course)
    deadlines.extensions[(assignment, learner)] = until
    _save(course, deadlines)
    return Extension(learner, assignment, due, until, regrade)


class LatePenalty(LateSubmissionPlugin):
    """A share of the notebook's marks available off for each day, or part day, late.

    Set in the course's ``nbgrader_config.py``, e.g. ``c.LatePenalty.percent_per_day = 10``
    and ``c.LatePenalty.max_percent = 50``. With ``percent_per_day = 0`` nbgrader's own
    ``penalty_method`` applies (``none`` by default).
    """

    percent_per_day = Float(0.0, help="% of the notebook's marks off per day or part day late").tag(
        config=True
    )
    max_percent = Float(100.0, help="the most a late penalty may take, in %").tag(config=True)

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float | None:
        if self.percent_per_day <= 0:
            return super().late_submission_penalty(student_id, score, total_seconds_late)
        days = math.ceil(total_seconds_late / 86400)
        percent = min(self.max_percent, days * self.percent_per_day)
        return percent / 100.0 * _notebook_max(self.parent)


def _notebook_max(pre: Any) -> float:
    notebook = pre.gradebook.find_notebook(pre.notebook_id, pre.assignment_id)
    return float(notebook.max_score or 0.0)


class LatePenalties(AssignLatePenalties):
    """nbgrader's ``AssignLatePenalties``, honouring extensions granted before submission."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        from nbgrader.api import Gradebook, MissingEntry
        from nbgrader.coursedir import CourseDirectory

        info = resources["nbgrader"]
        root = Path(CourseDirectory(config=self.config).root)
        until = load_deadlines(root).extension(info["assignment"], info["student"])
        if until is not None:
            with Gradebook(info["db_url"]) as gb:
                try:
                    submission = gb.find_submission(info["assignment"], info["student"])
                except MissingEntry:
                    submission = None
                due = submission.assignment.duedate if submission is not None else None
                if submission is not None and due is not None and until > due:
                    submission.extension = until - due
                    gb.db.commit()
        return super().preprocess(nb, resources)

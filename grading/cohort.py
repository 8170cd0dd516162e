"""A cohort's standing, computed once by the escalator's one rule, for every report and file.

Each learner's marks (:func:`qilab.escalator.gradebook.all_marks`) are judged by
:func:`qilab.escalator.rules.evaluate` — exactly what ``qilab progress`` does for one learner —
and laid out as tables: a row per learner and module (status, final or provisional, what is
pending, lateness), attainment by outcome over marked cells only, level completion over every
module of each level, who is behind, and the written answers waiting for a tutor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from qilab.escalator.gradebook import all_marks, table_rows
from qilab.escalator.manifest import Manifest
from qilab.escalator.rules import ModuleMarks, Standing, evaluate, judge

from .course import Course, assignment_sort_key
from .deadlines import Deadlines, load_deadlines
from .integrity import IntegrityRecord, Status, load_records
from .outcomes import LEVEL_TITLES, course_tags, escalator, level_of, module_for
from .pending import pending_rows
from .results import Gradebook, load_gradebook

COMPLETED = "completed"
NOT_GRADED = "not graded (see integrity)"
WAITING = "submitted, not yet autograded"
MISSING = "not submitted"
#: The rule's words for a module, as the reports show them (``passed`` reads ``completed``).
SHOWN = {"passed": COMPLETED}
STATUS_ORDER = [
    COMPLETED,
    "prerequisites not complete",
    "awaiting marking",
    "below outcome minimum",
    "below pass mark",
    WAITING,
    NOT_GRADED,
    MISSING,
]
FINAL, PROVISIONAL = "final", "provisional"


@dataclass
class CohortData:
    """Everything the reports show, computed once."""

    book: Gradebook
    manifest: Manifest
    assignments: list[str]  # released: in the gradebook
    standings: dict[str, Standing]
    marks: dict[str, dict[str, ModuleMarks]]
    status: pd.DataFrame
    attainment: pd.DataFrame
    levels: pd.DataFrame
    missed: pd.DataFrame
    behind: pd.DataFrame
    pending: pd.DataFrame
    records: list[IntegrityRecord]
    now: datetime
    deadlines: Deadlines = field(default_factory=Deadlines)

    def name(self, learner: str) -> str:
        return self.names.get(learner, learner)

    @property
    def names(self) -> dict[str, str]:
        people = self.book.learners
        return {
            row.learner: (" ".join(p for p in (row.first_name, row.last_name) if p) or row.learner)
            for row in table_rows(people)
        }


def _naive_utc(value: Any) -> datetime | None:
    """nbgrader keeps times as naive UTC; pandas may hand back Timestamps or NaT."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


def cohort_data(
    course: Course, manifest: str | Path | Manifest | None = None, now: datetime | None = None
) -> CohortData:
    """Read the gradebook, integrity records, deadlines and outcome tags into report tables."""
    manifest = manifest if isinstance(manifest, Manifest) else escalator(manifest)
    now = _naive_utc(now or datetime.now(UTC)) or datetime.now(UTC).replace(tzinfo=None)
    book = load_gradebook(course)
    assignments = sorted(book.assignments["assignment"], key=assignment_sort_key)
    records = load_records(course.root / "integrity")
    failed = {(r.learner, r.assignment) for r in records if r.status == Status.NOT_GRADED}
    marks = all_marks(book, course_tags(course))
    deadlines = load_deadlines(course)
    names = {
        row.learner: (" ".join(p for p in (row.first_name, row.last_name) if p) or row.learner)
        for row in table_rows(book.learners)
    }
    emails = dict(zip(book.learners["learner"], book.learners["email"], strict=True))
    dues = {
        a: _naive_utc(d)
        for a, d in zip(book.assignments["assignment"], book.assignments["duedate"], strict=True)
    }
    stamps = {
        (row.learner, row.assignment): _naive_utc(row.timestamp)
        for row in table_rows(book.submitted)
    }
    # an extension granted in nbgrader itself (the Formgrader, `gb.grant_extension`) counts too
    for row in table_rows(book.submitted):
        granted = row.extension
        due = dues.get(row.assignment)
        if due is not None and granted is not None and not pd.isna(granted):
            until = due + pd.Timedelta(granted).to_pytimedelta()
            known = deadlines.extension(row.assignment, row.learner)
            if known is None or until > known:
                deadlines.extensions[(row.assignment, row.learner)] = until
    standings = {
        learner: evaluate(manifest, learner, marks.get(learner, {}))
        for learner in book.learners["learner"]
    }

    rows = []
    for learner in book.learners["learner"]:
        standing = standings[learner]
        mine = marks.get(learner, {})
        for assignment in assignments:
            module = module_for(manifest, assignment)
            in_manifest = module.level != ""
            result = (
                standing.module(module.id) if in_manifest else judge(module, mine.get(assignment))
            )
            got = result.marks
            shown = SHOWN.get(result.status, result.status)
            if got is None:
                if (learner, assignment) in failed:
                    shown = NOT_GRADED
                elif (course.root / "submitted" / learner / assignment).is_dir():
                    shown = WAITING
                else:
                    shown = MISSING
            due = deadlines.due_for(assignment, learner, dues.get(assignment))
            submitted = stamps.get((learner, assignment))
            late_by = (
                submitted - due
                if submitted is not None and due is not None and submitted > due
                else None
            )
            rows.append(
                {
                    "learner": learner,
                    "name": names.get(learner, learner),
                    "email": emails.get(learner, ""),
                    "assignment": assignment,
                    "module": module.title,
                    "level": level_of(assignment),
                    "status": shown,
                    "complete": result.complete,
                    "marks": result.mark_state,
                    "score": None if got is None else round(got.score, 4),
                    "max_score": None if got is None else got.max_score,
                    "percent": None if got is None or got.percent is None else got.percent,
                    "pass_mark": module.pass_mark,
                    "late_penalty": None if got is None else got.late_penalty,
                    "pending": "" if got is None else got.pending_text(),
                    "detail": result.detail() if got is not None else "",
                    "submitted": submitted,
                    "due": due,
                    "extended": deadlines.extension(assignment, learner) is not None,
                    "late": late_by is not None,
                    "late_by": late_by,
                }
            )
    status = pd.DataFrame(rows)
    if status.empty:
        status = pd.DataFrame(columns=["learner", "assignment", "status", "percent", "level"])
    status["percent"] = pd.to_numeric(status["percent"]).astype(float)

    return CohortData(
        book=book,
        manifest=manifest,
        assignments=assignments,
        standings=standings,
        marks=marks,
        status=status,
        attainment=_attainment(marks, manifest),
        levels=_levels(standings, names),
        missed=_missed(book),
        behind=_behind(status, now),
        pending=pending_rows(book),
        records=records,
        now=now,
        deadlines=deadlines,
    )


def _attainment(marks: dict[str, dict[str, ModuleMarks]], manifest: Manifest) -> pd.DataFrame:
    """Per learner and outcome: marks gained over marks available, in **marked** cells only."""
    columns = ["learner", "assignment", "outcome", "score", "max_score", "percent", "minimum"]
    rows = []
    for learner, by_assignment in marks.items():
        for assignment, got in by_assignment.items():
            module = module_for(manifest, assignment)
            for outcome, (score, of) in got.outcomes.items():
                spec = module.outcome(outcome)
                rows.append(
                    (
                        learner,
                        assignment,
                        outcome,
                        score,
                        of,
                        100 * score / of if of else None,
                        None if spec is None else spec.minimum,
                    )
                )
    table = pd.DataFrame(rows, columns=columns)
    table["percent"] = pd.to_numeric(table["percent"]).astype(float)
    table["minimum"] = pd.to_numeric(table["minimum"]).astype(float)
    return table.sort_values(["learner", "outcome"]).reset_index(drop=True)


def _levels(standings: dict[str, Standing], names: dict[str, str]) -> pd.DataFrame:
    """Per learner and level: modules complete out of **every** module of the level."""
    rows = [
        (learner, names.get(learner, learner), lv.level.id, lv.complete, lv.done, len(lv.modules))
        for learner, standing in standings.items()
        for lv in standing.levels
    ]
    return pd.DataFrame(
        rows, columns=["learner", "name", "level", "completed", "modules_done", "modules"]
    ).astype({"completed": bool})


def _missed(book: Gradebook) -> pd.DataFrame:
    graded = book.grades
    missed = pd.DataFrame(
        columns=["assignment", "cell", "kind", "submissions", "missed", "percent_missed"]
    )
    marked = graded[~graded["needs_manual_grade"]] if not graded.empty else graded
    if not marked.empty:
        marked = marked.assign(missed=marked["score"] < marked["max_score"])
        missed = marked.groupby(["assignment", "cell", "kind"], as_index=False).agg(
            submissions=("learner", "nunique"), missed=("missed", "sum")
        )
        missed["percent_missed"] = 100 * missed["missed"] / missed["submissions"]
        missed = missed.sort_values(["percent_missed", "missed"], ascending=False)
    return missed


def _behind(status: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Who needs a nudge: nothing submitted once the (extended) deadline has passed, or
    nothing submitted and no deadline set; final marks that did not pass; work that could not
    be marked. Work awaiting a tutor is the tutor's to do, not the learner's: not listed."""
    columns = ["learner", "name", "email", "assignment", "reason"]
    rows = []
    for row in table_rows(status):
        reason = ""
        if row.status == MISSING:
            if row.due is None or pd.isna(row.due):
                reason = "no submission"
            elif row.due < now:
                reason = f"no submission: overdue since {_when(row.due)}"
        elif row.status == NOT_GRADED:
            reason = "submission could not be marked: ask for it again"
        elif row.marks == FINAL and not row.complete:
            reason = (
                f"not passed: {row.status} ({row.percent:.1f} %, pass mark {row.pass_mark:g} %)"
            )
            if row.detail:
                reason += f"; {row.detail}"
        if reason:
            rows.append((row.learner, row.name, row.email, row.assignment, reason))
    return pd.DataFrame(rows, columns=columns)


def _when(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC")


def level_title(level: str | None) -> str:
    return LEVEL_TITLES.get(level or "", "other")


def late_text(delta: timedelta | None) -> str:
    """``2 days 3 h late`` for a report cell; empty when on time."""
    if delta is None or pd.isna(delta):
        return ""
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    minutes = int(delta.total_seconds() // 60) % 60
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if not days and not hours:
        parts.append(f"{max(minutes, 1)} min")
    return " ".join(parts) + " late"

"""The checkout's own course for a doctor studying alone, without a tutor.

Every lesson ends with "do the assignment (Nbgrader → Assignment List)", but nbgrader's list
shows only what a tutor has *released* into the exchange, and on a laptop there is no tutor.
So ``qilab lab`` releases the checkout's course (``assignments/``, state in ``.qilab/``) into its
local exchange once, before the server starts, through the same API tutors use
(:func:`qilab.grading.release.release`). It never re-releases over an existing release and
never touches a submission: an assignment already in the exchange is left exactly as it is.

``qilab progress`` reads the exchange's ``inbound/`` folder (read-only,
:func:`qilab.curriculum.progress.submissions_in`) to say "submitted, awaiting marking" before
anyone has marked a submission, and ``qilab progress --mark`` (:func:`mark_own_work`) marks the
learner's own submissions on the tutors' path, never touching a mark already given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qilab import paths

if TYPE_CHECKING:
    from qilab.grading.course import Course


def _exchange_dir(root: Path) -> Path:
    return root / ".qilab" / "exchange"


def checkout_course(root: Path | None = None) -> Course | None:
    """The checkout's nbgrader course, if it runs on the embedded defaults; else None.

    Embedded defaults: the course's ``Exchange.root`` is the checkout's ``.qilab/exchange``. An
    academy that pointed the course at a shared exchange releases its own way, so QI Lab leaves
    it alone.
    """
    from qilab.grading.course import Course

    root = Path(root) if root is not None else paths.project_root()
    course = Course.open(root / "assignments")
    if course.exchange_root().resolve() != _exchange_dir(root).resolve():
        return None
    return course


def outbound(course: Course) -> Path:
    """The exchange folder holding the course's released assignments."""
    return course.exchange_root() / course.course_id / "outbound"


def unreleased(course: Course) -> list[str]:
    """The course's assignments not yet in its exchange (cheap: folder checks only)."""
    released = outbound(course)
    return [a for a in course.assignments() if not (released / a).is_dir()]


@dataclass
class FirstStart:
    """What :func:`release_on_first_start` did, and the one line to tell the learner."""

    released: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    skipped: str = ""

    def message(self) -> str:
        """One line for the terminal, or "" when there is nothing to say (already released)."""
        if self.errors:
            done = f"; the other {len(self.released)} are released" if self.released else ""
            return (
                f"QI Lab: could not release {'; '.join(self.errors)}{done}. The Assignment List "
                "lacks it until this is fixed: restore the course with `git checkout -- "
                "assignments/`, then restart `qilab lab` (or run `qilab course release -C "
                "assignments`)."
            )
        if self.released:
            return (
                f"QI Lab: released {len(self.released)} assignments to your Assignment List "
                "(first start only; your work is kept in my-work/)."
            )
        return self.skipped


def release_on_first_start(root: Path | None = None) -> FirstStart:
    """Release the checkout course's assignments not yet in its local exchange.

    Fast when everything is released (folder checks, no nbgrader call); never re-releases an
    assignment already in the exchange (``force`` is never set) and never opens ``inbound/``.
    Any failure is reported in :attr:`FirstStart.errors`, not raised: the server starts anyway.
    """
    from qilab.errors import QilabError

    result = FirstStart()
    try:
        course = checkout_course(root)
        if course is None:
            result.skipped = (
                "QI Lab: assignments/nbgrader_config.py points at another exchange: release "
                "assignments there with `qilab course release -C assignments`."
            )
            return result
        missing = unreleased(course)
        if not missing:
            return result
        from qilab.grading.release import release

        report = release(course, names=missing, exchange=True, force=False)
    except QilabError as exc:
        result.errors.append(f"the course's assignments ({exc})")
        return result
    except Exception as exc:  # nbgrader's own failures: say so once, still serve the lessons
        result.errors.append(f"the course's assignments ({type(exc).__name__}: {exc})")
        return result
    result.released = list(report.released)
    result.errors = [_plain(error) for error in report.errors]
    return result


def _plain(error: str) -> str:
    """nbgrader's "see the above traceback" (which the learner never sees) in plain words.

    >>> _plain("foundation_pdsa: NbGraderException: Please see the the above traceback ...")
    'foundation_pdsa (nbgrader could not convert assignments/source/foundation_pdsa/)'
    """
    name, _, text = error.partition(": ")
    if "traceback" in text:
        return f"{name} (nbgrader could not convert assignments/source/{name}/)"
    return f"{name} ({text})" if text else name


@dataclass
class MarkReport:
    """What :func:`mark_own_work` did, per assignment, in words for the learner."""

    learner: str
    marked: list[str] = field(default_factory=list)
    #: Assignments marked again because the learner submitted since: where the earlier
    #: submission is kept (nbgrader's rule, as a tutor's run follows it).
    remarked: list[tuple[str, Path | None]] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = []
        if self.marked:
            lines.append(
                f"Marked {', '.join(self.marked)} for {self.learner}: the automatic checks are "
                "scored; a written answer you left blank scores 0, one you wrote waits for a "
                "tutor (progress says provisional until then). Feedback: Assignment List → "
                "Submitted assignments → Fetch Feedback."
            )
        for assignment, earlier in self.remarked:
            kept = f"; your earlier submission is kept at {earlier}" if earlier else ""
            lines.append(f"Marked {assignment} again: you submitted it since its last mark{kept}.")
        if self.already:
            lines.append(
                f"Already marked, kept as they are: {', '.join(self.already)} (nothing submitted "
                "since; submit again to be marked again)."
            )
        lines += self.problems
        return "\n".join(lines) or (
            f"Nothing to mark for {self.learner}: submit an assignment first (Nbgrader → "
            "Assignment List → Submit)."
        )


def mark_own_work(learner: str, root: Path | None = None) -> MarkReport:
    """Mark ``learner``'s own submissions to the checkout course, as a tutor's run would.

    For each assignment the learner has submitted and that is not marked yet: collect only
    their submission (nbgrader's ``student_id``), autograde it on the tutors' path (sandboxed
    kernels, the course's limits; :func:`qilab.grading.autograde.autograde`), and write and
    release their feedback, labelled provisional while written answers await a tutor.

    A resubmission is marked as a tutor's run marks it (nbgrader's rule): only when the
    learner submitted *since* the last mark, and collect keeps the earlier submission aside.
    Otherwise an assignment already autograded is left exactly as it is.
    """
    from qilab.curriculum.progress import default_inbound, submissions_in
    from qilab.errors import QilabError
    from qilab.grading.autograde import autograde, needs_grading
    from qilab.grading.collect import collect
    from qilab.grading.feedback import generate_feedback
    from qilab.grading.integrity import Status

    report = MarkReport(learner)
    root = Path(root) if root is not None else paths.project_root()
    course = checkout_course(root)
    if course is None:
        raise QilabError(
            "assignments/nbgrader_config.py points at another exchange: your tutor marks that "
            "course (`qilab progress` shows the marks)."
        )
    submitted = submissions_in(default_inbound(root), learner)
    for assignment in course.assignments():
        if assignment not in submitted:
            continue
        marked_before = (course.root / "autograded" / learner / assignment).is_dir()
        try:
            _add_learner(course, learner)
            # Safe to repeat: the same files are left alone, a newer submission replaces the
            # collected one and the earlier is kept aside (qilab.grading.collect).
            collected = collect(course, assignment, learner=learner)
            report.problems += [f"{assignment}: {p}" for p in collected.problems]
            if marked_before and not needs_grading(course, learner, assignment):
                report.already.append(assignment)
                continue
            graded = autograde(course, assignment, learners=[learner], workers=1, progress=False)
            outcome = next((o for o in graded.outcomes if o.learner == learner), None)
            if outcome is None or outcome.status == Status.NOT_GRADED:
                report.problems.append(f"{assignment}: not marked.\n{graded}")
                continue
            feedback = generate_feedback(course, assignment, [learner], provisional=True)
            report.problems += [f"{assignment}: feedback: {e}" for e in feedback.errors]
        except QilabError as exc:
            report.problems.append(f"{assignment}: {exc}")
            continue
        if marked_before:
            earlier = next((where for who, where in collected.replaced if who == learner), None)
            report.remarked.append((assignment, earlier))
        else:
            report.marked.append(assignment)
    return report


def _add_learner(course: Course, learner: str) -> None:
    """Put the learner on the checkout course's roster (collect marks only roster learners)."""
    from nbgrader.api import MissingEntry

    with course.gradebook() as gb:
        try:
            gb.find_student(learner)
        except MissingEntry:
            gb.add_student(learner)

"""A learner's progress up the escalator, read from the nbgrader gradebook.

Completion is decided by the escalator's one pass rule (:mod:`qilab.escalator.rules`, which the
tutor's reports use too): a module is complete when its marks are **final** (no written answer
waiting for a tutor), reach its pass mark and every outcome minimum, and its prerequisites are
complete; a level is complete when every one of its modules is. Marks waiting for a tutor are
shown as *provisional*, with what is pending. Grades come from nbgrader's own
:class:`nbgrader.api.Gradebook`, opened **read-only**: looking at progress must never change a
grade. A course with no gradebook yet, or a learner with no submissions, is a normal state
("no submissions yet"), not an error.

The learner id is nbgrader's: ``JUPYTERHUB_USER`` on a hub, otherwise the operating-system
user name.
"""

from __future__ import annotations

import functools
import getpass
import html
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import jinja2
import pandas as pd

from qilab import paths
from qilab.errors import QilabError
from qilab.escalator.gradebook import Tags, all_marks, outcome_tags, read_tables
from qilab.escalator.manifest import Manifest, Module, load_manifest
from qilab.escalator.rules import (
    LevelResult,
    ModuleResult,
    Standing,
    Status,
    evaluate,
    next_module,
)

GRADEBOOK_NAME = "gradebook.db"
#: The checkout's own nbgrader course (assignments/nbgrader_config.py).
CHECKOUT_COURSE_ID = "qilab"
NEEDED_TABLES = {"submitted_assignment", "assignment", "student"}

#: The names this module used before the rule moved to :mod:`qilab.escalator.rules`.
ModuleProgress = ModuleResult
LevelProgress = LevelResult
__all__ = ["LevelProgress", "ModuleProgress", "Progress", "Status", "progress", "show_progress"]


class GradebookError(QilabError):
    """The gradebook exists but cannot be read; the message says what to do."""


@dataclass(frozen=True)
class Progress:
    """A learner's progress through every module and level.

    ``has_submissions`` is False for a learner (or course) with nothing in the gradebook yet.
    """

    learner: str
    standing: Standing
    gradebook: str | None
    has_submissions: bool

    @property
    def levels(self) -> tuple[LevelResult, ...]:
        return self.standing.levels

    @property
    def modules(self) -> tuple[ModuleResult, ...]:
        return self.standing.modules

    @property
    def completed(self) -> list[str]:
        """Ids of the completed modules, in escalator order."""
        return self.standing.completed

    @property
    def completed_levels(self) -> list[str]:
        return self.standing.completed_levels

    def next_module(self) -> Module | None:
        """The first unfinished module whose prerequisites are all complete (a suggestion)."""
        return next_module(self.standing)

    def to_frame(self) -> pd.DataFrame:
        """One row per module: status, score, whether the marks are final, what is pending."""
        return pd.DataFrame(
            [
                {
                    "module": m.module.id,
                    "level": m.module.level,
                    "theme": m.module.theme,
                    "title": m.module.title,
                    "status": m.status,
                    "marks": m.mark_state,
                    "score": None if m.marks is None else m.marks.score,
                    "max_score": None if m.marks is None else m.marks.max_score,
                    "percent": None if m.percent is None else round(m.percent, 1),
                    "late_penalty": None if m.marks is None else m.marks.late_penalty,
                    "pass_mark": m.module.pass_mark,
                    "detail": m.detail(),
                }
                for m in self.modules
            ]
        )

    def text(self) -> str:
        """Plain-text report for the command line."""
        lines = [f"Progress for {self.learner}"]
        if not self.has_submissions:
            lines.append(_no_submissions(self.gradebook))
        for level in self.levels:
            flag = "complete" if level.complete else f"{level.done} of {len(level.modules)} done"
            lines.append(f"\n{level.level.title} ({flag})")
            for m in level.modules:
                mark = "[x]" if m.complete else "[ ]"
                lines.append(f"  {mark} {m.module.id:<26} {status_text(m)}")
        nxt = self.next_module()
        if nxt is not None:
            lines.append(f"\nSuggested next: {nxt.title} (curriculum/{nxt.lesson})")
        elif self.levels and all(lv.complete for lv in self.levels):
            lines.append("\nEvery level complete: you are an advanced practitioner.")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """A table for the start page: ticks per module, a line per level."""
        return _template("learner_progress.html.j2").render(
            progress=self,
            no_submissions=_no_submissions(self.gradebook),
            status=status_text,
            next=self.next_module(),
        )


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("qilab.curriculum", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template(name: str) -> jinja2.Template:
    return _environment().get_template(name)


def current_learner() -> str:
    """The learner id nbgrader uses for this person: the hub user, else the OS user name."""
    return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()


def default_gradebook(root: Path | None = None) -> Path:
    """The course's SQLite gradebook ``.qilab/gradebook.db`` (assignments/nbgrader_config.py)."""
    base = Path(root) if root is not None else paths.project_root()
    return base / ".qilab" / GRADEBOOK_NAME


def progress(
    learner: str | None = None,
    gradebook: str | Path | None = None,
    manifest: Manifest | None = None,
    source: str | Path | None = None,
    exchange: str | Path | None = None,
) -> Progress:
    """Which modules and levels a learner has completed, from their graded submissions.

    Parameters
    ----------
    learner
        nbgrader student id; default :func:`current_learner`.
    gradebook
        Path to a SQLite gradebook, or any SQLAlchemy URL (e.g. ``postgresql://…``); default the
        course's ``.qilab/gradebook.db``. SQLite files are opened read-only.
    manifest
        The escalator; default :func:`load_manifest` (pass marks come from it).
    source
        nbgrader source assignments, for the outcome tags behind outcome minimums; default a
        course's ``source/`` beside its gradebook, else the project's ``assignments/source``.
    exchange
        An nbgrader ``inbound/`` folder to read (read-only) for submissions not marked yet;
        default the checkout course's own (:func:`default_inbound`) when ``gradebook`` is the
        default, else none (a cohort's exchange is the tutor's to collect).

    Returns
    -------
    Progress
        ``.completed`` module ids, ``.completed_levels``, ``.to_frame()``, ``.text()``; shown as
        a table in a notebook.

    Examples
    --------
    >>> p = progress("learner1", gradebook="/tmp/none.db")   # doctest: +SKIP
    >>> p.has_submissions, p.completed                       # doctest: +SKIP
    (False, [])
    """
    manifest = manifest or load_manifest()
    learner = learner or current_learner()
    url, label = _url(gradebook)
    tags = outcome_tags(Path(source)) if source is not None else _default_tags(gradebook)
    marks = _marks(url, label, learner, tags).get(learner, {}) if url else {}
    submitted = _submitted(learner, gradebook, exchange)
    standing = evaluate(manifest, learner, marks, submitted)
    return Progress(learner, standing, label, has_submissions=bool(marks or submitted))


def _submitted(learner: str, gradebook: str | Path | None, inbound: str | Path | None) -> set[str]:
    """Assignments the learner handed in to the exchange (names of folders, read-only)."""
    if inbound is not None:
        return submissions_in(Path(inbound), learner)
    if gradebook is not None:
        return set()
    try:
        return submissions_in(default_inbound(), learner)
    except QilabError:
        return set()


def default_inbound(root: Path | None = None) -> Path:
    """Where the checkout's course receives submissions: ``.qilab/exchange/qilab/inbound``
    (``Exchange.root`` and the course id in assignments/nbgrader_config.py; a test keeps the two
    equal)."""
    base = Path(root) if root is not None else paths.project_root()
    return base / ".qilab" / "exchange" / CHECKOUT_COURSE_ID / "inbound"


def submissions_in(inbound: Path, learner: str) -> set[str]:
    """Assignment ids with a submission by ``learner`` in an nbgrader ``inbound/`` folder.

    Names only, never the files: nbgrader names each submission
    ``{learner}+{assignment}+{timestamp}[+{random}]``.

    >>> submissions_in(Path("/nonexistent"), "amira")
    set()
    """
    if not inbound.is_dir():
        return set()
    found = set()
    for entry in inbound.iterdir():
        parts = entry.name.split("+")
        if len(parts) >= 3 and parts[0] == learner and entry.is_dir():
            found.add(parts[1])
    return found


def _default_tags(gradebook: str | Path | None) -> Tags:
    """Outcome tags from the course's source notebooks: a cohort course's ``source/`` beside
    its gradebook, else the project's ``assignments/source``."""
    if gradebook is not None and "://" not in str(gradebook):
        beside = Path(gradebook).resolve().parent / "source"
        if beside.is_dir():
            return outcome_tags(beside)
    try:
        return outcome_tags(paths.assignments_dir() / "source")
    except QilabError:
        return {}


def _url(gradebook: str | Path | None) -> tuple[str | None, str | None]:
    """(SQLAlchemy URL or None when there is no gradebook yet, a label for messages)."""
    if gradebook is not None and "://" in str(gradebook):
        url = str(gradebook)
        if not url.startswith("sqlite:///"):
            return url, url.split("@")[-1]  # never show a password
        gradebook = url.removeprefix("sqlite:///")
    path = Path(gradebook) if gradebook is not None else default_gradebook()
    if not path.is_file() or not _has_tables(path):
        return None, str(path)
    return f"sqlite:///file:{path.resolve().as_posix()}?mode=ro&uri=true", str(path)


def _has_tables(path: Path) -> bool:
    try:
        with sqlite3.connect(f"file:{path.resolve().as_posix()}?mode=ro", uri=True) as db:
            names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as exc:
        raise GradebookError(
            f"{path} is not a readable gradebook ({exc}): check the path, or ask your tutor "
            "for the course's gradebook."
        ) from None
    return names >= NEEDED_TABLES


def _marks(url: str, label: str | None, learner: str, tags: Tags) -> dict:
    """The learner's marks per assignment, through nbgrader's Gradebook API (read-only)."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SQLAlchemyError

    try:
        # course_id="" makes nbgrader look up, never insert, a course row: a read-only open.
        with Gradebook(url, course_id="") as gb:
            tables = read_tables(gb, learner, every_course=True)
    except SQLAlchemyError as exc:
        raise GradebookError(
            f"Cannot read the gradebook {label} ({exc.__class__.__name__}): check that it is an "
            "nbgrader gradebook and that no other program is rebuilding it, then try again."
        ) from None
    return all_marks(tables, tags)


def status_text(m: ModuleResult) -> str:
    """The status in words with the score, e.g. ``passed (75 % final; pass mark 50 %)``."""
    if m.percent is None:
        return m.status
    late = (
        f", late penalty {m.marks.late_penalty:g} marks"
        if m.marks is not None and m.marks.late_penalty
        else ""
    )
    text = (
        f"{m.status} ({m.percent:.0f} % {m.mark_state}{late}; pass mark {m.module.pass_mark:.0f} %)"
    )
    detail = m.detail()
    return f"{text}: {detail}" if detail else text


def _no_submissions(gradebook: str | None) -> str:
    return (
        "No submissions yet: submit an assignment (Nbgrader → Assignment List) and, once it is "
        "marked, your progress shows here."
    )


@dataclass(frozen=True)
class ProgressMessage:
    """What the start page shows instead of a table when progress cannot be read."""

    text: str

    def _repr_html_(self) -> str:
        return f"<p class='qilab-progress-message'>{html.escape(self.text)}</p>"

    def __str__(self) -> str:
        return self.text


def show_progress(learner: str | None = None, gradebook: str | Path | None = None) -> object:
    """:func:`progress` for a notebook: a table, or a plain message instead of a traceback.

    The start page calls this, so a learner whose course has a damaged gradebook or manifest
    reads what to do rather than an error dump.

    Examples
    --------
    >>> show_progress("amira", gradebook="/tmp/missing.db")   # doctest: +SKIP
    <table of 12 modules, 'No submissions yet: …'>
    """
    try:
        return progress(learner, gradebook=gradebook)
    except QilabError as exc:
        return ProgressMessage(f"Progress is not available: {exc}")

"""A cohort's course directory: nbgrader's layout, its config file and its gradebook.

``qilab course init`` makes one folder per cohort. It is an ordinary nbgrader course — a tutor
can run ``nbgrader`` or the Formgrader in it — whose ``nbgrader_config.py`` also switches on
QI Lab's fairer marking (warnings on stderr do not fail a correct answer; deleted graded cells
are restored) and safe feedback (hidden tests never shown). Everything QI Lab adds is an
nbgrader preprocessor named in that file, so plain ``nbgrader autograde`` and
``qilab course autograde`` mark identically.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Configurable

from qilab import levels
from qilab.errors import QilabError

from .fingerprint import folder_digest
from .roster import Learner, RowProblem, read_roster

CONFIG_NAME = "nbgrader_config.py"
#: Marks a folder as a QI Lab cohort course (and records how it was made).
MARKER_NAME = "qilab-course.json"
#: The skills escalator's levels, lowest first (defined once, with the curriculum's manifest).
LEVELS = levels.LEVELS

SANITIZE_PREPROCESSORS = [
    "nbgrader.preprocessors.ClearOutput",
    "qilab.grading.preprocessors.DeduplicateIds",
    "qilab.grading.preprocessors.RestoreMissingCells",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
AUTOGRADE_PREPROCESSORS = [
    "nbgrader.preprocessors.Execute",
    "qilab.grading.preprocessors.FairWarnings",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "qilab.grading.deadlines.LatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
FEEDBACK_PREPROCESSORS = [
    "nbgrader.preprocessors.GetGrades",
    "qilab.grading.feedback.PlainWordsFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

CONFIG_TEMPLATE = """\
# nbgrader configuration for {what}.
# {written}.
# Plain `nbgrader` commands and the Formgrader read it too, so they mark exactly as
# `qilab course autograde` does.
from pathlib import Path

here = Path(__file__).resolve().parent
c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
{state}
c.CourseDirectory.root = str(here)
c.CourseDirectory.course_id = {course_id_literal}
# The gradebook: SQLite {sqlite_where} by default, or any SQLAlchemy URL (PostgreSQL for a
# large academy). Keep passwords out of this file: use ~/.pgpass, which PostgreSQL reads itself.
c.CourseDirectory.db_url = {db_expr}
# Where learners fetch and submit (a shared folder when several people use one JupyterHub).
c.Exchange.root = {exchange_expr}

# Seconds one notebook cell may run before nbgrader stops it, and may wait for its output (a
# kernel importing the plotting stack on a busy server can be slow; nbgrader's default is 4 s).
c.Execute.timeout = {cell_timeout}
c.Execute.iopub_timeout = 60

# QI Lab's additions, as nbgrader preprocessors (qilab.grading.preprocessors / .feedback):
# DeduplicateIds fixes nbgrader 0.9's, which made any submission with a pasted copy of a test
# cell unmarkable; RestoreMissingCells puts back graded cells a learner deleted (instead of
# 'needs manual grade' for ever); FairWarnings stops a warning printed on stderr from failing a
# correct answer; PlainWordsFeedback keeps hidden tests out of feedback and says why each check
# failed.
c.Autograde.sanitize_preprocessors = {sanitize}
c.Autograde.autograde_preprocessors = {autograde}
c.GenerateFeedback.preprocessors = {feedback}

# `qilab course autograde`: parallel workers (0 = one per CPU core), and limits per submission.
c.QilabGrading.workers = 0
# Or an academy's Dask scheduler, whose workers run the notebooks (grading/README.md):
# c.QilabGrading.scheduler = "tcp://marking.example.ac.uk:8786"
c.QilabGrading.submission_timeout = {submission_timeout}  # seconds of wall clock, all cells
c.QilabGrading.memory_limit_mb = {memory_limit_mb}  # address space of the learner's kernel
# Pass marks and outcome minimums live in curriculum/escalator.yaml, the one place both the
# reports and `qilab progress` read them (c.QilabGrading.pass_mark is no longer used).

# Late work (`qilab course release --due`, `qilab course extend`): this share of a notebook's
# marks comes off per day, or part of a day, late, up to max_percent. 0 = no penalty.
c.LatePenalties.plugin_class = "qilab.grading.deadlines.LatePenalty"
c.LatePenalty.percent_per_day = 0
c.LatePenalty.max_percent = 100
# Each learner's kernel runs in a bubblewrap sandbox: only its own files, no course folder, no
# network, its own processes (at most max_processes). Output kept per cell and notebook, bytes.
c.QilabGrading.sandbox = True
c.QilabGrading.max_processes = 256
c.QilabGrading.cell_output_bytes = 4_000_000
c.QilabGrading.notebook_output_bytes = 16_000_000
# A submission that times out is run again alone at the end (a time-out can be the load).
c.QilabGrading.retry_timeouts = True
# Gradebook backups kept in backups/ (SQLite; one is made before each autograde run).
c.QilabGrading.backups = 5
# Marked notebooks keep no ipywidgets state (about 1 MB each otherwise).
c.Execute.store_widget_state = False
"""


class CourseError(QilabError):
    """A cohort course folder is missing, incomplete or asked to do something impossible."""


def _list_literal(items: list[str]) -> str:
    inner = "".join(f"\n    {json.dumps(item)}," for item in items)
    return f"[{inner}\n]"


def config_text(
    course_id: str,
    db_url: str | None = None,
    exchange: str | Path | None = None,
    cell_timeout: int = 60,
    submission_timeout: int = 600,
    memory_limit_mb: int = 2048,
) -> str:
    """The ``nbgrader_config.py`` of a new cohort course — QI Lab's one nbgrader configuration.

    The checkout's own course (``assignments/nbgrader_config.py``) is this text too
    (:func:`checkout_config_text`; a test keeps them equal), so the course a learner practises
    on marks exactly as a cohort course does.

    Examples
    --------
    >>> text = config_text("cohort-2025")
    >>> "qilab.grading.preprocessors.FairWarnings" in text
    True
    """
    return _render(
        course_id,
        db_expr=json.dumps(db_url) if db_url else "f\"sqlite:///{here / 'gradebook.db'}\"",
        exchange_expr=json.dumps(str(exchange)) if exchange else 'str(here / "exchange")',
        limits=(cell_timeout, submission_timeout, memory_limit_mb),
    )


#: The checkout's course keeps its state beside it, in the untracked ``.qilab/`` folder.
CHECKOUT_STATE = """
# The checkout's course: gradebook and exchange live in the untracked .qilab/ beside it
# (`qilab lab` puts this folder on JUPYTER_CONFIG_PATH; made here on first use, even by hand).
state = here.parent / ".qilab"
(state / "exchange").mkdir(parents=True, exist_ok=True)
# The Assignment List fetches into, and submits from, my-work/ beside the lessons: git-ignored
# (`git status` stays clean and `git clean -fd` keeps it), not loose in the checkout's root.
work = here.parent / "my-work"
work.mkdir(exist_ok=True)
c.Exchange.assignment_dir = str(work)
# The learner's copies of what they submitted (the list's "Submitted assignments"): with this
# checkout, not in ~/.local/share/jupyter where every other checkout's would mix in.
c.Exchange.cache = str(state / "nbgrader_cache")
"""


def checkout_config_text() -> str:
    """``assignments/nbgrader_config.py``: the cohort template with the checkout's state folder.

    Examples
    --------
    >>> "state / 'gradebook.db'" in checkout_config_text()
    True
    """
    return _render(
        "qilab",
        db_expr="f\"sqlite:///{state / 'gradebook.db'}\"",
        exchange_expr='str(state / "exchange")',
        limits=(60, 600, 2048),
        what="QI Lab's own course in this checkout (learners practise here)",
        written="Generated by checkout_config_text(), grading/course.py: change it there",
        state=CHECKOUT_STATE,
        sqlite_where="in ../.qilab/",
    )


def _render(
    course_id: str,
    db_expr: str,
    exchange_expr: str,
    limits: tuple[int, int, int],
    what: str = "",
    written: str = "Written by `qilab course init`; safe to edit",
    state: str = "",
    sqlite_where: str = "in this folder",
) -> str:
    cell_timeout, submission_timeout, memory_limit_mb = limits
    return CONFIG_TEMPLATE.format(
        what=what or f"the QI Lab cohort course {course_id!r}",
        written=written,
        state=state,
        sqlite_where=sqlite_where,
        db_expr=db_expr,
        exchange_expr=exchange_expr,
        course_id_literal=json.dumps(course_id),
        cell_timeout=int(cell_timeout),
        submission_timeout=int(submission_timeout),
        memory_limit_mb=int(memory_limit_mb),
        sanitize=_list_literal(SANITIZE_PREPROCESSORS),
        autograde=_list_literal(AUTOGRADE_PREPROCESSORS),
        feedback=_list_literal(FEEDBACK_PREPROCESSORS),
    )


def ensure_tools_on_path() -> None:
    """nbgrader runs ``alembic`` by name when it creates a gradebook: find ours."""
    bindir = str(Path(sys.executable).parent)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *parts])


def read_schema_head_in_process() -> None:
    """Stamp new gradebooks without nbgrader's ``alembic heads`` subprocess.

    nbgrader learns its schema version by starting another Python that imports nbgrader
    (several seconds, every time a gradebook is created). The answer is the head revision of
    nbgrader's own migration scripts, which alembic reads here in milliseconds; the value
    stamped is the same.
    """
    import nbgrader.api

    if getattr(nbgrader.api.get_alembic_version, "qilab", False):
        return
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    original = nbgrader.api.get_alembic_version

    @functools.cache
    def head() -> str:
        try:
            return str(ScriptDirectory(ALEMBIC_DIR).get_current_head())
        except Exception:  # a layout alembic cannot read: ask nbgrader's way
            return str(original())

    head.qilab = True  # type: ignore[attr-defined]
    nbgrader.api.get_alembic_version = head


@contextmanager
def quiet_nbgrader() -> Iterator[None]:
    """Hide SQLAlchemy's autoflush warnings that nbgrader 0.9 triggers on every run."""
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)
        yield


@dataclass
class Course:
    """An existing cohort course folder, opened for nbgrader's API.

    Examples
    --------
    >>> course = Course.open("cohort-2025")          # doctest: +SKIP
    >>> course.assignments()                          # doctest: +SKIP
    ['foundation_measurement', 'foundation_pdsa', ...]
    """

    root: Path
    #: The parsed nbgrader_config.py and the (mtime, size) it was read at: read once, again
    #: only if the file changes (a tutor's edit, or a test's, between two calls).
    _loaded: tuple[tuple[int, int], Any] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def open(cls, path: str | Path) -> Course:
        root = Path(path).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise CourseError(
                f"{root} is not a course folder (no {CONFIG_NAME}): make one with "
                "`qilab course init DIR --roster roster.csv`, or pass the right folder "
                "with --course DIR."
            )
        ensure_tools_on_path()
        read_schema_head_in_process()
        return cls(root)

    # -- nbgrader's configuration and API -------------------------------------------------
    def config(self) -> Any:
        """The course's nbgrader configuration (a traitlets ``Config``), a copy to change freely.

        The file is executed once per ``Course`` and again only when it changes: the gradebook
        URL, course id and folders are all read from it, many times a command.
        """
        path = self.root / CONFIG_NAME
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise CourseError(f"{path} disappeared: restore it.") from None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if self._loaded is None or self._loaded[0] != stamp:
            self._loaded = (stamp, self._read_config())
        return copy.deepcopy(self._loaded[1])

    def _read_config(self) -> Any:
        from traitlets.config.loader import ConfigFileNotFound, PyFileConfigLoader

        try:
            return PyFileConfigLoader(CONFIG_NAME, path=str(self.root)).load_config()
        except ConfigFileNotFound:
            raise CourseError(f"{self.root / CONFIG_NAME} disappeared: restore it.") from None
        except Exception as exc:
            raise CourseError(
                f"{self.root / CONFIG_NAME} has an error ({exc}): fix it, or rewrite it with "
                "`qilab course init` (your roster and grades are kept)."
            ) from None

    def settings(self, config: Any | None = None) -> QilabGrading:
        return QilabGrading(config=config if config is not None else self.config())

    def coursedir(self, config: Any | None = None) -> Any:
        from nbgrader.coursedir import CourseDirectory

        config = config if config is not None else self.config()
        return CourseDirectory(config=config)

    def api(self, config: Any | None = None) -> Any:
        """nbgrader's ``NbGraderAPI`` for this course (optionally with extra config)."""
        from nbgrader.apps.api import NbGraderAPI

        config = config if config is not None else self.config()
        with quiet_nbgrader():
            api = NbGraderAPI(coursedir=self.coursedir(config), config=config)
        api.log.setLevel("ERROR")
        return api

    def exchange_root(self) -> Path:
        root = self.config().Exchange.get("root")
        return Path(root) if root else self.root / "exchange"

    @property
    def db_url(self) -> str:
        return self.coursedir().db_url

    @property
    def course_id(self) -> str:
        return self.coursedir().course_id

    @contextmanager
    def gradebook(self) -> Iterator[Any]:
        from nbgrader.api import Gradebook

        require_driver(self.db_url)
        with quiet_nbgrader():
            try:
                gb = Gradebook(self.db_url, self.course_id)
            except Exception as exc:
                raise CourseError(
                    f"cannot open the gradebook {_redact(self.db_url)} ({type(exc).__name__}: "
                    f"{str(exc).splitlines()[0]}): check the database is running and the URL "
                    f"in {self.root / CONFIG_NAME}."
                ) from None
            try:
                yield gb
            finally:
                gb.close()

    # -- folders ---------------------------------------------------------------------------
    def folder(self, step: str, learner: str = ".", assignment: str = ".") -> Path:
        """nbgrader's folder for a step (``source``, ``submitted``, ``autograded`` …)."""
        return Path(self.coursedir().format_path(step, learner, assignment)).resolve()

    def assignments(self) -> list[str]:
        """Assignment ids with a source folder, escalator order first (level, then name)."""
        source = self.root / "source"
        if not source.is_dir():
            return []
        names = [p.name for p in source.iterdir() if p.is_dir() and not p.name.startswith(".")]
        return sorted(names, key=assignment_sort_key)

    def learners(self) -> list[Learner]:
        with self.gradebook() as gb:
            return [
                Learner(s.id, s.first_name or "", s.last_name or "", s.email or "")
                for s in gb.students
            ]

    def state_dir(self, *parts: str) -> Path:
        """QI Lab's own records in the course (integrity reports, staging, archives)."""
        path = self.root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path


def require_driver(db_url: str) -> None:
    """Fail with the fix when the gradebook's database driver (e.g. psycopg2) is missing.

    Without this, SQLAlchemy's ImportError surfaced as "check the database is running".
    """
    from sqlalchemy.engine import make_url

    try:
        dialect = make_url(db_url).get_dialect()
    except Exception:
        return  # a malformed URL: opening the gradebook says so
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        fix = (
            "pip install 'qilab[postgres]'"
            if dialect.name == "postgresql"
            else f"pip install {missing}"
        )
        raise CourseError(
            f"the gradebook {_redact(db_url)} needs the {missing} database driver, which is not "
            f"installed: run `{fix}` (in QI Lab's environment), then the same command again."
        ) from None


def assignment_sort_key(name: str) -> tuple[int, str]:
    """Sort ``{level}_{theme}`` ids by escalator level, anything else last."""
    level = name.split("_", 1)[0]
    return (LEVELS.index(level) if level in LEVELS else len(LEVELS), name)


def _redact(url: str) -> str:
    """A database URL with any password hidden, for messages (SQLAlchemy's own rendering).

    Examples
    --------
    >>> _redact("postgresql://tutor:s3cret@db.trust.nhs.uk/gradebook")
    'postgresql://tutor:***@db.trust.nhs.uk/gradebook'
    >>> _redact("sqlite:///gradebook.db")
    'sqlite:///gradebook.db'
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy can read: show only its scheme
        return url.split("://", 1)[0] + "://…" if "@" in url else url


class QilabGrading(Configurable):
    """QI Lab's grading settings, read from the course's nbgrader_config.py."""

    workers = Integer(0, help="parallel autograde workers; 0 = one per CPU core").tag(config=True)
    submission_timeout = Integer(
        600, help="wall-clock seconds for one submission, all cells together"
    ).tag(config=True)
    memory_limit_mb = Integer(
        2048, help="address-space cap of a learner's kernel, in MiB (0 = none)"
    ).tag(config=True)
    pass_mark = Float(
        50.0, help="no longer used: pass marks live in curriculum/escalator.yaml"
    ).tag(config=True)
    sandbox = Bool(
        True, help="run each learner's kernel in a bubblewrap sandbox (False: at your risk)"
    ).tag(config=True)
    max_processes = Integer(
        256, help="processes and threads a learner's code may have at once (0 = no cap)"
    ).tag(config=True)
    cell_output_bytes = Integer(
        4_000_000, help="output kept from one cell, in bytes (0 = no limit)"
    ).tag(config=True)
    notebook_output_bytes = Integer(
        16_000_000, help="output kept from one notebook, in bytes (0 = no limit)"
    ).tag(config=True)
    retry_timeouts = Bool(
        True,
        help="run a submission that timed out again, alone, at the end of the run "
        "(a time-out can be the machine's load, not the learner's code)",
    ).tag(config=True)
    backups = Integer(
        5, help="gradebook backups kept (SQLite), one made before each autograde run"
    ).tag(config=True)
    scheduler = Unicode(
        "",
        help="address of an academy's Dask scheduler (tcp://host:8786) whose workers "
        "execute submissions; empty: a LocalCluster on this computer",
    ).tag(config=True)


@dataclass
class InitReport:
    """What ``init`` did: learners added or updated, rows it could not use, assignments."""

    root: Path
    created: bool
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_roster: list[str] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    assignments_copied: list[str] = field(default_factory=list)
    assignments_kept: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [
            f"{'Created' if self.created else 'Updated'} course {self.root}",
            f"  learners: {len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged",
        ]
        if self.not_in_roster:
            lines.append(
                f"  kept {len(self.not_in_roster)} learner(s) not in this roster "
                f"(init never deletes): {', '.join(self.not_in_roster)}"
            )
        if self.assignments_copied:
            lines.append(f"  assignments copied: {', '.join(self.assignments_copied)}")
        if self.assignments_kept:
            lines.append(
                "  kept your edited copy of: "
                + ", ".join(self.assignments_kept)
                + " (delete the folder in source/ to take the course's version)"
            )
        if self.problems:
            lines.append(f"  {len(self.problems)} roster row(s) NOT added — fix and run again:")
            lines += [f"    {problem}" for problem in self.problems]
        return "\n".join(lines)


def default_source() -> Path | None:
    """The repository's nbgrader assignments (``assignments/source``), if present."""
    from qilab import paths

    try:
        source = paths.assignments_dir() / "source"
    except QilabError:
        return None
    return source if source.is_dir() else None


def init_course(
    directory: str | Path,
    roster: str | Path,
    db_url: str | None = None,
    course_id: str | None = None,
    source: str | Path | None = None,
    exchange: str | Path | None = None,
    cell_timeout: int = 60,
    submission_timeout: int = 600,
    memory_limit_mb: int = 2048,
) -> InitReport:
    """Create (or update) a cohort course folder and load its learners from a roster CSV.

    Safe to run again: new learners are added, changed names or emails updated, and nothing is
    ever deleted — neither learners missing from the roster nor an edited ``nbgrader_config.py``
    or assignment source.

    Parameters
    ----------
    directory
        The course folder (created if needed).
    roster
        CSV with columns ``id``, ``name`` (or ``first_name``/``last_name``) and ``email``.
    db_url
        SQLAlchemy URL of the gradebook; default SQLite ``gradebook.db`` in the folder.
    source
        Folder of nbgrader source assignments to copy in; default the course's own
        ``assignments/source``.

    Examples
    --------
    >>> report = init_course("cohort-2025", "roster.csv")   # doctest: +SKIP
    >>> print(report)                                        # doctest: +SKIP
    Created course /home/tutor/cohort-2025
      learners: 48 added, 0 updated, 0 unchanged
    """
    root = Path(directory).expanduser().resolve()
    parsed = read_roster(roster)  # read first: a bad roster path changes nothing on disk
    if db_url:
        require_driver(db_url)  # and a missing driver neither
    if root.exists() and not root.is_dir():
        raise CourseError(f"{root} is a file: choose a folder name for the course.")
    created = not (root / CONFIG_NAME).exists()
    if created and root.is_dir() and any(root.iterdir()) and not (root / MARKER_NAME).exists():
        raise CourseError(
            f"{root} already holds other files: choose a new or empty folder for the course."
        )
    new_root = not root.exists()
    before = set(root.iterdir()) if root.is_dir() else set()
    root.mkdir(parents=True, exist_ok=True)
    try:
        limits = (cell_timeout, submission_timeout, memory_limit_mb)
        return _init(root, parsed, created, db_url, course_id, source, exchange, limits)
    except BaseException:
        if created:  # leave nothing half-made: remove only what this call created
            for path in set(root.iterdir()) - before:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
            if new_root:
                with contextlib.suppress(OSError):
                    root.rmdir()
        raise


def _init(
    root: Path,
    parsed: Any,
    created: bool,
    db_url: str | None,
    course_id: str | None,
    source: str | Path | None,
    exchange: str | Path | None,
    limits: tuple[int, int, int],
) -> InitReport:
    """The body of :func:`init_course`, once the folder exists."""
    cell_timeout, submission_timeout, memory_limit_mb = limits
    config_path = root / CONFIG_NAME
    course_id = course_id or _course_id_from(root.name)
    if created:
        config_path.write_text(
            config_text(
                course_id, db_url, exchange, cell_timeout, submission_timeout, memory_limit_mb
            )
        )
        (root / MARKER_NAME).write_text(
            json.dumps({"course_id": course_id, "created": datetime.now(UTC).isoformat()}, indent=2)
        )
    elif db_url:
        existing = Course.open(root).db_url
        if existing != db_url:
            raise CourseError(
                f"{root} already uses the gradebook {_redact(existing)}; edit "
                f"c.CourseDirectory.db_url in {config_path} to move it (copy the grades first)."
            )
    course = Course.open(root)
    course.exchange_root().mkdir(parents=True, exist_ok=True)
    for step in ("source", "release", "submitted", "autograded", "feedback"):
        (root / step).mkdir(exist_ok=True)

    report = InitReport(root=root, created=created, problems=parsed.problems)
    _copy_sources(Path(source) if source else default_source(), root / "source", report)
    load_learners(course, parsed.learners, report)
    return report


def _course_id_from(name: str) -> str:
    cleaned = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in name).strip("-")
    return cleaned or "qilab"


def _copy_sources(source: Path | None, dest: Path, report: InitReport) -> None:
    if source is None:
        return
    if not source.is_dir():
        raise CourseError(f"No assignment folder at {source}: check --source.")
    for folder in sorted(p for p in source.iterdir() if p.is_dir() and p.name[0] not in "._"):
        target = dest / folder.name
        if not target.exists():
            shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            report.assignments_copied.append(folder.name)
        elif folder_digest(folder) != folder_digest(target):
            report.assignments_kept.append(folder.name)


def load_learners(course: Course, learners: list[Learner], report: InitReport) -> None:
    """Add new learners to the gradebook and update changed names or emails; delete no one.

    The one way learners enter a course: ``qilab course init --roster`` and the LMS roster pull
    (:mod:`qilab.grading.lti.nrps`) both call it, so both follow the same rules.
    """
    with course.gradebook() as gb:
        existing = {s.id: s for s in gb.students}
        for learner in learners:
            fields = {
                "first_name": learner.first_name,
                "last_name": learner.last_name,
                "email": learner.email or None,
            }
            current = existing.get(learner.id)
            if current is None:
                gb.add_student(learner.id, **fields)
                report.added.append(learner.id)
            elif any(getattr(current, k) != v for k, v in fields.items()):
                gb.update_or_create_student(learner.id, **fields)
                report.updated.append(learner.id)
            else:
                report.unchanged.append(learner.id)
        in_roster = {learner.id for learner in learners}
        report.not_in_roster = sorted(set(existing) - in_roster)

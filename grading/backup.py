"""The gradebook is never lost: a backup before every autograde run, and ``restore``.

A SQLite gradebook is one file; a bad disk, a mistaken command or (before the sandbox) a
learner's code could zero it, and every mark with it. Before each ``qilab course autograde``
the gradebook is copied with SQLite's online backup API (:meth:`sqlite3.Connection.backup`,
a consistent copy even while something else has it open) into the course's ``backups/``
folder; the newest few are kept (``c.QilabGrading.backups``, default 5).

``qilab course restore`` lists them, and ``qilab course restore NAME`` puts one back — after
saving the current gradebook beside them, so a restore never loses anything either.

A PostgreSQL gradebook is backed up with PostgreSQL's own tools (``pg_dump``; see
grading/README.md), not here.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from .course import Course, CourseError

PREFIX = "gradebook-"
#: Copies made by ``restore`` of the gradebook it replaced (never pruned).
BEFORE_RESTORE = "before-restore-"


def sqlite_path(course: Course) -> Path | None:
    """The gradebook's file, when the course keeps it in SQLite (else None)."""
    url = course.db_url
    if not url.startswith("sqlite:///"):
        return None
    return Path(url[len("sqlite:///") :])


def backup_dir(course: Course) -> Path:
    return course.state_dir("backups")


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _copy(source: Path, dest: Path) -> None:
    """A consistent copy with SQLite's online backup API, written atomically."""
    tmp = Path(tempfile.mkstemp(prefix=".part-", dir=dest.parent)[1])
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
            target = sqlite3.connect(tmp)
            try:
                src.backup(target)
            finally:
                target.close()
        src.close()
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def backups(course: Course) -> list[Path]:
    """The kept backups, newest first."""
    folder = course.root / "backups"
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{PREFIX}*.db"), reverse=True)


def backup_gradebook(course: Course, keep: int = 5) -> Path | None:
    """Back up a SQLite gradebook; keep the newest ``keep`` backups. None if nothing to do."""
    source = sqlite_path(course)
    if keep <= 0 or source is None or not source.is_file() or source.stat().st_size == 0:
        return None
    folder = backup_dir(course)
    dest = folder / f"{PREFIX}{_stamp()}.db"
    try:
        _copy(source, dest)
    except sqlite3.DatabaseError as exc:
        raise CourseError(
            f"the gradebook {source} could not be backed up ({exc}); it may be damaged: "
            "see `qilab course restore` for the backups kept, before marking anything."
        ) from None
    runs = [p for p in backups(course) if BEFORE_RESTORE not in p.name]
    for old in runs[keep:]:
        old.unlink(missing_ok=True)
    return dest


def _check(path: Path) -> str | None:
    """Why ``path`` is not a usable nbgrader gradebook, or None."""
    if not path.is_file() or path.stat().st_size == 0:
        return "it is empty or missing"
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            ok = db.execute("PRAGMA quick_check").fetchone()[0]
        db.close()
    except sqlite3.DatabaseError as exc:
        return f"it is not a SQLite database ({exc})"
    if ok != "ok":
        return f"SQLite finds it damaged ({ok})"
    if not {"student", "grade", "assignment"} <= tables:
        return "it is not an nbgrader gradebook"
    return None


@dataclass
class RestoreReport:
    """What ``restore`` did (or, with no backup named, what it could do)."""

    gradebook: Path
    available: list[Path]
    restored: Path | None = None
    saved_current: Path | None = None

    def __str__(self) -> str:
        if self.restored is None:
            if not self.available:
                return f"No gradebook backups yet in {self.gradebook.parent / 'backups'}."
            lines = [f"Gradebook backups (newest first), for {self.gradebook}:"]
            for path in self.available:
                size = path.stat().st_size
                lines.append(f"  {path.name}  ({size:,} bytes)")
            lines.append("Restore one with `qilab course restore NAME` (or `latest`).")
            return "\n".join(lines)
        saved = (
            f"; the gradebook it replaced is kept as {self.saved_current.name}"
            if self.saved_current
            else ""
        )
        return f"Restored {self.gradebook} from {self.restored.name}{saved}."


def restore(course: Course, name: str | None = None) -> RestoreReport:
    """List the backups (``name`` None), or restore one (a file name, a path, or ``latest``).

    The current gradebook is first saved as ``backups/gradebook-before-restore-….db`` (as
    it is, even if damaged), so restoring never loses anything.
    """
    gradebook = sqlite_path(course)
    if gradebook is None:
        raise CourseError(
            "this course's gradebook is not SQLite: restore PostgreSQL from its pg_dump backup "
            "with pg_restore (see grading/README.md, 'The gradebook is never lost')."
        )
    available = backups(course)
    report = RestoreReport(gradebook, available)
    if name is None:
        return report
    if name == "latest":
        candidates = [p for p in available if BEFORE_RESTORE not in p.name]
        if not candidates:
            raise CourseError(f"no gradebook backups in {backup_dir(course)} to restore.")
        chosen = candidates[0]
    else:
        chosen = Path(name) if Path(name).is_file() else backup_dir(course) / name
        if not chosen.is_file():
            raise CourseError(
                f"no backup {name!r}: run `qilab course restore` to list them, then pass a "
                "name from the list (or `latest`)."
            )
    problem = _check(chosen)
    if problem:
        raise CourseError(f"{chosen} cannot be restored: {problem}. Choose another backup.")
    if gradebook.exists():
        saved = backup_dir(course) / f"{PREFIX}{BEFORE_RESTORE}{_stamp()}.db"
        if _check(gradebook) is None:
            _copy(gradebook, saved)
        else:  # damaged: keep its bytes exactly as they are
            saved.write_bytes(gradebook.read_bytes())
        report.saved_current = saved
    _copy(chosen, gradebook)  # atomic: a finished copy replaces the file in one step
    for suffix in ("-journal", "-wal", "-shm"):  # left over from the damaged one
        Path(f"{gradebook}{suffix}").unlink(missing_ok=True)
    report.restored = chosen
    return report

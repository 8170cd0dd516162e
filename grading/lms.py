"""Match files exported from an LMS (a zip or a folder) to the learners on the roster.

Moodle, Canvas and Blackboard all name downloaded submissions differently, but each puts
something that identifies the learner in the folder or file name, e.g.
``Aisha Khan_d001_assignsubmission_file_/measurement.ipynb`` or ``d001_measurement.ipynb``.
Rather than asking a tutor for a regular expression (as ``nbgrader zip_collect`` does), a
file belongs to a learner when exactly one roster id appears in its path as a whole word.
Files that match nobody, match several learners, or duplicate another file are reported and
kept aside — never guessed, never dropped.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from nbgrader.api import Gradebook
from nbgrader.plugins.zipcollect import FileNameCollectorPlugin
from nbgrader.utils import find_all_notebooks

from qilab.errors import QilabError

TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"


@dataclass(frozen=True)
class ExportedFile:
    """One file of the export: where it is inside it, its bytes' source and its date."""

    name: str  # path inside the zip or folder, with '/' separators
    modified: datetime
    origin: Path
    member: str | None = None  # zip member name, when origin is a zip


@dataclass
class Staged:
    """What the export holds, sorted by learner, and what could not be matched."""

    learners: dict[str, list[ExportedFile]] = field(default_factory=dict)
    unknown: list[ExportedFile] = field(default_factory=list)
    ambiguous: list[tuple[ExportedFile, list[str]]] = field(default_factory=list)
    duplicates: list[tuple[str, ExportedFile, ExportedFile]] = field(default_factory=list)
    unnamed: list[tuple[str, ExportedFile]] = field(default_factory=list)


def list_export(source: Path) -> list[ExportedFile]:
    """Every file of a zip export or a folder (hidden and system files left out)."""
    source = Path(source)
    files: list[ExportedFile] = []
    if source.is_dir():
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            rel = path.relative_to(source).as_posix()
            if not _junk(rel):
                stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                files.append(ExportedFile(rel, stamp, path))
        return files
    if not source.is_file():
        raise QilabError(f"No export at {source}: give the LMS zip file or its unzipped folder.")
    try:
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.is_dir() or _junk(name) or not _safe(name):
                    continue
                stamp = datetime(*info.date_time, tzinfo=UTC)
                files.append(ExportedFile(name, stamp, source, member=name))
    except zipfile.BadZipFile:
        raise QilabError(
            f"{source} is not a zip file: download the submissions again, or unzip them and "
            "give the folder."
        ) from None
    return files


def _junk(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith(".") or p == "__MACOSX" for p in parts) or name.endswith("Thumbs.db")


def _safe(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def _pattern(learner: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(learner)}(?![A-Za-z0-9])", re.IGNORECASE)


def match_learner(name: str, patterns: dict[str, re.Pattern[str]]) -> list[str]:
    """Roster ids found in a path as whole words (a longer id wins over one inside it).

    Examples
    --------
    >>> ids = {i: _pattern(i) for i in ["d1", "d12", "smith"]}
    >>> match_learner("Ann Smith_d12_assignsubmission_file_/ps.ipynb", ids)
    ['d12', 'smith']
    >>> match_learner("d1-ps.ipynb", ids)
    ['d1']
    """
    spans = []
    for learner, pattern in patterns.items():
        spans += [(m.start(), m.end(), learner) for m in pattern.finditer(name)]
    found = {
        learner
        for start, end, learner in spans
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
    }
    return sorted(found)


def stage_export(source: Path, learners: list[str], notebooks: list[str], staging: Path) -> Staged:
    """Match an export's files to learners and copy each learner's files into ``staging``.

    ``staging/{learner}/`` receives the learner's notebook(s) under the assignment's notebook
    names and a ``timestamp.txt`` (the newest file date in the export), as nbgrader expects.
    A learner id that appears in both a folder and the file name counts once.
    """
    staged = Staged()
    patterns = {learner: _pattern(learner) for learner in learners}
    chosen: dict[tuple[str, str], ExportedFile] = {}
    for item in list_export(source):
        if not item.name.lower().endswith(".ipynb"):
            continue
        found = match_learner(item.name, patterns)
        if not found:
            staged.unknown.append(item)
            continue
        if len(found) > 1:
            staged.ambiguous.append((item, found))
            continue
        learner = found[0]
        target = _notebook_name(item.name, notebooks)
        if target is None:
            staged.unnamed.append((learner, item))
            continue
        previous = chosen.get((learner, target))
        if previous is None:
            chosen[(learner, target)] = item
        else:
            keep, drop = (item, previous) if item.modified > previous.modified else (previous, item)
            if item.modified == previous.modified:
                keep, drop = previous, item
            chosen[(learner, target)] = keep
            staged.duplicates.append((learner, keep, drop))
    for (learner, target), item in sorted(chosen.items()):
        folder = staging / learner
        folder.mkdir(parents=True, exist_ok=True)
        _copy(item, folder / f"{target}.ipynb")
        staged.learners.setdefault(learner, []).append(item)
    for learner, items in staged.learners.items():
        newest = max(i.modified for i in items)
        (staging / learner / "timestamp.txt").write_text(newest.strftime(TIMESTAMP_FORMAT))
    return staged


def _notebook_name(name: str, notebooks: list[str]) -> str | None:
    """The assignment notebook a file is: the only one, or the one its name mentions."""
    if len(notebooks) == 1:
        return notebooks[0]
    stem = PurePosixPath(name).stem.lower()
    hits = [n for n in notebooks if n.lower() in stem]
    return max(hits, key=len) if hits else None


def _copy(item: ExportedFile, dest: Path) -> None:
    if item.member is None:
        shutil.copy2(item.origin, dest)
        return
    with (
        zipfile.ZipFile(item.origin) as archive,
        archive.open(item.member) as src,
        dest.open("wb") as out,
    ):
        shutil.copyfileobj(src, out)


def read_bytes(item: ExportedFile) -> bytes:
    if item.member is None:
        return item.origin.read_bytes()
    with zipfile.ZipFile(item.origin) as archive:
        return archive.read(item.member)


def keep_unmatched(
    items: list[ExportedFile], folder: Path, store: Path | None = None
) -> list[Path]:
    """Copy files nobody claimed into ``folder`` (same relative paths), for the tutor.

    A file whose exact bytes are already kept anywhere under ``store`` is not copied again
    (re-running a collect is safe); the existing copy's path is returned instead.
    """
    known: dict[str, Path] = {}
    if store is not None and store.is_dir():
        for path in store.rglob("*"):
            if path.is_file():
                known.setdefault(hashlib.sha256(path.read_bytes()).hexdigest(), path)
    kept = []
    for item in items:
        data = read_bytes(item)
        digest = hashlib.sha256(data).hexdigest()
        if digest in known:
            kept.append(known[digest])
            continue
        dest = folder / PurePosixPath(item.name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        known[digest] = dest
        kept.append(dest)
    return kept


class RosterCollector(FileNameCollectorPlugin):
    """``nbgrader zip_collect`` matching files to learners as ``qilab course collect`` does.

    No regular expression to write: a file belongs to a learner when exactly one roster
    id appears in its path as a whole word (:func:`match_learner`); a file that matches
    nobody or several learners is skipped with a warning, never guessed. Use it with
    ``nbgrader zip_collect ASSIGNMENT
    --ZipCollectApp.collector_plugin=qilab.grading.lms.RosterCollector``.
    """

    def collect(self, submitted_file: str) -> dict[str, str] | None:
        app = self.parent
        coursedir = app.coursedir
        extracted = Path(coursedir.root) / app.collect_directory_structure.format(
            downloaded=app.downloaded_directory,
            assignment_id=coursedir.assignment_id,
            collect_step=app.extracted_directory,
        )
        name = Path(submitted_file).relative_to(extracted).as_posix()
        if Path(name).suffix not in self.valid_ext:
            return None
        found = match_learner(name, self._patterns(coursedir))
        if len(found) != 1:
            why = "no learner on the roster" if not found else f"several: {found}"
            self.log.warning("%s matches %s: left for the tutor", name, why)
            return None
        released = coursedir.format_path(coursedir.release_directory, ".", coursedir.assignment_id)
        notebooks = [Path(n).stem for n in find_all_notebooks(released)]
        target = _notebook_name(name, notebooks) if notebooks else Path(name).stem
        if target is None:
            self.log.warning("%s names none of %s: left for the tutor", name, notebooks)
            return None
        modified = datetime.fromtimestamp(Path(submitted_file).stat().st_mtime, UTC)
        return {
            "student_id": found[0],
            "file_id": f"{target}{Path(name).suffix}",
            "timestamp": modified.strftime(TIMESTAMP_FORMAT),
        }

    def _patterns(self, coursedir: Any) -> dict[str, re.Pattern[str]]:
        if not hasattr(self, "_roster"):
            with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
                self._roster = {s.id: _pattern(s.id) for s in gradebook.students}
        return self._roster

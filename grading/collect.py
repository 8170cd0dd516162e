"""Collect submissions — from nbgrader's exchange or an LMS export — without ever losing one.

Both sources are first *staged* in a private folder: nbgrader's own ``ExchangeCollect`` copies
from the exchange (latest submission per learner, as always), and :mod:`~qilab.grading.lms`
matches LMS files to the roster. Then each staged submission is merged into ``submitted/`` by
one rule, the same for both sources:

- nothing there yet → it becomes the submission;
- the same files are already there → nothing to do (re-running collect is safe);
- different and **newer** (both carry nbgrader's ``timestamp.txt`` and the new one is later)
  → it becomes the submission, and the previous one moves to ``archive/`` (kept, reported);
- different and not newer → it is kept aside in ``conflicts/`` and reported; the existing
  submission stays.

nbgrader's own ``collect --update`` deletes the older copy; here nothing is deleted or
overwritten, and a learner who is not on the roster is reported, not silently added.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from nbgrader.api import MissingEntry

from .course import Course, CourseError, quiet_nbgrader
from .fingerprint import folder_digest
from .lms import (
    TIMESTAMP_FORMAT,
    ExportedFile,
    list_export,
    match_learner,
    read_bytes,
    stage_export,
)


@dataclass
class CollectReport:
    """Every submission's fate, so a tutor can see that nothing went missing."""

    assignment: str
    source: str
    collected: list[str] = field(default_factory=list)
    replaced: list[tuple[str, Path]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_aside: list[tuple[str, Path]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    not_submitted: list[str] = field(default_factory=list)
    #: Files other than notebooks (a .docx, a .pdf …) handed in, by learner: kept with them.
    other_files: dict[str, list[str]] = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [
            f"{self.assignment} from {self.source}: {len(self.collected)} new, "
            f"{len(self.replaced)} replaced by a newer submission, {len(self.unchanged)} "
            f"unchanged, {len(self.kept_aside)} kept aside"
        ]
        lines += [
            f"  {who}: newer submission collected; the previous one is kept at {where}"
            for who, where in self.replaced
        ]
        lines += [
            f"  {who}: already has a different submission that is not older; the new one is "
            f"kept at {where} (move it into submitted/ yourself to use it)"
            for who, where in self.kept_aside
        ]
        lines += [
            f"  {who}: also handed in {', '.join(names)} (not a notebook: kept with the "
            "submission, not marked — open it yourself)"
            for who, names in sorted(self.other_files.items())
        ]
        lines += [f"  unknown learner: {item}" for item in self.unknown]
        lines += [f"  {item}" for item in self.problems]
        if self.not_submitted:
            lines.append(
                f"  no submission yet from {len(self.not_submitted)} learner(s): "
                + ", ".join(self.not_submitted[:20])
                + (" …" if len(self.not_submitted) > 20 else "")
            )
        return "\n".join(lines)


def submission_digest(folder: Path) -> str:
    """A fingerprint of a submission's files (timestamp.txt aside: it is not the work)."""
    return folder_digest(folder, ignore={"timestamp.txt"})


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def _unique(folder: Path) -> Path:
    candidate, n = folder, 1
    while candidate.exists():
        n += 1
        candidate = folder.with_name(f"{folder.name}-{n}")
    return candidate


def collect(
    course: Course, assignment: str, source: str | Path | None = None, learner: str | None = None
) -> CollectReport:
    """Collect an assignment's submissions into ``submitted/`` (exchange, or an LMS export).

    Parameters
    ----------
    course
        The cohort course.
    assignment
        Assignment id; it must have been released (the gradebook knows its notebooks).
    source
        ``None`` for nbgrader's exchange; otherwise an LMS zip file or folder of downloads.
    learner
        From the exchange, only this learner's submission (nbgrader's ``student_id``): a
        learner marking their own work never collects anyone else's.

    Examples
    --------
    >>> course = Course.open("cohort")                                       # doctest: +SKIP
    >>> print(collect(course, "foundation_measurement", "moodle.zip"))       # doctest: +SKIP
    foundation_measurement from moodle.zip: 47 new, 0 replaced by a newer submission, ...
      unknown learner: Zed Example_9999_assignsubmission_file_/measurement.ipynb (...)
    """
    with course.gradebook() as gb:
        try:
            notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            raise CourseError(
                f"{assignment!r} has not been released: run `qilab course release "
                f"{assignment}` first."
            ) from None
        roster = sorted(s.id for s in gb.students)
    staging = Path(tempfile.mkdtemp(prefix=".collect-", dir=course.root))
    try:
        if source is None:
            report = CollectReport(assignment, "the nbgrader exchange")
            _stage_exchange(course, assignment, staging, report, learner)
            origin = "exchange"
        else:
            source = Path(source).expanduser().resolve()
            report = CollectReport(assignment, str(source))
            _stage_lms(course, assignment, source, roster, notebooks, staging, report)
            origin = "lms"
        staged = sorted(p for p in staging.iterdir() if p.is_dir() and (p / assignment).is_dir())
        for folder in staged:
            who = folder.name
            if who not in roster:
                kept = _keep(course, "unmatched", assignment, who, folder / assignment, origin)
                report.unknown.append(
                    f"{who} is not on the roster; their submission is kept at {kept}. Add "
                    "them with `qilab course init DIR --roster roster.csv`, then collect again."
                )
                continue
            _merge(course, assignment, who, folder / assignment, origin, report)
        have = {p.parent.name for p in (course.root / "submitted").glob(f"*/{assignment}")}
        report.not_submitted = [who for who in roster if who not in have]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _stage_exchange(
    course: Course,
    assignment: str,
    staging: Path,
    report: CollectReport,
    learner: str | None = None,
) -> None:
    """nbgrader's ExchangeCollect, pointed at the staging folder instead of submitted/."""
    config = course.config()
    config.CourseDirectory.submitted_directory = str(staging.relative_to(course.root))
    if learner:
        config.CourseDirectory.student_id = learner
    api = course.api(config)
    if not api.exchange_is_functional:
        raise CourseError(
            f"the exchange at {course.exchange_root()} is not usable: check c.Exchange.root in "
            f"{course.root / 'nbgrader_config.py'}, or collect from an LMS export instead."
        )
    with quiet_nbgrader():
        result = api.collect(assignment, update=True)
    if not result["success"]:
        text = (result.get("error") or result.get("log") or "").strip().splitlines()
        report.problems.append(f"nbgrader collect failed: {text[-1] if text else '?'}")
    from qilab.grading.exchange import misattributed  # imports nbgrader: only when collecting

    inbound = course.exchange_root() / course.course_id / "inbound"
    for owner, claimed, path in misattributed(inbound, assignment):
        report.problems.append(
            f"refused {path}: it is in {owner}'s own exchange folder but names {claimed}, and "
            f"only {owner} can submit there, so it was not collected for anyone (ask {owner})"
        )


def _stage_lms(
    course: Course,
    assignment: str,
    source: Path,
    roster: list[str],
    notebooks: list[str],
    staging: Path,
    report: CollectReport,
) -> None:
    raw = staging / ".lms"
    staged = stage_export(source, roster, notebooks, raw)
    others = _other_files(source, roster)
    for learner, items in others.matched.items():
        folder = raw / learner
        if not folder.is_dir():  # no notebook from them: the other files are the submission
            folder.mkdir(parents=True)
            newest = max(i.modified for i in items)
            (folder / "timestamp.txt").write_text(newest.strftime(TIMESTAMP_FORMAT))
            staged.learners[learner] = []
        for item in items:
            dest = _free_name(folder / PurePosixPath(item.name).name)
            dest.write_bytes(read_bytes(item))
            report.other_files.setdefault(learner, []).append(dest.name)
    staged.unknown += others.unknown
    staged.ambiguous += others.ambiguous
    for learner in staged.learners:
        (staging / learner).mkdir()
        shutil.move(raw / learner, staging / learner / assignment)
    store = course.root / "unmatched" / assignment
    aside = store / _stamp()
    if staged.unknown:
        kept = keep_aside(staged.unknown, aside, store)
        for item, path in zip(staged.unknown, kept, strict=True):
            report.unknown.append(
                f"{item.name}: no roster id in its name (kept at {path}). If it is a learner's, "
                "add them to the roster or rename the file to include their id."
            )
    for item, learners in staged.ambiguous:
        (path,) = keep_aside([item], aside, store)
        report.problems.append(
            f"{item.name} names several learners ({', '.join(learners)}); kept at {path} — "
            "rename it to include only one learner id."
        )
    for learner, item in staged.unnamed:
        (path,) = keep_aside([item], aside, store)
        report.problems.append(
            f"{item.name} ({learner}) does not say which notebook it is ({', '.join(notebooks)});"
            f" kept at {path}."
        )
    for learner, used, dropped in staged.duplicates:
        (path,) = keep_aside([dropped], aside / "duplicates", store)
        report.problems.append(
            f"duplicate files for {learner}: used {used.name} ({used.modified:%Y-%m-%d %H:%M}), "
            f"the other is kept at {path}."
        )


@dataclass
class _Others:
    """An export's files that are not notebooks, sorted like the notebooks are."""

    matched: dict[str, list[ExportedFile]] = field(default_factory=dict)
    unknown: list[ExportedFile] = field(default_factory=list)
    ambiguous: list[tuple[ExportedFile, list[str]]] = field(default_factory=list)


def _other_files(source: Path, roster: list[str]) -> _Others:
    """Non-notebook hand-ins (.docx, .pdf …): matched to the roster by the same rule."""
    patterns = {
        learner: re.compile(rf"(?<![A-Za-z0-9]){re.escape(learner)}(?![A-Za-z0-9])", re.I)
        for learner in roster
    }
    others = _Others()
    for item in list_export(source):
        if item.name.lower().endswith(".ipynb"):
            continue
        found = match_learner(item.name, patterns)
        if len(found) == 1:
            others.matched.setdefault(found[0], []).append(item)
        elif found:
            others.ambiguous.append((item, found))
        else:
            others.unknown.append(item)
    return others


def _free_name(path: Path) -> Path:
    """``path``, or ``name (2).ext`` … if a file of that name is already there."""
    candidate, n = path, 1
    while candidate.exists() or candidate.name == "timestamp.txt":
        n += 1
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
    return candidate


def keep_aside(items: list[ExportedFile], folder: Path, store: Path) -> list[Path]:
    """Copy files nobody could be given into ``folder`` (``store/{time}/…``), per sender.

    A file is not stored twice when the same bytes were already kept *under the same name*
    (re-running collect is safe); byte-identical files from different senders (different
    names or folders in the export) are each kept, so who sent what is never lost.
    """
    known: dict[tuple[str, str], Path] = {}
    if store.is_dir():
        for path in store.rglob("*"):
            if path.is_file():
                rel = path.relative_to(store).parts[1:]  # without the {time} folder
                known.setdefault((PurePosixPath(*rel).as_posix(), _sha(path.read_bytes())), path)
    kept = []
    for item in items:
        data = read_bytes(item)
        dest = folder / PurePosixPath(item.name)
        key = (dest.relative_to(store).as_posix().split("/", 1)[1], _sha(data))
        if key in known:
            kept.append(known[key])
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
        known[key] = dest
        kept.append(dest)
    return kept


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _keep(
    course: Course,
    kind: str,
    assignment: str,
    learner: str,
    folder: Path,
    origin: str,
    dedupe: bool = True,
) -> Path:
    """Move a submission folder aside, unless the very same files are already kept there."""
    if dedupe:
        digest = submission_digest(folder)
        for previous in sorted((course.root / kind / assignment / learner).glob("*")):
            if previous.is_dir() and submission_digest(previous) == digest:
                return previous
    dest = _unique(course.root / kind / assignment / learner / f"{_stamp()}-{origin}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(folder, dest)
    return dest


def _timestamp(course: Course, folder: Path) -> Any:
    return course.coursedir().get_existing_timestamp(str(folder))


def _merge(
    course: Course,
    assignment: str,
    learner: str,
    incoming: Path,
    origin: str,
    report: CollectReport,
) -> None:
    target = course.root / "submitted" / learner / assignment
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(incoming, target)
        report.collected.append(learner)
        return
    if submission_digest(target) == submission_digest(incoming):
        report.unchanged.append(learner)
        return
    new, old = _timestamp(course, incoming), _timestamp(course, target)
    if new is not None and old is not None and new > old:
        archived = _keep(course, "archive", assignment, learner, target, "previous", dedupe=False)
        shutil.move(incoming, target)
        report.replaced.append((learner, archived))
    else:
        kept = _keep(course, "conflicts", assignment, learner, incoming, origin)
        report.kept_aside.append((learner, kept))

"""Autograde a cohort in parallel, with nbgrader doing the marking and one process writing.

For each submission, in this (parent) process:

1. **check** each notebook against the gradebook's record of what was released
   (:mod:`~qilab.grading.integrity`): a file that is not a notebook is reported and left
   unmarked — the learner's file is never touched;
2. **sanitise** it with nbgrader's own sanitise preprocessors (as the course config lists them)
   and put it, with the submission's other files, in a private folder;

then Dask workers **execute** them concurrently, each submission one task carrying its
notebooks and files as bytes (:mod:`~qilab.grading.cluster`, :mod:`~qilab.grading.execution`):
a ``LocalCluster`` on this computer by default, or an academy's cluster. As each finishes this
process runs **nbgrader's Autograde converter** for that learner — the real one, with the
course's config — except that ``Execute`` is replaced by
:class:`~qilab.grading.preprocessors.ReplayExecution`, which hands over the notebook the worker
executed, and its sanitise steps (already run in step 2) by
:class:`~qilab.grading.preprocessors.ReplaySanitised`. So nbgrader itself saves the grades,
applies late penalties and writes ``autograded/``, one submission at a time from one process:
the results are plain ``nbgrader autograde``'s, only sooner. Within the run every nbgrader
``Gradebook`` shares one database engine (:mod:`~qilab.grading.engines`).
"""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
from nbgrader.api import MissingEntry

from .backup import backup_gradebook
from .cluster import dask_client, run_all, sandbox_refusals
from .course import Course, CourseError, quiet_nbgrader
from .engines import shared_engines
from .execution import ExecJob, ExecResult, execute_class, plain_config
from .integrity import (
    FAILURE,
    NOTICE,
    IntegrityRecord,
    NotebookSpec,
    Status,
    assignment_spec,
    check_execution,
    check_notebook,
)
from .preprocessors import SANITISED_SUFFIX
from .progress import progress_bar
from .sandbox import NO_SANDBOX_HINT, SandboxUnavailable, remove_tree, require

REPLAY = "qilab.grading.preprocessors.ReplayExecution"
REPLAY_SANITISED = "qilab.grading.preprocessors.ReplaySanitised"


@dataclass
class Outcome:
    """How one learner's submission ended up."""

    learner: str
    status: str  # a Status
    score: float | None = None
    max_score: float | None = None
    needs_manual_grade: bool = False
    record: IntegrityRecord | None = None

    def line(self) -> str:
        score = f"{self.score:g}/{self.max_score:g}" if self.score is not None else "—"
        manual = " (+ manual marking)" if self.needs_manual_grade else ""
        issues = ""
        if self.record and self.record.issues:
            issues = "  " + "; ".join(i.code for i in self.record.issues)
        return f"  {self.learner:<16} {self.status:<19} {score}{manual}{issues}"


@dataclass
class AutogradeReport:
    """The result of one ``autograde`` run over an assignment."""

    assignment: str
    workers: int
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0
    backup: Path | None = None

    def outcome(self, learner: str) -> Outcome:
        return next(o for o in self.outcomes if o.learner == learner)

    def __str__(self) -> str:
        if not self.outcomes and not self.skipped:
            return (
                f"{self.assignment}: nothing to autograde — no submissions in submitted/ yet "
                f"(collect them with `qilab course collect {self.assignment}`)."
            )
        graded = sum(o.status != Status.NOT_GRADED for o in self.outcomes)
        lines = [
            f"{self.assignment}: {graded} graded, "
            f"{sum(o.status == Status.NOT_GRADED for o in self.outcomes)} not graded, "
            f"{len(self.skipped)} already graded (use --force to regrade) — "
            f"{self.seconds:.1f} s with {self.workers} worker(s)"
        ]
        if self.backup is not None:
            lines.append(
                f"  (gradebook backed up first: {self.backup.name}; see `qilab course restore`)"
            )
        lines += [o.line() for o in sorted(self.outcomes, key=lambda o: o.learner)]
        details = [
            f"  {o.learner}: {issue.message}"
            for o in self.outcomes
            if o.record
            for issue in o.record.issues
            if issue.severity != "notice" or o.status == Status.NOT_GRADED
        ]
        if details:
            lines.append("Integrity (also in the course report):")
            lines += details
        return "\n".join(lines)


@dataclass(frozen=True)
class Limits:
    """What every job of a run shares: its sandbox and output limits in bytes."""

    sandbox: bool
    max_processes: int
    cell_output_bytes: int
    notebook_output_bytes: int


#: In each run's private folder: which process owns it, and its LocalCluster's scratch folder.
OWNER = "owner.json"
#: The LocalCluster's scratch folder (workers' own folders, and each task's sandbox in them).
SCRATCH_PREFIX = "qilab-dask-"


def clear_stale_runs(course: Course) -> list[Path]:
    """Remove the private folders of runs whose process is gone (killed mid-run, say).

    A run that ends, however it ends, removes its own; only a run killed outright (SIGKILL,
    power cut) leaves one, and its process id says it is no longer running. A folder whose
    owner cannot be read is left alone unless it is over a day old.
    """
    removed = []
    for folder in course.root.glob(".autograde-*"):
        try:
            owner = json.loads((folder / OWNER).read_text())
            stale = not psutil.pid_exists(int(owner["pid"]))
        except (OSError, ValueError, KeyError, TypeError):
            owner = {}
            stale = time.time() - folder.stat().st_mtime > 86_400
        if not stale:
            continue
        scratch = owner.get("scratch")
        if scratch and Path(scratch).name.startswith(SCRATCH_PREFIX):
            remove_tree(Path(scratch))
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def submitted_learners(course: Course, assignment: str) -> list[str]:
    folder = course.root / "submitted"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())


def needs_grading(course: Course, learner: str, assignment: str) -> bool:
    """nbgrader's rule: not autograded yet, or submitted again since it was."""
    coursedir = course.coursedir()
    dest = Path(coursedir.format_path(coursedir.autograded_directory, learner, assignment))
    if not dest.is_dir():
        return True
    src = coursedir.format_path(coursedir.submitted_directory, learner, assignment)
    new, old = coursedir.get_existing_timestamp(src), coursedir.get_existing_timestamp(str(dest))
    return new is not None and old is not None and new > old


def _replay_config(config: Any, results_dir: Path) -> Any:
    from nbgrader.preprocessors import Execute
    from traitlets.utils.importstring import import_item

    replay = copy.deepcopy(config)
    entries = list(config.get("Autograde", {}).get("autograde_preprocessors", []))
    if not entries:
        from nbgrader.converters import Autograde

        entries = list(Autograde.autograde_preprocessors.default_value)
    swapped = []
    for entry in entries:
        cls = import_item(entry) if isinstance(entry, str) else entry
        swapped.append(REPLAY if isinstance(cls, type) and issubclass(cls, Execute) else entry)
    replay.Autograde.autograde_preprocessors = swapped
    replay.Autograde.sanitize_preprocessors = [REPLAY_SANITISED]  # sanitised once, before
    replay.ReplayExecution.results_dir = str(results_dir)
    replay.ReplaySanitised.results_dir = str(results_dir)
    return replay


class _Sanitiser:
    """nbgrader's sanitise step (ClearOutput, OverwriteCells, …) run on its own."""

    def __init__(self, api: Any) -> None:
        from nbconvert.exporters import NotebookExporter
        from nbgrader.converters import Autograde

        self.coursedir = api.coursedir
        converter = Autograde(coursedir=api.coursedir, parent=api)
        # Only the sanitise steps: none of nbconvert's defaults, none configured for exports.
        self.exporter = NotebookExporter(
            parent=converter, config=converter.config, default_preprocessors=[], preprocessors=[]
        )
        for pp in converter.sanitize_preprocessors:
            self.exporter.register_preprocessor(pp)

    def __call__(self, nb: Any, learner: str, assignment: str, notebook: str) -> Any:
        resources = {
            "unique_key": notebook,
            "output_files_dir": f"{notebook}_files",
            "nbgrader": {
                "student": learner,
                "assignment": assignment,
                "notebook": notebook,
                "db_url": self.coursedir.db_url,
            },
        }
        output, _ = self.exporter.from_notebook_node(nb, resources=resources)
        return nbformat.reads(output, as_version=4)


def job_files(coursedir: Any, learner: str, assignment: str) -> dict[str, bytes]:
    """The files nbgrader would put beside the notebook, as bytes for a worker: the learner's,
    then the assignment's own (which win). Never a notebook; never a link out of the folder."""
    files: dict[str, bytes] = {}
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, learner, assignment))
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    for folder in (submitted, source):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            rel = path.relative_to(folder)
            ignored = any(
                fnmatch.fnmatch(part, pattern)
                for part in rel.parts
                for pattern in [*coursedir.ignore, "*.ipynb"]
            )
            inside = path.resolve().is_relative_to(folder.resolve())
            if ignored or path.is_symlink() or not inside or not path.is_file():
                continue
            files[rel.as_posix()] = path.read_bytes()
    return files


def autograde(
    course: Course,
    assignment: str,
    learners: list[str] | None = None,
    workers: int | None = None,
    force: bool = False,
    submission_timeout: float | None = None,
    memory_limit_mb: int | None = None,
    cell_timeout: int | None = None,
    progress: bool = True,
    sandbox: bool | None = None,
    scheduler: str | None = None,
) -> AutogradeReport:
    """Autograde an assignment's submissions in parallel; nbgrader marks, one process writes.

    Parameters
    ----------
    course
        The cohort course.
    assignment
        Assignment id (e.g. ``foundation_measurement``); it must have been released.
    learners
        Only these learners (default: every submission).
    workers
        Notebooks executed at once on this computer: the LocalCluster's worker processes
        (default: the course setting, else one per CPU core). Not used with ``scheduler``.
    force
        Regrade submissions that are already autograded (otherwise only new ones).
    submission_timeout, memory_limit_mb, cell_timeout
        Override the course's limits for this run.
    sandbox
        Run each learner's kernel in a bubblewrap sandbox (default: the course setting,
        ``QilabGrading.sandbox``, True). Where no sandbox is possible, autograde refuses to
        run (:class:`~qilab.grading.sandbox.SandboxUnavailable`) unless this is False. With
        ``scheduler``, every worker must be able to start it.
    scheduler
        Address of an academy's Dask scheduler (``tcp://host:8786``) whose workers execute
        the submissions (default: the course setting ``QilabGrading.scheduler``, else a
        ``LocalCluster`` on this computer). Workers need the same environment and bubblewrap,
        not the course folder.

    Examples
    --------
    >>> report = autograde(Course.open("cohort"), "foundation_measurement")  # doctest: +SKIP
    >>> print(report)                                                          # doctest: +SKIP
    foundation_measurement: 48 graded, 1 not graded, 0 already graded — 61.2 s with 2 worker(s)
    """
    started = time.monotonic()
    config = course.config()
    settings = course.settings(config)
    if cell_timeout is not None:
        config.Execute.timeout = int(cell_timeout)
    budget = float(submission_timeout or settings.submission_timeout)
    memory = int(memory_limit_mb if memory_limit_mb is not None else settings.memory_limit_mb)
    address = scheduler if scheduler is not None else (settings.scheduler or None)
    size = int(workers or settings.workers or default_workers())
    report = AutogradeReport(assignment, size)
    boxed = settings.sandbox if sandbox is None else sandbox
    if boxed and not address:
        require()  # one line naming the risk and the fix, before anything is touched

    api = course.api(config)
    with course.gradebook() as gb:
        try:
            spec = assignment_spec(gb, assignment)
        except MissingEntry:
            raise CourseError(
                f"{assignment!r} is not in the gradebook yet: release it first with "
                f"`qilab course release {assignment}`."
            ) from None
        known = {s.id for s in gb.students}
        # Marked work the gradebook no longer holds (restored from a backup, say) is marked
        # again, even though its autograded/ folder is there.
        in_book = {s.student.id for s in gb.find_assignment(assignment).submissions}
    candidates = submitted_learners(course, assignment)
    if learners:
        missing = sorted(set(learners) - set(candidates))
        if missing:
            raise CourseError(
                f"no submission of {assignment} from {', '.join(missing)}: collect it first "
                "(`qilab course collect`)."
            )
        candidates = [c for c in candidates if c in set(learners)]
    todo = [
        c for c in candidates if force or c not in in_book or needs_grading(course, c, assignment)
    ]
    report.skipped = [c for c in candidates if c not in todo]
    if not todo:
        report.seconds = time.monotonic() - started
        return report
    execute_class(config)  # fail here, not in every worker, if the config names a bad class
    integrity_dir = course.state_dir("integrity")

    clear_stale_runs(course)
    work = Path(tempfile.mkdtemp(prefix=".autograde-", dir=course.root))
    scratch = None if address else Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    owner = {"pid": os.getpid(), "scratch": str(scratch) if scratch else None}
    (work / OWNER).write_text(json.dumps(owner))
    limits = Limits(
        boxed, settings.max_processes, settings.cell_output_bytes, settings.notebook_output_bytes
    )
    bar = None

    def finished(outcome: Outcome) -> None:
        assert outcome.record is not None and bar is not None
        outcome.record.save(integrity_dir)
        report.outcomes.append(outcome)
        bar.set_postfix_str(f"{outcome.learner}: {outcome.status}", refresh=False)
        bar.update()

    try:
        size = report.workers = min(size, len(todo))
        with (
            shared_engines(),
            dask_client(address, size, scratch or work, work / "workers.log") as client,
        ):
            if address:
                report.workers = _check_workers(client, address, boxed)
            report.backup = backup_gradebook(course, settings.backups)
            bar = progress_bar(len(todo), f"autograde {assignment}", show=progress)
            results_dir = work / "results"
            replay_api = course.api(_replay_config(config, results_dir))
            sanitise = _Sanitiser(api)
            records: dict[str, IntegrityRecord] = {}
            run = _Run(api, sanitise, spec, assignment, known, course.root, budget, memory, config)
            jobs = _jobs(run, todo, records, limits)
            sent: dict[str, ExecJob] = {}
            retry: list[ExecJob] = []
            for result in run_all(client, _remember(_unmarkable_first(jobs, finished), sent)):
                if settings.retry_timeouts and timed_out(result):
                    retry.append(sent[result.key])  # perhaps the load: again, alone, at the end
                    continue
                job = sent.pop(result.key)
                record = records[result.learner]
                finished(_finish(course, replay_api, spec, job, result, record, results_dir))
            for result in run_all(client, iter(retry), in_flight=1):
                record = records[result.learner]
                again = timed_out(result)
                record.add(
                    "timeout-retried",
                    NOTICE,
                    "it ran out of time while other notebooks were running, so it was run "
                    "again on its own at the end: "
                    + (
                        "it ran out of time again, so the time-out is the learner's."
                        if again
                        else "it finished, and those are its marks (the first time-out "
                        "was the machine's load)."
                    ),
                )
                job = sent[result.key]
                finished(_finish(course, replay_api, spec, job, result, record, results_dir))
        _add_scores(course, assignment, report.outcomes)
    finally:
        if bar is not None:
            bar.close()
        shutil.rmtree(work, ignore_errors=True)
        if scratch is not None:
            remove_tree(scratch)
    report.seconds = time.monotonic() - started
    return report


def _check_workers(client: Any, address: str, boxed: bool) -> int:
    """An academy's cluster: refuse, in one line, if a worker cannot sandbox; its threads."""
    from .cluster import capacity

    if boxed:
        refusals = sandbox_refusals(client)
        if refusals:
            named = "; ".join(f"{worker}: {why}" for worker, why in sorted(refusals.items()))
            raise SandboxUnavailable(
                f"refusing to autograde on {address}: {len(refusals)} worker(s) cannot start "
                f"the sandbox ({named}), so learners' code would run unisolated there. To "
                f"fix: {NO_SANDBOX_HINT}."
            )
    return capacity(client)


@dataclass(frozen=True)
class _Run:
    """What every submission of one autograde run shares: the assignment, its place, its limits."""

    api: Any  # nbgrader's NbGraderAPI for the course
    sanitise: _Sanitiser
    spec: dict[str, NotebookSpec]  # the released notebooks, as the gradebook records them
    assignment: str
    known: set[str]  # learners on the roster
    root: Path  # the course folder (hidden in a sandbox on this computer)
    budget: float  # seconds of wall clock per submission
    memory: int  # MB of address space per learner kernel
    config: Any  # the course's nbgrader config, with this run's overrides


def _jobs(
    run: _Run,
    learners: list[str],
    records: dict[str, IntegrityRecord],
    limits: Limits,
) -> Iterator[IntegrityRecord | ExecJob]:
    """Check and sanitise each submission when a worker is ready for it.

    Yields an :class:`ExecJob` for a submission that can run, or its
    :class:`IntegrityRecord` alone when it cannot (a damaged file). Each learner's record is
    put in ``records`` as it is made.
    """
    api, sanitise, spec, assignment = run.api, run.sanitise, run.spec, run.assignment
    coursedir = api.coursedir
    config = plain_config(run.config)
    for learner in learners:
        record = records[learner] = IntegrityRecord(assignment, learner)
        if learner not in run.known:
            record.add(
                "unknown-learner",
                NOTICE,
                f"{learner} is not on the roster (nbgrader adds them to the gradebook): add "
                "them with `qilab course init DIR --roster`.",
            )
        folder = Path(coursedir.format_path(coursedir.submitted_directory, learner, assignment))
        readable = {}
        for name, nb_spec in spec.items():
            nb = check_notebook(record, nb_spec, folder / f"{name}.ipynb", api.config)
            if nb is not None:
                readable[name] = nb
        if any(issue.code == "corrupted" for issue in record.issues):
            record.status = Status.NOT_GRADED
            yield record
            continue
        if not readable:
            found = sorted(p.name for p in folder.glob("*") if p.name != "timestamp.txt")
            record.add(
                "no-notebook",
                FAILURE,
                f"the submission has none of the assignment's notebooks ({', '.join(spec)}"
                f".ipynb); it holds {', '.join(found) or 'nothing'}. Rename the learner's file "
                "or ask them to submit again.",
            )
            record.status = Status.NOT_GRADED
            yield record
            continue
        try:
            with quiet_nbgrader():
                notebooks = {
                    name: nbformat.writes(sanitise(nb, learner, assignment, name)).encode()
                    for name, nb in readable.items()
                }
        except Exception as exc:
            record.add("not-graded", FAILURE, f"nbgrader could not read the notebook: {exc}")
            record.status = Status.NOT_GRADED
            yield record
            continue
        yield ExecJob(
            learner=learner,
            assignment=assignment,
            notebooks=notebooks,
            files=job_files(coursedir, learner, assignment),
            config=config,
            budget=run.budget,
            memory_limit_mb=run.memory,
            sandbox=limits.sandbox,
            max_processes=limits.max_processes,
            hidden=(str(run.root.resolve()),),
            cell_output_bytes=limits.cell_output_bytes,
            notebook_output_bytes=limits.notebook_output_bytes,
        )


def _remember(jobs: Iterator[ExecJob], sent: dict[str, ExecJob]) -> Iterator[ExecJob]:
    for job in jobs:
        sent[job.key] = job
        yield job


def timed_out(result: ExecResult) -> bool:
    """The run stopped on a time limit: the submission's budget, or a cell's time-out."""
    if any(code == "submission-timeout" for code, _ in result.problems):
        return True
    for data in result.executed.values():
        try:
            executed = nbformat.reads(data.decode("utf-8"), as_version=4)
        except Exception:
            continue
        for cell in executed.cells:
            for output in cell.get("outputs", []):
                if output.get("ename") == "CellTimeoutError":
                    return True
    return False


def _unmarkable_first(
    items: Iterator[IntegrityRecord | ExecJob], finished: Any
) -> Iterator[ExecJob]:
    """Pass runnable jobs to the pool; report the unmarkable ones straight away."""
    for item in items:
        if isinstance(item, IntegrityRecord):
            finished(Outcome(item.learner, Status.NOT_GRADED, record=item))
        else:
            yield item


def _finish(
    course: Course,
    api: Any,
    spec: dict[str, NotebookSpec],
    job: ExecJob,
    result: ExecResult,
    record: IntegrityRecord,
    results_dir: Path,
) -> Outcome:
    """Hand one executed submission to nbgrader's Autograde and record what happened."""
    record.seconds = round(result.seconds, 2)
    for code, message in result.problems:
        record.add(code, NOTICE if code == "output-limit" else FAILURE, message)
    if not result.executed:
        record.status = Status.NOT_GRADED
        return Outcome(result.learner, Status.NOT_GRADED, record=record)
    folder = results_dir / result.learner / result.assignment
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in result.executed.items():  # for ReplayExecution
        (folder / f"{name}.ipynb").write_bytes(data)
    for name, data in job.notebooks.items():  # for ReplaySanitised
        (folder / f"{name}{SANITISED_SUFFIX}").write_bytes(data)
    with quiet_nbgrader():
        done = api.autograde(result.assignment, result.learner, force=True, create=True)
    if not done["success"]:
        lines = (done.get("error") or done.get("log") or "").strip().splitlines()
        record.add(
            "not-graded", FAILURE, f"nbgrader could not mark it: {lines[-1] if lines else '?'}"
        )
        record.status = Status.NOT_GRADED
        return Outcome(result.learner, Status.NOT_GRADED, record=record)
    for name, data in result.executed.items():
        executed = nbformat.reads(data.decode("utf-8"), as_version=4)
        if not any(code == "submission-timeout" for code in record.codes()):
            check_execution(record, executed, name)
    if record.flagged:
        _flag(course, result.assignment, result.learner, list(spec))
    record.status = Status.GRADED_WITH_ISSUES if record.flagged else Status.GRADED
    return Outcome(result.learner, record.status, record=record)


def _flag(course: Course, assignment: str, learner: str, notebooks: list[str]) -> None:
    """Set nbgrader's own 'flagged' mark, which the Formgrader shows (never cleared here)."""
    with course.gradebook() as gb:
        for name in notebooks:
            try:
                gb.find_submission_notebook(name, assignment, learner).flagged = True
            except MissingEntry:  # a notebook nbgrader did not record: nothing to flag
                continue
        gb.db.commit()


def _add_scores(course: Course, assignment: str, outcomes: list[Outcome]) -> None:
    graded = [o for o in outcomes if o.status != Status.NOT_GRADED]
    if not graded:
        return
    with course.gradebook() as gb:
        for outcome in graded:
            submission = gb.find_submission(assignment, outcome.learner)
            outcome.score = float(submission.score)
            outcome.max_score = float(submission.max_score)
            outcome.needs_manual_grade = bool(submission.needs_manual_grade)

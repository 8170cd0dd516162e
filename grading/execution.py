"""Run learners' notebooks in parallel worker processes, each submission within its limits.

The slow part of autograding is executing notebooks, one kernel after another. Here a small
pool of worker processes each runs nbgrader's own ``Execute`` preprocessor on a sanitised,
private copy of one submission at a time. Workers never open the gradebook: the parent process
is its only writer (see :mod:`qilab.grading.autograde`), so SQLite never reports 'database is
locked' and no grade is lost.

Limits that make one bad submission fail alone, with a reason:

- a **memory cap**: the learner's kernel gets an ``RLIMIT_AS`` (address-space) limit just
  before its first cell runs (``prlimit`` on Linux; elsewhere the worker limits itself and the
  kernel inherits it), so a memory bomb gets ``MemoryError`` instead of taking the machine down
  — and neither the worker nor the kernel's own start-up is squeezed;
- a **wall-clock budget per submission** on top of nbgrader's per-cell timeout: a watchdog
  thread kills the kernel's process group when the budget is spent, the cells not yet run are
  marked as not run, and the worker moves on;
- a last resort in the parent: a worker silent for well past the budget is killed and
  replaced.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import psutil

from .sandbox import JobSandbox, ProcessCap, SandboxSettings, kernel_manager_class, processes_in

#: Seconds past its budget before the parent gives up on a worker and kills it.
GRACE_SECONDS = 30.0
#: Times a notebook is tried when the platform, not the learner, fails (kernel start, set-up).
PLATFORM_ATTEMPTS = 3
PLATFORM_NOTE = (
    "not marked: platform error ({why}). This is not the learner's doing; it was tried "
    "{attempts} times and will be marked again on the next `qilab course autograde` run "
    "(no --force needed)."
)


@dataclass
class ExecJob:
    """One submission to execute: its private folder holds the sanitised notebooks."""

    learner: str
    assignment: str
    workdir: str
    out_dir: str
    notebooks: list[str]
    course_root: str
    budget: float
    memory_limit_mb: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)
    #: The sandbox every kernel of this job starts in (None: run unsandboxed, as opted out).
    sandbox: SandboxSettings | None = None
    #: Output kept per cell and per notebook, in bytes (0: no limit).
    cell_output_bytes: int = 0
    notebook_output_bytes: int = 0

    @property
    def key(self) -> str:
        return f"{self.learner}/{self.assignment}"


@dataclass
class ExecResult:
    """The executed notebooks (paths) and any way the run itself went wrong."""

    learner: str
    assignment: str
    executed: dict[str, str] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def key(self) -> str:
        return f"{self.learner}/{self.assignment}"


# -- in the worker ---------------------------------------------------------------------------
_CONFIGS: dict[str, Any] = {}


def _course_config(root: str, overrides: dict[str, Any]) -> Any:
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    if root not in _CONFIGS:
        _CONFIGS[root] = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
    config = Config(_CONFIGS[root])
    config.merge(Config(overrides))
    return config


def execute_class(config: Any) -> type:
    """The course's execute preprocessor: the ``Execute`` entry of its autograde list."""
    from nbgrader.preprocessors import Execute
    from traitlets.utils.importstring import import_item

    for entry in config.get("Autograde", {}).get("autograde_preprocessors", []):
        cls = import_item(entry) if isinstance(entry, str) else entry
        if isinstance(cls, type) and issubclass(cls, Execute):
            return cls
    return Execute


def _kernel_pid(executor: Any) -> int | None:
    process = getattr(getattr(getattr(executor, "km", None), "provisioner", None), "process", None)
    return getattr(process, "pid", None)


def _kill_group(pid: int) -> None:
    """Kill a kernel and everything it started (jupyter_client gives it its own session)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


class _Watchdog(threading.Thread):
    """Kill the kernel when the submission's wall-clock budget is spent."""

    def __init__(self, executor: Any, deadline: float, report: Callable[[int], None]) -> None:
        super().__init__(daemon=True)
        self.executor, self.deadline, self.report = executor, deadline, report
        self.fired = False
        self.done = threading.Event()
        self.reported: int | None = None

    def run(self) -> None:
        while not self.done.wait(0.1):
            pid = _kernel_pid(self.executor)
            if pid is not None and pid != self.reported:
                self.reported = pid
                self.report(pid)
            if time.monotonic() >= self.deadline and pid is not None:
                self.fired = True
                _kill_group(pid)
                return


def _not_run(nb: Any, start: int, message: str, ename: str) -> int:
    """Give every code cell from ``start`` on an error saying why it did not run."""
    import nbformat

    count = 0
    for cell in nb.cells[start:]:
        if cell.cell_type != "code":
            continue
        cell.outputs = [
            nbformat.v4.new_output("error", ename=ename, evalue=message, traceback=[message])
        ]
        count += 1
    return count


class PlatformFault(Exception):
    """The kernel or the course's own set-up failed: retry; never the learner's zero."""


def run_job(
    job: ExecJob, notify: Callable[[tuple[Any, ...]], None] = lambda msg: None
) -> ExecResult:
    """Execute one submission's notebooks with nbgrader's ``Execute``, within its budget.

    Each kernel starts in the job's sandbox (:mod:`~qilab.grading.sandbox`) unless the tutor
    opted out. A failure of the platform — a kernel that does not start, or the course's own
    set-up cell failing before any learner code ran — is retried, and if it persists the
    submission is left unmarked with a ``platform-error`` finding, so the next run marks it.

    Examples
    --------
    >>> result = run_job(job)              # doctest: +SKIP
    >>> result.problems                    # doctest: +SKIP
    [('submission-timeout', 'stopped after its 300 s budget; 2 cell(s) were not run')]
    """
    import nbformat

    started = time.monotonic()
    deadline = started + job.budget
    result = ExecResult(job.learner, job.assignment)
    config = _course_config(job.course_root, job.overrides)
    out_dir = Path(job.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in job.notebooks:
        path = Path(job.workdir, f"{name}.ipynb")
        for attempt in range(1, PLATFORM_ATTEMPTS + 1):
            nb = nbformat.read(path, as_version=4)
            try:
                problems = _run_notebook(job, config, name, nb, deadline, notify)
                break
            except PlatformFault as fault:
                if attempt == PLATFORM_ATTEMPTS:
                    why = f"{name}: {fault}"
                    result.problems.append(
                        ("platform-error", PLATFORM_NOTE.format(why=why, attempts=attempt))
                    )
                    result.executed.clear()
                    result.seconds = time.monotonic() - started
                    return result
                time.sleep(min(2.0 * attempt, 5.0))
        result.problems += problems
        out = out_dir / f"{name}.ipynb"
        nbformat.write(nb, out)
        result.executed[name] = str(out)
    result.seconds = time.monotonic() - started
    return result


def _run_notebook(
    job: ExecJob,
    config: Any,
    name: str,
    nb: Any,
    deadline: float,
    notify: Callable[[tuple[Any, ...]], None],
) -> list[tuple[str, str]]:
    """Run one notebook once, in place; return what went wrong that the learner should own.

    Raises :class:`PlatformFault` when the failure is the platform's.
    """
    from nbgrader import utils

    problems: list[tuple[str, str]] = []
    if time.monotonic() >= deadline:
        skipped = _not_run(nb, 0, _budget_message(job, None), "SubmissionTimeout")
        return [("submission-timeout", _budget_text(job, name, skipped))]
    box = JobSandbox.create(job.sandbox, Path(job.workdir)) if job.sandbox else None
    cap = ProcessCap(job.sandbox.max_processes if job.sandbox else 0)
    budget = OutputBudget(job.cell_output_bytes, job.notebook_output_bytes)
    executor = _executor_class(execute_class(config), job, box, cap, budget)(config=config)
    cwd = str(box.work) if box else job.workdir
    resources = {
        "metadata": {"path": cwd},
        "nbgrader": {"student": job.learner, "assignment": job.assignment, "notebook": name},
    }
    watchdog = _Watchdog(executor, deadline, lambda pid: notify(("kernel", job.key, pid)))
    watchdog.start()
    try:
        with utils.setenv(NBGRADER_EXECUTION="autograde"):
            executor.preprocess(nb, resources)
    except Exception as exc:
        at = max(executor.current, 0)
        if watchdog.fired:
            message = _budget_message(job, at)
            skipped = _not_run(nb, at, message, "SubmissionTimeout")
            problems.append(("submission-timeout", _budget_text(job, name, skipped)))
        elif executor.current < 0:  # not the learner's doing: do not mark it
            hint = ""
            if job.memory_limit_mb and job.memory_limit_mb < 512:
                hint = "; the memory cap is very low: raise QilabGrading.memory_limit_mb"
            raise PlatformFault(
                f"the kernel could not start ({type(exc).__name__}: {exc}){hint}"
            ) from None
        elif _course_cell(nb, at):
            raise PlatformFault(
                f"the kernel stopped in the course's own set-up cell #{at + 1} "
                f"({type(exc).__name__})"
            ) from None
        else:
            message = (
                f"The kernel stopped while running cell #{at + 1} ({type(exc).__name__})"
                " — often the memory cap, or code that ends the process."
            )
            skipped = _not_run(nb, at, message, "DeadKernelError")
            problems.append(("kernel-died", f"{name}: {message} {skipped} cell(s) were not run."))
    finally:
        watchdog.done.set()
        watchdog.join()
        cap.release()
        if box is not None:
            box.remove()
    if not watchdog.fired:
        failed = _failed_setup(nb)
        if failed is not None:
            raise PlatformFault(failed)
    problems += budget.problems(name)
    return problems


def _executor_class(
    base: type, job: ExecJob, box: JobSandbox | None, cap: ProcessCap, budget: OutputBudget
) -> type:
    """nbgrader's Execute, sandboxed, capped before the first cell, with output in bytes."""

    class Tracked(base):  # type: ignore[misc, valid-type]
        current = -1
        usual_iopub_timeout: int | None = None

        def create_kernel_manager(self) -> Any:
            if box is None:
                return super().create_kernel_manager()
            if not self.kernel_name:
                self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or ""
            manager = kernel_manager_class()
            kwargs = {"kernel_name": self.kernel_name} if self.kernel_name else {}
            self.km = manager(sandbox=box, config=self.config, **kwargs)
            return self.km

        def preprocess_cell(self, cell: Any, resources: Any, index: int) -> Any:
            if self.current < 0:  # the kernel is up and no learner code has run yet
                pid = _kernel_pid(self)
                if box is None:
                    cap_kernel(pid, job.memory_limit_mb)
                else:
                    pids = processes_in(pid)
                    for each in pids:
                        cap_kernel(each, job.memory_limit_mb, hard=True)
                    cap.apply(pids)
            self.current = index
            # Output still arriving after the cell's reply (a flood, read and dropped past the
            # output limit) gets the cell's time, as reading it all would, not nbclient's 4 s.
            if self.usual_iopub_timeout is None:
                self.usual_iopub_timeout = self.iopub_timeout
            self.iopub_timeout = max(self.usual_iopub_timeout, self.timeout or 60)
            return super().preprocess_cell(cell, resources, index)

        def output(self, outs: Any, msg: Any, display_id: Any, cell_index: int) -> Any:
            out = super().output(outs, msg, display_id, cell_index)
            if out is not None:
                budget.admit(outs, out, cell_index)
            return out

        def _update_display_id(self, display_id: str, msg: Any) -> None:
            # update_display_data replaces an output already kept (nbclient has no public hook
            # for it; tested against the pinned nbclient): count the growth in the budget too.
            content = msg.get("content", {})
            new = _size({"data": content.get("data", {})})
            for cell_index, slots in self._display_id_map.get(display_id, {}).items():
                outputs = self.nb.cells[cell_index].get("outputs", [])
                for slot in slots:
                    old = _size(outputs[slot]) if slot < len(outputs) else 0
                    if not budget.admit_update(cell_index, new - old):
                        content["data"] = {"text/plain": budget.UPDATE_DROPPED}
                        content["metadata"] = {}
                        new = len(budget.UPDATE_DROPPED)
            super()._update_display_id(display_id, msg)

    return Tracked


def _flags(cell: Any) -> dict[str, Any]:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def _course_cell(nb: Any, index: int) -> bool:
    """A locked course cell (not an answer, not a test) with only course cells before it."""
    for i, cell in enumerate(nb.cells[: index + 1]):
        if cell.cell_type != "code":
            continue
        flags = _flags(cell)
        course = flags.get("locked") and not flags.get("solution") and not flags.get("grade")
        if i == index:
            return bool(course)
        if not flags.get("locked"):  # learner code ran first: their doing
            return False
    return False


def _failed_setup(nb: Any) -> str | None:
    """The course's set-up cell failed before any learner code ran: say how, else None."""
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if not _course_cell(nb, index):
            return None
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                evalue = str(output.get("evalue", ""))[:200]
                return (
                    f"the course's own set-up cell #{index + 1} failed "
                    f"({output.get('ename', 'Error')}: {evalue})"
                )
    return None


def _size(out: Any) -> int:
    """Roughly the bytes an output adds to the notebook (characters of its text and data)."""
    kind = out.get("output_type")
    if kind == "stream":
        return len(out.get("text", ""))
    if kind == "error":
        return len(str(out.get("evalue", ""))) + sum(len(str(t)) for t in out.get("traceback", []))
    return sum(len(str(value)) for value in out.get("data", {}).values())


class OutputBudget:
    """Output limits in bytes: per cell and per notebook, with a note where output stops.

    Output is counted as it is kept. Past a limit, plain output (stdout, pictures) is
    dropped; the first error, stderr text and result of each cell are still kept, shortened,
    because nbgrader's marks depend on them — so the marks are the same as with every byte
    kept.
    """

    KEEP = 2000  # characters kept of an error, stderr text or result past the limit

    def __init__(self, cell_limit: int, notebook_limit: int) -> None:
        self.cell_limit, self.notebook_limit = cell_limit, notebook_limit
        self.total = 0
        self.per_cell: dict[int, int] = {}
        self.kept: dict[int, set[tuple[str, str]]] = {}
        self.cut: dict[int, str] = {}

    def admit(self, outs: list[Any], out: Any, index: int) -> bool:
        """Keep ``out`` (just added to ``outs``) within the limits; True once past one."""
        import nbformat

        size = _size(out)
        used = self.per_cell.get(index, 0)
        room = min(
            self.cell_limit - used if self.cell_limit else size,
            self.notebook_limit - self.total if self.notebook_limit else size,
        )
        if index not in self.cut and size <= room:
            self.per_cell[index] = used + size
            self.total += size
            return False
        if outs and outs[-1] is out:
            outs.pop()
        if index not in self.cut:
            if self.cell_limit and used + size > self.cell_limit:
                why = f"this cell's output passed the {self.cell_limit:,} byte limit per cell"
            else:
                why = f"the notebook's output passed its {self.notebook_limit:,} byte limit"
            self.cut[index] = why
            if out.get("output_type") == "stream" and room > 0:  # keep what fits
                outs.append(
                    nbformat.v4.new_output("stream", name=out.get("name"), text=out.text[:room])
                )
                self.per_cell[index] = used + room
                self.total += room
            note = f"\n[QI Lab: output stopped here — {why}; the rest was not kept.]\n"
            outs.append(nbformat.v4.new_output("stream", name="stdout", text=note))
        kind = (out.get("output_type", ""), out.get("name", ""))
        grading = kind[0] in ("error", "execute_result") or kind == ("stream", "stderr")
        seen = self.kept.setdefault(index, set())
        if grading and kind not in seen:
            seen.add(kind)
            outs.append(self._shorten(out))
        return True

    UPDATE_DROPPED = "[QI Lab: a display update was not kept — the output limit was reached.]"

    def admit_update(self, index: int, growth: int) -> bool:
        """Allow a display update that grows cell ``index``'s output by ``growth`` characters."""
        used = self.per_cell.get(index, 0)
        fits = (not self.cell_limit or used + growth <= self.cell_limit) and (
            not self.notebook_limit or self.total + growth <= self.notebook_limit
        )
        if fits:
            self.per_cell[index] = used + growth
            self.total += growth
            return True
        if index not in self.cut:
            if self.cell_limit and used + growth > self.cell_limit:
                why = f"display updates passed the {self.cell_limit:,} byte limit per cell"
            else:
                why = f"the notebook's output passed its {self.notebook_limit:,} byte limit"
            self.cut[index] = why
        return False

    def _shorten(self, out: Any) -> Any:
        import nbformat

        keep = self.KEEP
        kind = out.get("output_type")
        if kind == "error":
            return nbformat.v4.new_output(
                "error",
                ename=str(out.get("ename", ""))[:keep],
                evalue=str(out.get("evalue", ""))[:keep],
                traceback=[str(line)[:keep] for line in out.get("traceback", [])[:20]],
            )
        if kind == "stream":
            return nbformat.v4.new_output("stream", name=out.get("name"), text=out.text[:keep])
        text = out.get("data", {}).get("text/plain", "")
        result = nbformat.v4.new_output(
            "execute_result", data={"text/plain": str(text)[:keep]}, execution_count=None
        )
        result.execution_count = out.get("execution_count")
        return result

    def problems(self, notebook: str) -> list[tuple[str, str]]:
        return [
            (
                "output-limit",
                f"{notebook}: cell #{index + 1} printed too much ({why}); the rest of its "
                "output was not kept (marks do not depend on it).",
            )
            for index, why in sorted(self.cut.items())
        ]


def _budget_message(job: ExecJob, at: int | None) -> str:
    where = f" while cell #{at + 1} was running" if at is not None else ""
    return (
        f"Not run: the submission used its whole {job.budget:g} s time budget{where}. "
        "Look for a loop that never ends or very slow code."
    )


def _budget_text(job: ExecJob, notebook: str, skipped: int) -> str:
    return (
        f"{notebook}: stopped after its {job.budget:g} s budget; {skipped} cell(s) were not run "
        "and their tests score 0."
    )


def cap_kernel(pid: int | None, megabytes: int, hard: bool = False) -> bool:
    """Limit a running kernel's address space (Linux ``prlimit``); False where unsupported.

    ``hard=True`` also lowers the hard limit, so the learner's code cannot raise it again.
    """
    import resource

    if megabytes <= 0 or pid is None or not hasattr(resource, "prlimit"):
        return False
    try:
        _, current = resource.prlimit(pid, resource.RLIMIT_AS)
        cap = megabytes * 1024 * 1024
        if current != resource.RLIM_INFINITY:
            cap = min(cap, current)
        resource.prlimit(pid, resource.RLIMIT_AS, (cap, cap if hard else current))
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _limit_own_memory(megabytes: int) -> None:
    """Where ``prlimit`` is missing (macOS), limit the worker; its kernels inherit the cap."""
    import resource

    if megabytes <= 0 or hasattr(resource, "prlimit"):
        return
    cap = megabytes * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _die_with_parent() -> None:
    """Linux: if the autograde process dies (even by SIGKILL), this worker dies too; its
    sandboxed kernels follow (bubblewrap's ``--die-with-parent``), so nothing is orphaned."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent is already gone
            os._exit(1)


def _worker_main(conn: Connection, memory_limit_mb: int, log_path: str) -> None:
    """A worker: execute jobs sent down the pipe until told to stop (``None``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)  # kernels inherit these: their chatter goes to the log, not the tutor
    os.dup2(log, 2)
    # Fewer malloc arenas: each reserves 64 MiB of address space, which RLIMIT_AS counts.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    _limit_own_memory(memory_limit_mb)
    lock = threading.Lock()

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            conn.send(message)

    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            result = run_job(job, send)
        except Exception as exc:  # report, never die silently: the parent is waiting
            result = ExecResult(job.learner, job.assignment)
            result.problems.append(("execution-error", f"{type(exc).__name__}: {exc}"))
        send(("done", job.key, result))


# -- in the parent ---------------------------------------------------------------------------
class _Lazy:
    """An iterator that can say whether it has more, pulling items only when asked."""

    def __init__(self, items: Iterator[ExecJob]) -> None:
        self.items, self.buffer = items, deque[ExecJob]()

    def __bool__(self) -> bool:
        if not self.buffer:
            try:
                self.buffer.append(next(self.items))
            except StopIteration:
                return False
        return True

    def popleft(self) -> ExecJob:
        if not self:
            raise IndexError("no more jobs")
        return self.buffer.popleft()


@dataclass
class _Worker:
    process: Any
    conn: Connection
    job: ExecJob | None = None
    started: float = 0.0
    kernel: int | None = None


class WorkerPool:
    """Worker processes that execute submissions; results come back as they finish.

    Examples
    --------
    >>> pool = WorkerPool(workers=2, memory_limit_mb=2048, log_path="w.log")  # doctest: +SKIP
    >>> with pool:                                                            # doctest: +SKIP
    ...     for result in pool.run(jobs):
    ...         print(result.key, result.problems)
    """

    def __init__(self, workers: int, memory_limit_mb: int, log_path: str | Path) -> None:
        self.size = max(1, workers)
        self.memory_limit_mb = memory_limit_mb
        self.log_path = str(log_path)
        # fork: a worker starts at once with nbgrader already imported (importing it costs
        # seconds); elsewhere (macOS, Windows) spawn is the safe choice.
        methods = multiprocessing.get_all_start_methods()
        self.context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.workers: list[_Worker] = []

    def __enter__(self) -> WorkerPool:
        self.workers = [self._start() for _ in range(self.size)]
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> _Worker:
        parent_end, child_end = self.context.Pipe()
        process = self.context.Process(
            target=_worker_main,
            args=(child_end, self.memory_limit_mb, self.log_path),
            daemon=True,
        )
        process.start()
        child_end.close()
        return _Worker(process, parent_end)

    def _kill(self, worker: _Worker) -> None:
        if worker.kernel:
            _kill_group(worker.kernel)
        try:
            for child in psutil.Process(worker.process.pid).children(recursive=True):
                with contextlib.suppress(psutil.NoSuchProcess):
                    child.kill()
        except psutil.NoSuchProcess:  # the worker is already gone, and its children with it
            pass
        worker.process.kill()
        worker.process.join(5)

    def close(self) -> None:
        for worker in self.workers:
            if worker.job is None and worker.process.is_alive():
                with contextlib.suppress(BrokenPipeError, OSError):
                    worker.conn.send(None)
                worker.process.join(10)
            if worker.process.is_alive():
                self._kill(worker)
        self.workers = []

    def run(self, jobs: Iterable[ExecJob]) -> Iterator[ExecResult]:
        """Execute every job, yielding each result as soon as it is ready.

        Jobs are taken from ``jobs`` only when a worker is free, so a generator that prepares
        each job on demand keeps every worker busy from the first second.
        """
        queue = _Lazy(iter(jobs))
        while queue or any(w.job for w in self.workers):
            self._dispatch(queue)
            busy = [w for w in self.workers if w.job is not None]
            finished: list[ExecResult] = []
            for conn in wait([w.conn for w in busy], timeout=0.5):
                worker = next(w for w in busy if w.conn is conn)
                finished += self._receive(worker)
            finished += self._reap_overdue()
            self._dispatch(queue)  # before the caller spends time on these results
            yield from finished

    def _dispatch(self, queue: _Lazy) -> None:
        for worker in self.workers:
            if worker.job is None and queue:
                worker.job, worker.started, worker.kernel = queue.popleft(), time.monotonic(), None
                worker.conn.send(worker.job)

    def _receive(self, worker: _Worker) -> list[ExecResult]:
        try:
            message = worker.conn.recv()
        except (EOFError, OSError):
            return [self._replace(worker, "the worker process died (killed by the system?)")]
        if message[0] == "kernel":
            worker.kernel = message[2]
            return []
        worker.job, worker.kernel = None, None
        return [message[2]]

    def _reap_overdue(self) -> list[ExecResult]:
        results = []
        now = time.monotonic()
        for worker in self.workers:
            job = worker.job
            if job is not None and now - worker.started > job.budget + GRACE_SECONDS:
                results.append(
                    self._replace(worker, f"no answer {job.budget + GRACE_SECONDS:g} s after start")
                )
            elif job is not None and not worker.process.is_alive():
                results.append(self._replace(worker, "the worker process died"))
        return results

    def _replace(self, worker: _Worker, why: str) -> ExecResult:
        job = worker.job
        assert job is not None
        self._kill(worker)
        index = self.workers.index(worker)
        self.workers[index] = self._start()
        result = ExecResult(job.learner, job.assignment)
        result.problems.append(("worker-failed", f"{why}; the submission was not marked."))
        result.seconds = time.monotonic() - worker.started
        return result

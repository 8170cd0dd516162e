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
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

#: Seconds past its budget before the parent gives up on a worker and kills it.
GRACE_SECONDS = 30.0


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


def run_job(
    job: ExecJob, notify: Callable[[tuple[Any, ...]], None] = lambda msg: None
) -> ExecResult:
    """Execute one submission's notebooks with nbgrader's ``Execute``, within its budget.

    Examples
    --------
    >>> result = run_job(job)              # doctest: +SKIP
    >>> result.problems                    # doctest: +SKIP
    [('submission-timeout', 'stopped after its 300 s budget; 2 cell(s) were not run')]
    """
    import nbformat
    from nbgrader import utils

    started = time.monotonic()
    deadline = started + job.budget
    result = ExecResult(job.learner, job.assignment)
    config = _course_config(job.course_root, job.overrides)
    base = execute_class(config)

    class Tracked(base):  # type: ignore[misc, valid-type]
        current = -1

        def preprocess_cell(self, cell: Any, resources: Any, index: int) -> Any:
            if self.current < 0:  # the kernel is up and no learner code has run yet
                cap_kernel(_kernel_pid(self), job.memory_limit_mb)
            self.current = index
            return super().preprocess_cell(cell, resources, index)

    out_dir = Path(job.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in job.notebooks:
        path = Path(job.workdir, f"{name}.ipynb")
        nb = nbformat.read(path, as_version=4)
        resources = {
            "metadata": {"path": job.workdir},
            "nbgrader": {"student": job.learner, "assignment": job.assignment, "notebook": name},
        }
        executor = Tracked(config=config)
        if time.monotonic() >= deadline:
            skipped = _not_run(nb, 0, _budget_message(job, None), "SubmissionTimeout")
            result.problems.append(("submission-timeout", _budget_text(job, name, skipped)))
        else:
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
                    result.problems.append(("submission-timeout", _budget_text(job, name, skipped)))
                elif executor.current < 0:  # not the learner's doing: do not mark it
                    result.problems.append(
                        (
                            "kernel-failed",
                            f"{name}: the kernel could not start ({type(exc).__name__}: {exc}); "
                            "if the memory cap is very low, raise QilabGrading.memory_limit_mb.",
                        )
                    )
                    result.executed.clear()
                    break
                else:
                    message = (
                        f"The kernel stopped while running cell #{at + 1} ({type(exc).__name__})"
                        " — often the memory cap, or code that ends the process."
                    )
                    skipped = _not_run(nb, at, message, "DeadKernelError")
                    result.problems.append(
                        ("kernel-died", f"{name}: {message} {skipped} cell(s) were not run.")
                    )
            finally:
                watchdog.done.set()
                watchdog.join()
        out = out_dir / f"{name}.ipynb"
        nbformat.write(nb, out)
        result.executed[name] = str(out)
    result.seconds = time.monotonic() - started
    return result


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


def cap_kernel(pid: int | None, megabytes: int) -> bool:
    """Limit a running kernel's address space (Linux ``prlimit``); False where unsupported."""
    import resource

    if megabytes <= 0 or pid is None or not hasattr(resource, "prlimit"):
        return False
    _, hard = resource.prlimit(pid, resource.RLIMIT_AS)
    cap = megabytes * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.prlimit(pid, resource.RLIMIT_AS, (cap, hard))
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


def _worker_main(conn: Connection, memory_limit_mb: int, log_path: str) -> None:
    """A worker: execute jobs sent down the pipe until told to stop (``None``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
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
            import psutil

            for child in psutil.Process(worker.process.pid).children(recursive=True):
                child.kill()
        except Exception:
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

"""Execute one learner's submission within its limits: the task a Dask worker runs.

The slow part of autograding is executing notebooks, one kernel after another, so each
submission is one task on a Dask cluster (:mod:`qilab.grading.cluster`): a ``LocalCluster`` of
worker processes on the tutor's computer, or an academy's own cluster. A task carries
everything it needs as bytes — the sanitised notebooks and the assignment's data files, never
a path into the course folder — and returns the executed notebooks, so a worker needs no
shared course folder. Workers never open the gradebook: the parent process is its only writer
(see :mod:`qilab.grading.autograde`), so SQLite never reports 'database is locked' and no grade
is lost.

On every worker, whichever machine it is on, each notebook runs with nbgrader's own
``Execute`` and these limits, so one bad submission fails alone, with a reason:

- the **sandbox** (:mod:`~qilab.grading.sandbox`): the kernel starts inside bubblewrap, and a
  worker that cannot start one refuses to run the learner's code at all (unless the tutor
  opted out with ``--no-sandbox``): the submission is left unmarked, as a platform error;
- a **memory cap**: the learner's kernel gets an ``RLIMIT_AS`` (address-space) limit just
  before its first cell runs (``prlimit``), so a memory bomb gets ``MemoryError`` instead of
  taking the machine down — and neither the worker nor the kernel's own start-up is squeezed;
- a **wall-clock budget per submission** on top of nbgrader's per-cell timeout: a watchdog
  thread kills the kernel's process group when the budget is spent, the cells not yet run are
  marked as not run, and the worker moves on;
- **output limits in bytes** per cell and per notebook (:class:`OutputBudget`).

A worker starts each notebook's kernel ahead, while the notebook before it runs
(:mod:`~qilab.grading.spare`): a fresh kernel in a fresh sandbox, so no submission waits for a
kernel to boot, and none meets anything of another's.

The task's private folder (its files and its sandbox) is made in the worker's temporary folder
and removed when the task ends; one left by a worker killed mid-task is removed by the next
task on that computer.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import psutil

from . import spare
from .sandbox import (
    JobSandbox,
    ProcessCap,
    SandboxSettings,
    kernel_manager_class,
    probe,
    processes_in,
    python_paths,
    remove_tree,
)

#: Times a notebook is tried when the platform, not the learner, fails (kernel start, set-up).
PLATFORM_ATTEMPTS = 3
#: Seconds waited before the second try (twice that before the third).
PLATFORM_PAUSE = 2.0
PLATFORM_NOTE = (
    "not marked: platform error ({why}). This is not the learner's doing; it was tried "
    "{attempts} times and will be marked again on the next `qilab course autograde` run "
    "(no --force needed)."
)
NO_SANDBOX_ON_WORKER = (
    "not marked: platform error (the worker on {host} cannot start the sandbox: {reason}; it "
    "refused to run the learner's code without it). This is not the learner's doing: install "
    "bubblewrap on that worker (the same environment as the tutor's), then run autograde "
    "again (no --force needed)."
)
#: Configuration sections never sent to a worker (database addresses, exchange paths).
PRIVATE_SECTIONS = ("CourseDirectory", "Exchange", "ExchangeFactory", "QilabGrading")


@dataclass
class ExecJob:
    """One submission to execute, carried to the worker whole: bytes, not course paths."""

    learner: str
    assignment: str
    #: The sanitised notebooks, by name (without ``.ipynb``), as nbformat JSON bytes.
    notebooks: dict[str, bytes]
    #: The files the notebooks need beside them (the learner's, then the assignment's data
    #: files), by relative POSIX path; never a notebook.
    files: dict[str, bytes]
    #: The course's nbgrader configuration as plain dicts, with this run's overrides, less
    #: :data:`PRIVATE_SECTIONS`.
    config: dict[str, Any]
    budget: float
    memory_limit_mb: int = 0
    #: Start every kernel in its bubblewrap sandbox (False only when the tutor opted out).
    sandbox: bool = True
    #: Most processes and threads the learner's code may have at once (0: no cap).
    max_processes: int = 256
    #: Host paths hidden in the sandbox if a read-only path holds them (the course folder, for
    #: a worker on the tutor's own computer).
    hidden: tuple[str, ...] = ()
    #: Output kept per cell and per notebook, in bytes (0: no limit).
    cell_output_bytes: int = 0
    notebook_output_bytes: int = 0

    @property
    def key(self) -> str:
        return f"{self.learner}/{self.assignment}"


@dataclass
class ExecResult:
    """The executed notebooks (nbformat JSON bytes) and any way the run itself went wrong."""

    learner: str
    assignment: str
    executed: dict[str, bytes] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    #: Where it ran (host name and process id), for the tutor's log.
    worker: str = ""

    @property
    def key(self) -> str:
        return f"{self.learner}/{self.assignment}"


def plain_config(config: Any) -> dict[str, Any]:
    """A traitlets ``Config`` as plain dicts for a worker, less :data:`PRIVATE_SECTIONS`."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k not in ("db_url", "password")}
        return value

    return {k: plain(v) for k, v in config.items() if k not in PRIVATE_SECTIONS}


@functools.cache
def _read_only_paths() -> tuple[str, ...]:
    return tuple(python_paths())


#: Each task's private folder (its files and its sandbox), in the worker's temporary folder.
TASK_PREFIX = "qilab-sandboxes-"
#: The folder of a worker's spare kernel (:mod:`~qilab.grading.spare`): no learner's files.
SPARE_PREFIX = "qilab-spare-"
#: Where a worker makes them, if set (a LocalCluster's scratch folder); else its temp folder.
TASK_DIR_ENV = "AUTOGRADE_TASK_DIR"
OWNER_FILE = "owner.pid"


def _task_folder(prefix: str = TASK_PREFIX) -> Path:
    """A new private folder for one task; first remove those of tasks whose worker died.

    The folder holds the process id of the worker that made it, so a worker killed mid-task
    (SIGKILL, the OOM killer) leaves nothing for long: the next task on that computer removes
    it, and a dead worker's spare kernel folder likewise. A LocalCluster's workers make theirs
    in the run's own scratch folder (:data:`TASK_DIR_ENV`), which autograde removes even after
    a crash.
    """
    base = Path(os.environ.get(TASK_DIR_ENV) or tempfile.gettempdir())
    for old in [*base.glob(f"{TASK_PREFIX}*"), *base.glob(f"{SPARE_PREFIX}*")]:
        try:
            pid = int((old / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if pid != os.getpid() and not psutil.pid_exists(pid):
            remove_tree(old)
    root = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    (root / OWNER_FILE).write_text(str(os.getpid()))
    return root


def _write_files(files: dict[str, bytes], folder: Path) -> None:
    """Write the job's files under ``folder``; a path that would leave it is refused."""
    for name, data in files.items():
        rel = PurePosixPath(name)
        if rel.is_absolute() or ".." in rel.parts or not rel.parts:
            raise ValueError(f"refusing a file path outside the job folder: {name!r}")
        path = folder.joinpath(*rel.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def run_job(job: ExecJob) -> ExecResult:
    """Execute one submission's notebooks with nbgrader's ``Execute``, within its limits.

    This is the Dask task: it never raises (a failure is reported in the result) and leaves
    nothing behind in the worker's scratch space.

    Each kernel starts in a sandbox (:mod:`~qilab.grading.sandbox`) unless the tutor opted
    out; a worker that cannot make one refuses. A failure of the platform — a kernel that does
    not start, or the course's own set-up cell failing before any learner code ran — is
    retried, and if it persists the submission is left unmarked with a ``platform-error``
    finding, so the next run marks it.

    Examples
    --------
    >>> result = run_job(job)              # doctest: +SKIP
    >>> result.problems                    # doctest: +SKIP
    [('submission-timeout', 'stopped after its 300 s budget; 2 cell(s) were not run')]
    """
    started = time.monotonic()
    result = ExecResult(job.learner, job.assignment, worker=f"{os.uname().nodename}:{os.getpid()}")
    try:
        _run_job(job, result, started)
    except Exception as exc:  # report, never die silently: the parent is waiting
        result.executed.clear()
        result.problems.append(("execution-error", f"{type(exc).__name__}: {exc}"))
    result.seconds = time.monotonic() - started
    return result


def _run_job(job: ExecJob, result: ExecResult, started: float) -> None:
    import nbformat
    from traitlets.config import Config

    if job.sandbox:
        reason = probe()
        if reason:
            host = os.uname().nodename
            result.problems.append(
                ("platform-error", NO_SANDBOX_ON_WORKER.format(host=host, reason=reason))
            )
            return
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")  # fewer malloc arenas count in RLIMIT_AS
    deadline = started + job.budget
    config = Config(job.config)
    root = _task_folder()
    try:
        files = root / "files"
        files.mkdir()
        _write_files(job.files, files)
        settings = None
        if job.sandbox:
            settings = SandboxSettings(
                base=str(root),
                max_processes=job.max_processes,
                read_only=_read_only_paths(),
                hidden=tuple(h for h in job.hidden if Path(h).exists()),
            )
        for name, data in job.notebooks.items():
            for attempt in range(1, PLATFORM_ATTEMPTS + 1):
                nb = nbformat.reads(data.decode("utf-8"), as_version=4)
                try:
                    problems = _run_notebook(job, config, name, nb, deadline, settings, files)
                    break
                except PlatformFault as fault:
                    if attempt == PLATFORM_ATTEMPTS:
                        why = f"{name}: {fault}"
                        result.problems.append(
                            ("platform-error", PLATFORM_NOTE.format(why=why, attempts=attempt))
                        )
                        result.executed.clear()
                        return
                    time.sleep(min(PLATFORM_PAUSE * attempt, 5.0))
            result.problems += problems
            result.executed[name] = nbformat.writes(nb).encode("utf-8")
    finally:
        remove_tree(root)


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

    def __init__(self, executor: Any, deadline: float) -> None:
        super().__init__(daemon=True)
        self.executor, self.deadline = executor, deadline
        self.fired = False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            pid = _kernel_pid(self.executor)
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


def _run_notebook(
    job: ExecJob,
    config: Any,
    name: str,
    nb: Any,
    deadline: float,
    settings: SandboxSettings | None,
    files: Path,
) -> list[tuple[str, str]]:
    """Run one notebook once, in place; return what went wrong that the learner should own.

    Raises :class:`PlatformFault` when the failure is the platform's.
    """
    from nbgrader import utils

    problems: list[tuple[str, str]] = []
    if time.monotonic() >= deadline:
        skipped = _not_run(nb, 0, _budget_message(job, None), "SubmissionTimeout")
        return [("submission-timeout", _budget_text(job, name, skipped))]
    cap = ProcessCap(settings.max_processes if settings else 0)
    budget = OutputBudget(job.cell_output_bytes, job.notebook_output_bytes)
    kernels = _Kernels(settings, files)
    executor = _executor_class(execute_class(config), job, kernels, cap, budget)(config=config)
    watchdog = _Watchdog(executor, deadline)
    try:
        with utils.setenv(NBGRADER_EXECUTION="autograde"):
            kernel_name = executor.kernel_name or nb.metadata.get("kernelspec", {}).get("name", "")
            box = kernels.prepare(kernel_name, job.config)
            resources = {
                "metadata": {"path": str(box.work) if box else str(files)},
                "nbgrader": {
                    "student": job.learner,
                    "assignment": job.assignment,
                    "notebook": name,
                },
            }
            watchdog.start()
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
        if watchdog.is_alive():
            watchdog.join()
        cap.release()
        kernels.remove()
    if not watchdog.fired:
        failed = _failed_setup(nb)
        if failed is not None:
            raise PlatformFault(failed)
    problems += budget.problems(name)
    return problems


class _Kernels:
    """Where one notebook's kernel comes from: the worker's spare, or a new sandbox.

    Without a sandbox (the tutor opted out) the kernel starts as nbgrader starts it.
    """

    def __init__(self, settings: SandboxSettings | None, files: Path) -> None:
        self.settings, self.files = settings, files
        self.box: JobSandbox | None = None
        self.spare: spare.Spare | None = None
        self.key: tuple[Any, ...] = ()

    def prepare(self, kernel_name: str, config: dict[str, Any]) -> JobSandbox | None:
        """The notebook's sandbox, with the submission's files in it."""
        if self.settings is None:
            return None
        self.key = spare.key(self.settings, kernel_name, config)
        self.spare = spare.take(self.key)
        if self.spare is not None:
            self.box = self.spare.box
            self.box.fill(self.files)
        else:
            self.box = JobSandbox.create(self.settings, self.files)
        return self.box

    def manager(self, kernel_name: str, config: Any) -> Any:
        """The kernel manager: the spare's (already started) or a new sandboxed one."""
        if self.spare is not None:
            return self.spare.manager
        assert self.box is not None
        return self.new_manager(self.box, kernel_name, config)

    @staticmethod
    def new_manager(box: JobSandbox, kernel_name: str, config: Any) -> Any:
        """A kernel manager that will start its kernel in ``box``."""
        kwargs = {"kernel_name": kernel_name} if kernel_name else {}
        return kernel_manager_class()(sandbox=box, config=config, **kwargs)

    def start_next(self, start_kernel: Any) -> None:
        """Start the kernel the worker's next notebook will take (on a Dask worker only)."""
        if self.settings is not None and spare.on_dask_worker():
            make_root = functools.partial(_task_folder, SPARE_PREFIX)
            spare.start(self.key, self.settings, make_root, start_kernel)

    def remove(self) -> None:
        if self.spare is not None:
            remove_tree(self.spare.root)
        elif self.box is not None:
            self.box.remove()


def _executor_class(
    base: type, job: ExecJob, kernels: _Kernels, cap: ProcessCap, budget: OutputBudget
) -> type:
    """nbgrader's Execute, sandboxed, capped before the first cell, with output in bytes."""

    class Tracked(base):
        kernel_name: str  # nbclient's traits, named for the type checker
        iopub_timeout: int
        current = -1
        # The notebook is done with the kernel and its sandbox is removed next: a graceful
        # shutdown would only wait (about 0.6 s a notebook) for a kernel nobody needs.
        shutdown_kernel = "immediate"
        usual_iopub_timeout: int | None = None

        def create_kernel_manager(self) -> Any:
            if kernels.box is None:
                return super().create_kernel_manager()
            if not self.kernel_name:
                self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or ""
            self.km = kernels.manager(self.kernel_name, self.config)
            return self.km

        def start_new_kernel_client(self) -> Any:
            # This notebook's kernel is launched: launch the next one's while this one boots.
            kernels.start_next(self._start_spare)
            return super().start_new_kernel_client()

        def _start_spare(self, box: JobSandbox) -> Any:
            """Launch a kernel in ``box`` exactly as nbclient would launch this notebook's."""
            from jupyter_core.utils import run_sync

            manager = _Kernels.new_manager(box, self.kernel_name, self.config)
            extra = list(self.extra_arguments)
            history = any(arg.startswith("--HistoryManager.hist_file") for arg in extra)
            if manager.ipykernel and self.ipython_hist_file and not history:
                extra.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")
            run_sync(manager.start_kernel)(extra_arguments=extra, cwd=str(box.work))
            return manager

        def preprocess_cell(self, cell: Any, resources: Any, index: int) -> Any:
            if self.current < 0:  # the kernel is up and no learner code has run yet
                pid = _kernel_pid(self)
                if kernels.box is None:
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

"""Fan submissions out as Dask tasks: a ``LocalCluster`` by default, or an academy's cluster.

Executing notebooks is the only slow step of autograding, so each submission is one task
(:func:`qilab.grading.execution.run_job`) for `Dask distributed
<https://distributed.dask.org>`_, the scheduler the scientific Python world already runs on
laptops, HPC batch queues (dask-jobqueue) and Kubernetes (dask-kubernetes):

- by default a ``LocalCluster`` on the tutor's computer: one worker process per CPU core (one
  thread each), started for the run and closed after it; its processes end with the autograde
  process even if that is killed (Dask's own parent watch), and its scratch folder is removed;
- or ``--scheduler tcp://host:8786``: the academy's scheduler, whose workers need the same
  pinned environment (and bubblewrap), but no course folder.

What Dask adds that a home-made pool had to write itself: a worker that dies is replaced
(its nanny restarts it) and its task is run again on another worker; a task whose workers
died every time it ran (``allowed-failures``) is given up as :class:`~distributed.KilledWorker`
and named here, never holding up the cohort. The parent only hands out tasks as workers free
up, so preparing submissions overlaps executing them, and reads results as they finish.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qilab.errors import QilabError

from . import execution
from .execution import ExecJob, ExecResult

#: Seconds past its budget before the parent gives up on a task and restarts its worker.
GRACE_SECONDS = 30.0
#: Times a task may lose its worker before it is given up (Dask's ``allowed-failures``), on
#: the LocalCluster; an academy's scheduler has its own setting (Dask's default is 3).
ALLOWED_FAILURES = 2
#: Dask settings for the LocalCluster (the workers inherit them).
LOCAL_CONFIG = {
    "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
    # One task per worker thread at a time: a worker that dies takes only its own task with it.
    "distributed.scheduler.worker-saturation": 1.0,
    "distributed.scheduler.work-stealing": False,
    "distributed.worker.profile.enabled": False,  # no sampling thread beside the kernel
}
#: How the LocalCluster's nannies start workers. A plain ``fork`` of the tutor's process would
#: hand every worker a copy of each file descriptor and thread state that process holds (a
#: JupyterLab's sockets, a browser driver's pipes), and a worker that outlives them keeps them
#: open; ``spawn`` re-imports nbgrader in every worker (seconds each). Python's ``forkserver``
#: gives both: one clean server process imports :data:`WORKER_PRELOAD` once, and forks each
#: worker from it. Windows has only ``spawn``.
START_METHOD = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
#: What the fork server imports once, so that a new worker starts with it already imported.
WORKER_PRELOAD = ["qilab.grading.execution", "distributed", "nbclient", "nbgrader.preprocessors"]
CONNECT_TIMEOUT = 20


class SchedulerUnreachable(QilabError):
    """The academy's Dask scheduler did not answer, or has no workers."""


@contextlib.contextmanager
def dask_client(
    scheduler: str | None, workers: int, scratch: Path, log_path: Path
) -> Iterator[Any]:
    """A ``distributed.Client``: to ``scheduler``, or to a new ``LocalCluster`` of ``workers``.

    The LocalCluster (and every process it started) is closed when the block ends, however it
    ends.
    """
    from distributed import Client

    from .worker_plugins import QuietKernels

    if scheduler:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachable(
                f"could not reach the Dask scheduler at {scheduler} ({type(exc).__name__}): "
                "check the address and port (`dask scheduler` prints it), that it is running "
                "and that this computer may connect to it."
            ) from None
        try:
            try:
                client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
            except (OSError, TimeoutError):
                raise SchedulerUnreachable(
                    f"the Dask scheduler at {scheduler} has no workers: start some "
                    f"(`dask worker {scheduler}` on each marking machine) and run again."
                ) from None
            yield client
        finally:
            client.close()
        return
    cluster = local_cluster(workers, scratch)
    try:
        with Client(cluster) as client:
            client.register_plugin(QuietKernels(str(log_path)))
            yield client
    finally:
        cluster.close()


def local_cluster(workers: int, scratch: Path) -> Any:
    """A new ``LocalCluster``: ``workers`` processes of one thread, on localhost only."""
    import dask
    from distributed import LocalCluster

    # Workers make each task's private folder in the run's scratch folder, which autograde
    # removes after the run (and after a crash, on the next run).
    # Workers are forked from the fork server, which kept the environment of the moment it
    # started: hand them this process's environment as it is now (a plain fork would have).
    environ = {**os.environ, "MALLOC_ARENA_MAX": "2", execution.TASK_DIR_ENV: str(scratch)}
    _use_start_method()
    with dask.config.set({**LOCAL_CONFIG, "distributed.nanny.environ": environ}):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            memory_limit=0,  # the learner's kernel has its own cap; the worker stays small
            host="127.0.0.1",
            scheduler_port=0,
            dashboard_address=None,
            # No dashboard; its health endpoint still listens, on a free port rather than
            # 8787 (a second cluster, or the tutor's own Dask, would get a warning about it).
            scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"},
            local_directory=str(scratch),
            silence_logs=logging.CRITICAL,
        )


def _use_start_method() -> None:
    """Make :data:`START_METHOD` the nannies' way of starting workers, for this process.

    Set for good, not only while the cluster starts: a nanny reads it again when it restarts a
    worker that a submission killed, long after ``LocalCluster()`` returned.
    """
    import dask
    from distributed.utils import get_mp_context

    dask.config.set({"distributed.worker.multiprocessing-method": START_METHOD})
    context = get_mp_context()  # Dask sets its own fork-server preload list the first time
    if START_METHOD == "forkserver":
        context.set_forkserver_preload(WORKER_PRELOAD)  # ours; no effect once it is running


def capacity(client: Any) -> int:
    """Tasks the cluster runs at once: its workers' threads."""
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    return max(1, sum(int(w.get("nthreads", 1)) for w in workers.values()))


def sandbox_refusals(client: Any) -> dict[str, str]:
    """Workers that cannot start the sandbox, with why (an empty dict when all can)."""
    from .sandbox import probe

    answers = client.run(probe)
    return {worker: reason for worker, reason in answers.items() if reason}


def run_all(
    client: Any, jobs: Iterator[ExecJob], in_flight: int | None = None
) -> Iterator[ExecResult]:
    """Run every job as a Dask task, yielding each result as soon as it is ready.

    Jobs are taken from ``jobs`` only when the cluster has room (``in_flight`` tasks at once,
    default its threads plus one), so a generator that prepares each job on demand keeps every
    worker busy from the first second. A task whose workers kept dying comes back as a
    ``worker-failed`` result; so does one still running long past its budget, whose worker is
    restarted.
    """
    from distributed import wait

    run = uuid.uuid4().hex[:8]
    pending: dict[Any, tuple[ExecJob, float]] = {}
    running_since: dict[str, float] = {}
    exhausted = False
    last_check = time.monotonic()

    def top_up() -> None:
        nonlocal exhausted
        room = in_flight or capacity(client) + 1
        while not exhausted and len(pending) < room:
            job = next(jobs, None)
            if job is None:
                exhausted = True
                return
            key = f"qilab-autograde-{run}-{job.assignment}-{job.learner}"
            future = client.submit(execution.run_job, job, key=key, pure=False)
            pending[future] = (job, time.monotonic())

    top_up()
    while pending:
        try:
            done, _ = wait(list(pending), timeout=1.0, return_when="FIRST_COMPLETED")
        except TimeoutError:  # none finished within the second
            done = set()
        finished = [_result(future, *pending.pop(future)) for future in done]
        if time.monotonic() - last_check > 2.0:
            last_check = time.monotonic()
            finished += _reap_overdue(client, pending, running_since)
        top_up()  # before the caller spends time on these results
        yield from finished


def _result(future: Any, job: ExecJob, submitted: float) -> ExecResult:
    from distributed import KilledWorker

    if future.status == "finished":
        result: ExecResult = future.result()
        future.release()
        return result
    result = ExecResult(job.learner, job.assignment, seconds=time.monotonic() - submitted)
    exc = future.exception() if future.status == "error" else None
    if isinstance(exc, KilledWorker):
        result.problems.append(
            (
                "worker-failed",
                "not marked: the worker process running it died each time it was run "
                f"({exc.allowed_failures + 1} times, last on {exc.last_worker.address}); it "
                "was not run again, so it holds up no one. Not a 0: it is marked again on the "
                "next run (no --force needed) — if it fails again, look at what it does (its "
                "memory, the workers' logs).",
            )
        )
    else:
        why = f"{type(exc).__name__}: {exc}" if exc is not None else future.status
        result.problems.append(
            (
                "worker-failed",
                f"not marked: its Dask task failed ({why}); it is marked again on "
                "the next run (no --force needed).",
            )
        )
    future.release()
    return result


def _executing(dask_worker: Any) -> list[str]:
    """On a worker: the keys of the tasks it is running now (not those waiting for a thread)."""
    return [str(ts.key) for ts in dask_worker.state.executing]


def _reap_overdue(
    client: Any, pending: dict[Any, tuple[ExecJob, float]], running_since: dict[str, float]
) -> list[ExecResult]:
    """Give up on tasks running long past their budget (the in-task watchdog failed), and
    restart their workers."""
    now = time.monotonic()
    try:
        executing = client.run(_executing)
    except Exception:  # a worker is busy starting or gone: the next check will tell
        return []
    where = {key: worker for worker, keys in executing.items() for key in keys}
    results = []
    for future, (job, submitted) in list(pending.items()):
        worker = where.get(future.key)
        if worker is None:
            running_since.pop(future.key, None)
            continue
        since = running_since.setdefault(future.key, now)
        if now - since <= job.budget + GRACE_SECONDS:
            continue
        del pending[future]
        future.cancel()
        with contextlib.suppress(Exception):
            client.restart_workers([worker], raise_for_error=False)
        result = ExecResult(job.learner, job.assignment, seconds=now - submitted)
        result.problems.append(
            (
                "worker-failed",
                f"no answer {job.budget + GRACE_SECONDS:g} s after it started on {worker}, so "
                "that worker was restarted; the submission was not marked.",
            )
        )
        results.append(result)
    return results

"""A kernel started ahead on each marking worker, so the next notebook does not wait for one.

Most of a marking worker's time per submission is a new Python kernel starting up in its
sandbox (about 0.6 s on an idle core; twice that on a busy machine), while the learner's cells
take a fraction of it. So, as each notebook's kernel is handed over, the worker starts the
kernel for its *next* notebook, in a sandbox of its own, and that one boots while the current
notebook runs and its result travels back. The next notebook takes it ready-made.

A spare is safe to hand to any learner because no learner code has touched it: it is a fresh
kernel in a fresh, empty sandbox (its own folder, namespaces and processes, nothing bound from
the submission that ran beside it), and the submission's files are copied into its folder
only when it is taken. It is taken only by a notebook that would have started exactly the
same kernel — same sandbox settings, kernel, configuration and environment, same thread (its
event loop) — and only while it is alive; otherwise it is shut down and a kernel is started
as before. The memory and process caps are applied when the learner's first cell runs, as for
any kernel.

Each worker holds at most one spare (about 50 MB). It lives in a private folder like a task's
(:func:`qilab.grading.execution._task_folder`), so a worker killed while holding one leaves
nothing for long, and its bubblewrap sandbox dies with the worker (``--die-with-parent``).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .sandbox import ENV_KEEP, ENV_PREFIXES, JobSandbox, SandboxSettings, remove_tree


@dataclass
class Spare:
    """A started kernel in its own empty sandbox, waiting for the worker's next notebook."""

    key: tuple[Any, ...]
    #: Its private folder (the sandbox is inside it); removed with the spare.
    root: Path
    box: JobSandbox
    #: The started ``SandboxedKernelManager``.
    manager: Any

    def discard(self) -> None:
        """Stop its kernel at once and remove its folder."""
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):
            run_sync(self.manager.shutdown_kernel)(now=True)
        remove_tree(self.root)


_held: Spare | None = None
_lock = threading.Lock()


def on_dask_worker() -> bool:
    """True in a Dask worker's task: only workers keep spares (a process that runs one job, a
    test or a tutor's own script, would only hold a kernel it never uses)."""
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):
        return False
    return True


def key(settings: SandboxSettings, kernel_name: str, config: dict[str, Any]) -> tuple[Any, ...]:
    """What must match for a spare to be the kernel a notebook would have started itself.

    The sandbox settings (less the folder it is made in), the kernel, the run's configuration,
    the environment a sandbox passes on, and the thread (a kernel manager belongs to the event
    loop of the thread that started it).
    """
    environment = sorted(
        (name, value)
        for name, value in os.environ.items()
        if name in ENV_KEEP or name.startswith(ENV_PREFIXES)
    )
    return (
        replace(settings, base=""),
        kernel_name,
        json.dumps(config, sort_keys=True, default=repr),
        tuple(environment),
        threading.get_ident(),
    )


def take(wanted: tuple[Any, ...]) -> Spare | None:
    """The spare kernel if it matches ``wanted`` and is alive; else None (and it is dropped)."""
    from jupyter_core.utils import run_sync

    global _held
    with _lock:
        spare, _held = _held, None
    if spare is None:
        return None
    alive = False
    if spare.key == wanted:
        with contextlib.suppress(Exception):
            alive = bool(run_sync(spare.manager.is_alive)())
    if not alive:
        spare.discard()
        return None
    return spare


def start(
    wanted: tuple[Any, ...],
    settings: SandboxSettings,
    make_root: Callable[[], Path],
    start_kernel: Callable[[JobSandbox], Any],
) -> None:
    """Start the kernel for the worker's next notebook; never raises (it is only a head start).

    ``start_kernel(box)`` starts a kernel in ``box`` and returns its manager; it returns as
    soon as the kernel process is launched, so the kernel boots while the worker goes on.
    """
    global _held
    with _lock:
        old, _held = _held, None
    if old is not None:
        old.discard()
    root = make_root()
    try:
        box = JobSandbox.create(replace(settings, base=str(root)), None)
        manager = start_kernel(box)
    except Exception:
        remove_tree(root)
        return
    with _lock:
        _held = Spare(wanted, root, box, manager)


def drop() -> None:
    """Shut down this worker's spare kernel, if it has one (tests; a worker closing)."""
    global _held
    with _lock:
        spare, _held = _held, None
    if spare is not None:
        spare.discard()

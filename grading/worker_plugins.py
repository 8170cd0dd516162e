"""The Dask worker plugin a local marking cluster installs (kept apart from :mod:`.cluster`).

Only :func:`qilab.grading.cluster.dask_client` imports this module, when it starts a
``LocalCluster``. Importing ``distributed`` configures logging as a side effect: it puts a
``stderr`` handler on the ``tornado`` loggers. :mod:`qilab.grading` is imported by processes
that never mark, such as JupyterHub through :mod:`qilab.hub.spawner`, and there that handler
printed every access-log line twice. So ``distributed`` is imported only where marking runs.
"""

from __future__ import annotations

import os
from typing import Any

from distributed import WorkerPlugin


class QuietKernels(WorkerPlugin):
    """LocalCluster only: workers' and kernels' chatter goes to a log file, not the tutor's
    terminal."""

    name = "qilab-quiet-kernels"

    def __init__(self, log_path: str) -> None:
        self.log_path = log_path

    def setup(self, worker: Any) -> None:
        log = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)

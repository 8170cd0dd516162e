"""The LocalCluster autograde starts by default: its workers are clean processes.

A tutor may start autograde from a process that holds other things open: a JupyterLab's
sockets, a notebook's files, the test suite's browser-driver pipes. A worker made by a plain
``fork`` of that process inherits every one of those descriptors (and any lock another thread
held at that instant); a worker that outlives its run then keeps a pipe open that its owner
waits to see closed. Workers come from Python's fork server instead (see
``qilab.grading.cluster.START_METHOD``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from qilab.grading import cluster

pytestmark = pytest.mark.slow


def _pipe_id(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")  # "pipe:[12345]"


def _open_descriptors(pid: int) -> set[str]:
    folder = Path(f"/proc/{pid}/fd")
    found = set()
    for entry in folder.iterdir():
        try:
            found.add(os.readlink(entry))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs Linux's /proc")
def test_workers_hold_none_of_the_tutors_open_files(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()  # stands for the tutor's process's own open pipe
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with cluster.dask_client(None, 2, tmp_path, tmp_path / "workers.log") as client:
                pids = client.run(os.getpid)
                assert len(pids) == 2
                held = {pid: _open_descriptors(pid) for pid in pids.values()}
                # A restarted worker (after a submission killed one) starts the same way.
                client.restart_workers(list(pids))
                restarted = client.run(os.getpid)
                held.update({pid: _open_descriptors(pid) for pid in restarted.values()})
        assert cluster.START_METHOD == "forkserver"
        for pid, descriptors in held.items():
            assert _pipe_id(write_end) not in descriptors, f"worker {pid} holds the tutor's pipe"
            assert _pipe_id(read_end) not in descriptors, f"worker {pid} holds the tutor's pipe"
        # Port 8787 may be taken (the tutor's own Dask): no warning about it either way.
        assert not [w for w in caught if "already in use" in str(w.message)]
    finally:
        os.close(read_end)
        os.close(write_end)

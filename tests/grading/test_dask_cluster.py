"""Autograde on an academy's Dask cluster: a real scheduler and two `dask worker` processes.

Each worker runs in its own temporary folder, far from the course: a task carries the
submission's bytes, so no worker needs the course folder. One worker is killed (SIGKILL, its
whole process group) while it runs a submission: Dask runs that task again on the other worker
and the cohort's marks still equal plain ``nbgrader autograde``'s, cell by cell.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nbformat
import psutil
import pytest
from qilab.grading import synthetic
from qilab.grading.course import Course
from qilab.grading.results import load_gradebook

from qilab.ports import free_port

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

A = synthetic.ASSIGNMENT
BIN = Path(sys.executable).parent
#: A correct answer that takes its time, so a worker can be killed while it runs.
SLOW_BUT_RIGHT = "import time\ntime.sleep(12)\n"


def cell_scores(course: Course) -> dict[tuple[str, str], tuple[float | None, bool]]:
    return {
        (row.learner, row.cell): (
            None if row.auto_score != row.auto_score else row.auto_score,
            bool(row.needs_manual_grade),
        )
        for row in load_gradebook(course).grades.itertuples()
    }


class DaskCluster:
    """`dask scheduler` and `dask worker` processes on localhost, each in its own session."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.folders: dict[str, Path] = {}

    def _start(self, name: str, argv: list[str]) -> None:
        folder = self.base / name
        folder.mkdir()
        log = (folder.parent / f"{name}.log").open("wb")
        self.folders[name] = folder
        # Each machine's own temporary folder: its tasks' folders are made there.
        env = {**os.environ, "AUTOGRADE_TASK_DIR": str(folder)}
        self.processes[name] = subprocess.Popen(
            argv, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self, workers: int) -> None:
        self._start(
            "scheduler",
            [
                str(BIN / "dask"),
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-dashboard",
            ],
        )
        for index in range(workers):
            self._start(
                f"worker{index}",
                [
                    str(BIN / "dask"),
                    "worker",
                    self.address,
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--no-dashboard",
                    "--memory-limit",
                    "0",
                    "--local-directory",
                    ".",
                    "--name",
                    f"worker{index}",
                ],
            )

    def kill(self, name: str) -> None:
        """SIGKILL a worker and everything in its session (its nanny, worker, sandboxes)."""
        with_pid = self.processes[name].pid
        os.killpg(with_pid, signal.SIGKILL)
        self.processes[name].wait(10)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


@pytest.fixture
def dask_cluster() -> Iterator[DaskCluster]:
    # Not under tmp_path: pytest removes old numbered folders, and so may a concurrent run.
    cluster = DaskCluster(Path(tempfile.mkdtemp(prefix="qilab-dask-machines-")))
    cluster.start(workers=2)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.base, ignore_errors=True)
        pids = [p.pid for p in cluster.processes.values()]
        assert not [
            p
            for p in psutil.process_iter()
            if p.pid in pids and p.is_running() and p.status() != psutil.STATUS_ZOMBIE
        ]


def test_marks_on_two_dask_workers_survive_a_killed_worker_and_equal_plain_nbgrader(
    make_course, place, released, dask_cluster, tmp_path
):
    from distributed import Client

    kinds = {"d01": "solution", "d02": "partial", "d03": "blank", "d04": "warns", "d05": "tamper"}
    course = make_course([*kinds, "slow"])
    for learner, kind in kinds.items():
        place(course, learner, kind)
    nb = synthetic.submission(released(course), "solution")
    cell = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "crossings_answer"
    )
    cell.source = SLOW_BUT_RIGHT + cell.source
    folder = course.root / "submitted" / "slow" / A
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{A}.ipynb")
    plain = tmp_path / "plain"
    shutil.copytree(course.root, plain)

    with Client(dask_cluster.address, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
        pids = client.run(os.getpid)  # worker address -> process id
        names = {
            address: info["name"] for address, info in client.scheduler_info()["workers"].items()
        }
        run = subprocess.Popen(
            [
                str(BIN / "qilab"),
                "course",
                "autograde",
                A,
                "-C",
                str(course.root),
                "--scheduler",
                dask_cluster.address,
                "--no-progress",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # Wait until a worker is running the slow learner's submission, then kill it.
            victim = None
            deadline = time.monotonic() + 240
            while victim is None and time.monotonic() < deadline and run.poll() is None:
                for address, keys in client.processing().items():
                    if any(str(key).endswith(f"-{A}-slow") for key in keys):
                        victim = address
                time.sleep(0.2)
            if victim is None:
                run.kill()
                pytest.fail(f"the slow submission never started: {run.communicate()}")
            time.sleep(3)  # well inside its 12 s cell
            assert psutil.pid_exists(pids[victim])
            dask_cluster.kill(str(names[victim]))
            out, err = run.communicate(timeout=400)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait()
    assert run.returncode == 0, out + err
    assert "slow" in out and "worker-failed" not in out, out
    marked = Course.open(course.root)
    report_lines = {line.split()[0]: line for line in out.splitlines()[1:] if line.startswith("  ")}
    assert "5/7" in report_lines["slow"]  # run again on the other worker, and fully marked

    done = subprocess.run(
        [str(BIN / "nbgrader"), "autograde", A],
        cwd=plain,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert cell_scores(marked) == cell_scores(Course.open(plain))
    assert len(cell_scores(marked)) == 3 * (len(kinds) + 1)
    # The surviving worker left nothing of any task in its folder; the one spare kernel it
    # keeps for its next notebook has an empty folder, no learner's files.
    for name, folder in dask_cluster.folders.items():
        if name.startswith("worker") and dask_cluster.processes[name].poll() is None:
            leftovers = [p for p in folder.rglob("qilab-sandboxes-*")]
            assert not leftovers, leftovers
            spares = list(folder.rglob("qilab-spare-*"))
            assert len(spares) <= 1
            assert not [p for s in spares for p in s.rglob("work/*")]
    assert not list(course.root.glob(".autograde-*"))


def test_an_unreachable_scheduler_is_one_line_and_nothing_is_touched(make_course, place, capsys):
    from qilab.cli import main as cli_main

    course = make_course(["d1"])
    place(course, "d1", "solution")
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    status = cli_main(
        ["course", "autograde", A, "-C", str(course.root), "--scheduler", address, "--no-progress"]
    )
    err = capsys.readouterr().err.strip()
    assert status != 0
    assert len(err.splitlines()) == 1, err
    assert address in err and "could not reach the Dask scheduler" in err
    assert not (course.root / "autograded" / "d1").exists()
    assert not list(course.root.glob("backups/*.db"))  # not even a backup: nothing began
    assert not list(course.root.glob(".autograde-*"))

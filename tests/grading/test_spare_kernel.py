"""A marking worker starts the next notebook's kernel ahead — and it is as fresh as a new one.

``qilab.grading.spare``: while a worker runs one learner's notebook, the kernel for its next
notebook boots in a sandbox of its own. These tests run real jobs on a real LocalCluster
worker, in bubblewrap, and check what a learner (and an attacker) would meet: the next
kernel really was started ahead; nothing the previous learner left (files, ``/tmp``, the
environment, processes) reaches it; a spare that died or does not match is never used, and
no spare is left running beside the one the worker holds.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest
from qilab.grading import execution, spare

pytestmark = pytest.mark.slow

TICK = 0.02  # seconds: a process's start time is known to a clock tick (10 ms)

LEAVE_TRACES = """\
import os, pathlib, subprocess
pathlib.Path("answers-of-a.txt").write_text("a's answers")
pathlib.Path("/tmp/left-by-a").write_text("a was here")
os.environ["LEFT_BY_A"] = "1"
subprocess.Popen(["sleep", "300"], start_new_session=True)
print("traces left")
"""

LOOK_AROUND = """\
import json, os, pathlib, psutil, time
# When this kernel started, to 10 ms (psutil's create_time rounds the boot time to seconds).
ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
age = float(open("/proc/uptime").read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")
print(json.dumps({
    "files": sorted(p.name for p in pathlib.Path(".").iterdir()),
    "tmp": sorted(  # files only, but this sandbox's own work/ and ipc/ (its connection file)
        str(p) for p in pathlib.Path("/tmp").rglob("*")
        if p.is_file() and not p.is_relative_to(pathlib.Path.cwd().parent)
        and not p.name.startswith(".") and ".ipython" not in p.parts
    ),
    "env": "LEFT_BY_A" in os.environ,
    "sleepers": [p.pid for p in psutil.process_iter(["name"]) if p.info["name"] == "sleep"],
    "kernel_started": time.time() - age,
}))
"""


def job(learner: str, source: str, files: dict[str, bytes], **limits: object) -> execution.ExecJob:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return execution.ExecJob(
        learner=learner,
        assignment="spare",
        notebooks={"look": nbformat.writes(nb).encode()},
        files=files,
        config={},
        budget=60,
        **limits,  # type: ignore[arg-type]
    )


def run(client, one: execution.ExecJob) -> dict:
    result = client.submit(execution.run_job, one, pure=False).result()
    assert not result.problems, result.problems
    nb = nbformat.reads(result.executed["look"].decode(), as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    return json.loads(text.strip().splitlines()[-1]) if text.strip().startswith("{") else {}


def held_kernel_pid() -> int | None:
    """On the worker: the process id of the spare kernel's sandbox, if it holds one."""
    held = spare._held
    return held.manager.provisioner.process.pid if held is not None else None


def sandboxes_on_worker() -> int:
    """On the worker: bubblewrap sandboxes still running under it."""
    import psutil

    boxes = [p for p in psutil.Process().children(recursive=True) if p.name() == "bwrap"]
    return sum(1 for p in boxes if p.parent().name() != "bwrap")  # not a sandbox's own pid 1


def kill_held_kernel() -> None:
    import os
    import signal

    os.killpg(held_kernel_pid(), signal.SIGKILL)


def test_the_next_kernel_is_started_ahead_and_nothing_of_the_last_learner_reaches_it(
    local_cluster,
):
    client = local_cluster(1)
    run(client, job("a", LEAVE_TRACES, {"a-data.csv": b"x,y\n1,2\n"}))
    assert all(client.run(held_kernel_pid).values()), "no kernel was started ahead"
    submitted = time.time()
    seen = run(client, job("b", LOOK_AROUND, {"b-data.csv": b"x,y\n3,4\n"}))

    assert seen["kernel_started"] < submitted - TICK, "the second kernel was not started ahead"
    assert seen["files"] == ["b-data.csv"], "only the learner's own files are in its folder"
    assert seen["tmp"] == [], "nothing in /tmp from the learner before"
    assert not seen["env"] and not seen["sleepers"]
    # one spare waits for the next notebook; the last learner's sandbox and sleeper are gone
    assert list(client.run(sandboxes_on_worker).values()) == [1]


def test_a_spare_that_died_or_does_not_match_is_never_used(local_cluster):
    client = local_cluster(1)
    run(client, job("a", LEAVE_TRACES, {}))
    client.run(kill_held_kernel)
    submitted = time.time()
    seen = run(client, job("b", LOOK_AROUND, {}))
    assert seen["kernel_started"] > submitted - TICK, "a dead spare was handed on"

    # different limits, so the spare (started for the last job's settings) is not this
    # notebook's kernel: a new one starts, and the old spare is shut down, not left running
    submitted = time.time()
    seen = run(client, job("c", LOOK_AROUND, {}, max_processes=64))
    assert seen["kernel_started"] > submitted - TICK, "a spare with other limits was handed on"
    assert list(client.run(sandboxes_on_worker).values()) == [1]


def test_only_dask_workers_keep_a_spare(tmp_path):
    """A job run in this process (a script, a test) leaves no kernel behind."""
    result = execution.run_job(job("a", "print('hello')", {}))
    assert not result.problems
    assert spare._held is None

"""Killing the autograder mid-run (SIGKILL) leaves no process and no lost or doubled mark."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest
from qilab.grading import synthetic
from qilab.grading.autograde import autograde
from qilab.grading.results import load_gradebook

pytestmark = pytest.mark.slow
A = synthetic.ASSIGNMENT
QILAB = str(Path(sys.executable).parent / "qilab")
MARKER = "qilab-crash-test-5d1e"

#: Starts a detached process (it must not outlive the run), then takes a long time.
LINGER = f"""
import subprocess, sys, time
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"],
                 start_new_session=True)
time.sleep(30)
"""


def ours(text: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if text in " ".join(proc.info["cmdline"] or []):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def test_a_killed_autograder_leaves_nothing_running_and_the_next_run_marks_all(
    make_course, place, released
):
    course = make_course(["a1", "a2", "ok"])
    place(course, "ok", "solution")
    for learner in ("a1", "a2"):
        nb = synthetic.submission(released(course), "solution")
        cell = next(
            c
            for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade_id") == "crossings_answer"
        )
        cell.source = LINGER
        folder = course.root / "submitted" / learner / A
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / f"{A}.ipynb")

    run = subprocess.Popen(
        [
            QILAB,
            "course",
            "autograde",
            A,
            "-C",
            str(course.root),
            "--workers",
            "2",
            "--no-progress",
            "--timeout",
            "60",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while len(ours(MARKER)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # until both learners' detached processes are running
        assert len(ours(MARKER)) == 2, "the learners' code never started"
        stale = list(course.root.glob(".autograde-*"))
        boxes = ours("qilab-sandboxes-")
        assert stale and boxes
        run.send_signal(signal.SIGKILL)  # the tutor's laptop dies, or the OOM killer strikes
        run.wait(10)
    finally:
        if run.poll() is None:
            run.kill()
    deadline = time.monotonic() + 15
    while (ours(MARKER) or ours("qilab-sandboxes-")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not ours(MARKER), "a learner's process outlived the autograder"
    assert not ours("qilab-sandboxes-"), "a worker or sandbox outlived the autograder"

    report = autograde(course, A, workers=2, submission_timeout=10, progress=False)
    assert not list(course.root.glob(".autograde-*"))  # the killed run's folder is gone
    assert {o.learner for o in report.outcomes} >= {"a1", "a2"}
    grades = load_gradebook(course).grades
    assert len(grades) == 3 * 3  # three graded cells each: nothing lost, nothing twice
    assert report.outcome("a1").score == 2 and not ours(MARKER)

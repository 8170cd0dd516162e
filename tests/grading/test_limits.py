"""Per-submission limits: a runaway submission fails alone, with a reason, and the run goes on."""

from __future__ import annotations

import pytest
from qilab.grading import cluster, execution, synthetic
from qilab.grading.autograde import autograde
from qilab.grading.results import load_gradebook

pytestmark = pytest.mark.slow
A = synthetic.ASSIGNMENT


def scores(course):
    grades = load_gradebook(course).grades.set_index(["learner", "cell"])["auto_score"]
    return {key: (None if value != value else value) for key, value in grades.items()}


def test_a_submission_over_its_time_budget_stops_alone_and_the_worker_goes_on(make_course, place):
    # nbgrader's per-cell limit (60 s) would let `time.sleep(60)` run; the budget stops it.
    course = make_course(["slow", "sol"], cell_timeout=60)
    place(course, "slow", "slow")
    place(course, "sol", "solution")
    report = autograde(course, A, workers=1, submission_timeout=8, progress=False)
    slow, sol = report.outcome("slow"), report.outcome("sol")
    assert slow.status == "graded-with-issues"
    (issue,) = [i for i in slow.record.issues if i.code == "submission-timeout"]
    assert "8 s budget" in issue.message and "not run" in issue.message
    got = scores(course)
    assert got[("slow", "median_tests")] == 2  # work done before the budget ran out counts
    assert got[("slow", "crossings_tests")] == 0
    assert sol.status == "graded" and sol.score == 5  # the same worker carried on


def _no_watchdog() -> None:
    execution._Watchdog.run = lambda self: None  # in the worker: the in-task watchdog fails


def test_a_worker_that_stops_answering_is_restarted(make_course, place, monkeypatch, local_cluster):
    # Disable the in-worker watchdog to exercise the parent's last resort.
    monkeypatch.setattr(cluster, "GRACE_SECONDS", 12.0)
    course = make_course(["slow", "sol"], cell_timeout=60)
    place(course, "slow", "slow")
    place(course, "sol", "solution")
    client = local_cluster(1)
    client.run(_no_watchdog)
    report = autograde(
        course, A, submission_timeout=4, scheduler=client.scheduler.address, progress=False
    )
    slow = report.outcome("slow")
    assert slow.status == "not-graded" and "worker-failed" in slow.record.codes()
    assert "restarted" in slow.record.to_json()
    assert report.outcome("sol").score == 5  # the restarted worker marked the next submission
    assert ("slow", "median_tests") not in scores(course)  # nothing half-written


def _loaded_first_time(runs: str) -> None:
    """In each worker: the first time "busy" runs, the machine is so loaded that its 3 s cell
    outlives a 2 s time-out (simulated: that run gets a 2 s cell time-out)."""
    real = execution.run_job

    def run_job(job):
        if job.learner == "busy":
            with open(runs, "a") as handle:
                handle.write("x")
            with open(runs) as handle:
                if handle.read() == "x":
                    job.config = {**job.config, "Execute": {"timeout": 2}}
        return real(job)

    execution.run_job = run_job


def test_a_time_out_caused_by_load_is_run_again_alone_and_marked(
    make_course, place, released, tmp_path, local_cluster
):
    import nbformat

    course = make_course(["busy", "loop", "sol"], cell_timeout=8)
    place(course, "sol", "solution")
    place(course, "loop", "loop")
    nb = synthetic.submission(released(course), "solution")
    cell = next(
        c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "crossings_answer"
    )
    cell.source = "import time\ntime.sleep(3)  # a little slow\n" + cell.source
    folder = course.root / "submitted" / "busy" / A
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{A}.ipynb")

    runs = tmp_path / "busy-runs"
    client = local_cluster(2)
    client.run(_loaded_first_time, str(runs))  # tasks look run_job up in the worker's module
    report = autograde(
        course, A, submission_timeout=60, scheduler=client.scheduler.address, progress=False
    )
    busy = report.outcome("busy")
    assert runs.read_text() == "xx"  # run twice: the second time alone
    assert busy.status == "graded" and busy.score == 5, busy.line()
    (note,) = [i for i in busy.record.issues if i.code == "timeout-retried"]
    assert "it finished" in note.message
    loop = report.outcome("loop")  # a real endless loop times out again: the learner's
    assert "cell-timeout" in loop.record.codes()
    (note,) = [i for i in loop.record.issues if i.code == "timeout-retried"]
    assert "ran out of time again" in note.message
    assert report.outcome("sol").score == 5


class _CrashOn:
    """Worker plugin (set up again on every restarted worker): running ``learner``'s
    submission ends the worker process, as the OOM killer or a failing machine would."""

    name = "qilab-test-crash-on"

    def __init__(self, learner: str) -> None:
        self.learner = learner

    def setup(self, worker):
        import os

        real, learner = execution.run_job, self.learner

        def run_job(job):
            if job.learner == learner:
                os._exit(137)
            return real(job)

        execution.run_job = run_job


def test_a_submission_that_kills_its_worker_every_time_is_named_and_holds_up_no_one(
    make_course, place, local_cluster
):
    from distributed import WorkerPlugin

    plugin = type("CrashOn", (_CrashOn, WorkerPlugin), {})("crasher")
    course = make_course(["crasher", "sol", "part"])
    place(course, "crasher", "solution")
    place(course, "sol", "solution")
    place(course, "part", "partial")
    client = local_cluster(2)
    client.register_plugin(plugin)
    report = autograde(course, A, scheduler=client.scheduler.address, progress=False)
    crasher = report.outcome("crasher")
    assert crasher.status == "not-graded" and crasher.score is None  # never a 0
    (issue,) = [i for i in crasher.record.issues if i.code == "worker-failed"]
    assert "died each time it was run (3 times" in issue.message
    assert "marked again on the next run" in issue.message
    assert "crasher" in str(report) and "worker-failed" in str(report)
    assert report.outcome("sol").score == 5 and report.outcome("part").score is not None
    assert not (course.root / "autograded" / "crasher").exists()
    assert len(client.scheduler_info()["workers"]) == 2  # the nannies restarted the workers

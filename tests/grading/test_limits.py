"""Per-submission limits: a runaway submission fails alone, with a reason, and the run goes on."""

from __future__ import annotations

import pytest
from qilab.grading import execution, synthetic
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


def test_a_worker_that_stops_answering_is_replaced(make_course, place, monkeypatch):
    # Disable the in-worker watchdog (forked workers inherit this) to exercise the last resort.
    monkeypatch.setattr(execution._Watchdog, "run", lambda self: None)
    monkeypatch.setattr(execution, "GRACE_SECONDS", 2.0)
    course = make_course(["slow", "sol"], cell_timeout=60)
    place(course, "slow", "slow")
    place(course, "sol", "solution")
    report = autograde(course, A, workers=1, submission_timeout=4, progress=False)
    slow = report.outcome("slow")
    assert slow.status == "not-graded" and "worker-failed" in slow.record.codes()
    assert report.outcome("sol").score == 5  # a fresh worker marked the next submission
    assert ("slow", "median_tests") not in scores(course)  # nothing half-written


def test_a_time_out_caused_by_load_is_run_again_alone_and_marked(
    make_course, place, released, monkeypatch, tmp_path
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

    # The first time "busy" runs, the machine is so loaded that its 3 s cell outlives a 2 s
    # time-out (simulated: that run gets a 2 s cell time-out). Workers are forked: they
    # inherit this wrapper, and count runs in a file.
    runs = tmp_path / "busy-runs"
    real = execution.run_job

    def loaded_first_time(job, notify=lambda msg: None):
        if job.learner == "busy":
            with runs.open("a") as handle:
                handle.write("x")
            if runs.read_text() == "x":
                job.overrides = {**job.overrides, "Execute": {"timeout": 2}}
        return real(job, notify)

    monkeypatch.setattr(execution, "run_job", loaded_first_time)
    report = autograde(course, A, workers=2, submission_timeout=60, progress=False)
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

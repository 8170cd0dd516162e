"""Platform faults are never the learner's zero: retried, then 'not marked: platform error'."""

from __future__ import annotations

import nbformat
import pytest
from qilab.grading import execution, sandbox, spare, synthetic
from qilab.grading.autograde import autograde
from qilab.grading.course import Course, init_course
from qilab.grading.release import release
from qilab.grading.sandbox import JobSandbox

pytestmark = pytest.mark.slow
A = synthetic.ASSIGNMENT


def _flaky_once(counter: str) -> None:
    """In a worker: the first kernel fails to start (a loaded machine, say), then all do."""
    real = JobSandbox.command

    def flaky(self, argv):
        with open(counter, "a") as handle:
            handle.write("x")
        with open(counter) as handle:
            first = handle.read() == "x"
        return ["false"] if first else real(self, argv)

    JobSandbox._real_command = real
    JobSandbox.command = flaky
    spare.drop()  # a kernel the worker started ahead, before the fault, would be used as is


def _never_starts() -> None:
    JobSandbox.command = lambda self, argv: ["false"]
    spare.drop()


def _fixed() -> None:
    JobSandbox.command = JobSandbox._real_command


def test_a_kernel_that_does_not_start_is_retried_then_left_unmarked(
    make_course, place, local_cluster, tmp_path
):
    course = make_course(["d1", "d2"])
    place(course, "d1", "solution")
    place(course, "d2", "solution")
    assert sandbox.probe() is None  # the real sandbox works here (checked once per run)
    client = local_cluster(1)
    address = client.scheduler.address
    assert set(client.run(sandbox.probe).values()) == {None}  # (checked once per worker)
    client.run(_flaky_once, str(tmp_path / "attempts"))
    report = autograde(course, A, learners=["d1"], scheduler=address, progress=False)
    assert len((tmp_path / "attempts").read_text()) >= 2  # failed once, then started
    assert report.outcome("d1").score == 5  # retried, and marked as usual
    assert "platform-error" not in report.outcome("d1").record.codes()

    client.run(_never_starts)
    report = autograde(course, A, learners=["d2"], scheduler=address, progress=False)
    d2 = report.outcome("d2")
    assert d2.status == "not-graded" and d2.score is None  # never a 0 blamed on the learner
    (issue,) = [i for i in d2.record.issues if i.code == "platform-error"]
    assert issue.message.startswith("not marked: platform error")
    assert "could not start" in issue.message and "3 times" in issue.message
    assert not (course.root / "autograded" / "d2").exists()

    client.run(_fixed)  # the platform is fixed
    again = autograde(course, A, scheduler=address, progress=False)  # no --force
    assert [o.learner for o in again.outcomes] == ["d2"] and again.outcome("d2").score == 5


def test_a_worker_without_a_sandbox_refuses_to_run_learners_code(make_course, place, local_cluster):
    """On an academy's cluster, a worker that cannot start bubblewrap runs nothing unsandboxed."""
    course = make_course(["d1"])
    place(course, "d1", "solution")
    client = local_cluster(1)
    client.run(_no_bwrap)
    with pytest.raises(sandbox.SandboxUnavailable) as refused:
        autograde(course, A, scheduler=client.scheduler.address, progress=False)
    message = str(refused.value)
    assert "1 worker(s) cannot start the sandbox" in message and "bubblewrap" in message
    assert "--no-sandbox" in message
    assert not (course.root / "autograded" / "d1").exists()  # nothing was run
    # A worker that loses it after the check (a new one, say) refuses the task itself.
    job = autograde_job(course)
    result = client.submit(execution.run_job, job, pure=False).result()
    assert not result.executed
    (code, message), *_ = result.problems
    assert code == "platform-error" and "cannot start the sandbox" in message


def _no_bwrap() -> None:
    sandbox._bwrap = lambda: None
    sandbox.probe.cache_clear()


def autograde_job(course: Course) -> execution.ExecJob:
    nb = nbformat.read(course.root / "submitted" / "d1" / A / f"{A}.ipynb", 4)
    return execution.ExecJob(
        learner="d1",
        assignment=A,
        notebooks={A: nbformat.writes(nb).encode()},
        files={},
        config={},
        budget=60,
    )


def test_a_failing_course_set_up_cell_is_not_the_learners_zero(tmp_path, monkeypatch):
    synthetic.write_source(tmp_path / "sources")
    path = tmp_path / "sources" / "source" / A / f"{A}.ipynb"
    nb = nbformat.read(path, 4)
    setup = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
    # The course's own set-up, which depends on something outside the learner's control.
    setup.source = (
        "import os\n"
        'assert os.environ.get("QILAB_DATA_SERVICE") != "down", "the data service is down"\n'
        + setup.source
    )
    nbformat.write(nb, path)
    roster = synthetic.write_roster(tmp_path / "roster.csv", ["d1"])
    init_course(tmp_path / "cohort", roster, source=tmp_path / "sources" / "source")
    course = Course.open(tmp_path / "cohort")
    assert not release(course).errors
    released = nbformat.read(course.root / "release" / A / f"{A}.ipynb", 4)
    folder = course.root / "submitted" / "d1" / A
    folder.mkdir(parents=True)
    nbformat.write(synthetic.submission(released, "solution"), folder / f"{A}.ipynb")

    monkeypatch.setenv("QILAB_DATA_SERVICE", "down")
    report = autograde(course, A, workers=1, progress=False)
    outcome = report.outcome("d1")
    assert outcome.status == "not-graded"
    (issue,) = [i for i in outcome.record.issues if i.code == "platform-error"]
    assert "set-up cell #3 failed" in issue.message and "data service is down" in issue.message
    assert "platform error" in str(report)

    monkeypatch.setenv("QILAB_DATA_SERVICE", "up")
    again = autograde(course, A, workers=1, progress=False)  # no --force
    assert again.outcome("d1").score == 5

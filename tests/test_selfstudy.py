"""A doctor studying alone: assignments released on first start, progress after submitting.

Every test works on a throw-away copy of the course (``servers.course_copy``), never on the
checkout's own ``.qilab/`` gradebook or exchange. The browser half is
``test_selfstudy_browser.py``.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from servers import course_copy

from qilab import selfstudy
from qilab.curriculum.progress import default_inbound, progress, submissions_in

BIN = Path(sys.executable).parent


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = course_copy(tmp_path / "course")
    monkeypatch.setenv("QILAB_ROOT", str(root))
    return root


def outbound(root: Path) -> Path:
    return root / ".qilab" / "exchange" / "qilab" / "outbound"


def fake_submission(root: Path, learner: str, assignment: str) -> Path:
    """A submission as nbgrader's submit leaves it in the exchange's inbound folder."""
    folder = root / ".qilab" / "exchange" / "qilab" / "inbound"
    folder /= f"{learner}+{assignment}+2026-12-01 06:30:00.000000 UTC+abc123"
    folder.mkdir(parents=True)
    (folder / f"{assignment}.ipynb").write_text('{"my": "answers"}')
    (folder / "timestamp.txt").write_text("2026-12-01 06:30:00.000000 UTC")
    return folder


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def contents(folder: Path) -> dict[str, bytes]:
    return {name: data for name, (_, data) in snapshot(folder).items()}


@pytest.mark.slow
def test_first_start_releases_every_assignment_once(course, monkeypatch):
    first = selfstudy.release_on_first_start(course)
    every = sorted(p.name for p in (course / "assignments" / "source").iterdir())
    assert sorted(first.released) == every and not first.errors
    assert sorted(p.name for p in outbound(course).iterdir()) == every
    assert "released 12 assignments" in first.message()
    before = snapshot(outbound(course))

    # The second start calls no nbgrader at all (fast), and changes nothing.
    def no_release(*args, **kwargs):
        raise AssertionError("released again")

    monkeypatch.setattr(sys.modules["qilab.grading.release"], "release", no_release)
    again = selfstudy.release_on_first_start(course)
    assert again.released == [] and again.errors == [] and again.message() == ""
    assert snapshot(outbound(course)) == before


@pytest.mark.slow
def test_a_later_start_releases_only_what_is_missing_and_never_touches_submissions(course):
    assert not selfstudy.release_on_first_start(course).errors
    submission = fake_submission(course, "amira", "foundation_measurement")
    submitted = snapshot(submission)
    # A learner's (or tutor's) change to a released assignment must survive: no re-release.
    marker = outbound(course) / "foundation_measurement" / "kept.txt"
    marker.write_text("still here")
    released = snapshot(outbound(course) / "foundation_measurement")
    shutil.rmtree(outbound(course) / "foundation_pdsa")

    again = selfstudy.release_on_first_start(course)
    assert again.released == ["foundation_pdsa"] and not again.errors
    assert snapshot(submission) == submitted
    assert snapshot(outbound(course) / "foundation_measurement") == released


@pytest.mark.slow
def test_a_broken_assignment_gets_one_clear_message_and_the_rest_are_released(course):
    broken = course / "assignments" / "source" / "foundation_pdsa" / "foundation_pdsa.ipynb"
    broken.write_text("{ this is not a notebook")
    result = selfstudy.release_on_first_start(course)
    assert "foundation_pdsa" not in result.released
    assert "foundation_measurement" in result.released
    message = result.message()
    assert "\n" not in message
    assert "could not release" in message and "foundation_pdsa" in message
    assert "git checkout -- assignments/" in message


def test_a_course_on_another_exchange_is_left_to_its_tutor(course, tmp_path):
    config = course / "assignments" / "nbgrader_config.py"
    shared = tmp_path / "shared-exchange"
    config.write_text(config.read_text() + f"\nc.Exchange.root = {str(shared)!r}\n")
    result = selfstudy.release_on_first_start(course)
    assert result.released == [] and not result.errors
    assert "another exchange" in result.message()
    assert not shared.exists() and not outbound(course).exists()


def test_the_assignment_list_fetches_into_a_git_ignored_learner_folder(repo):
    from qilab.grading.course import Course

    config = Course.open(repo / "assignments").config()
    assert Path(config.Exchange.assignment_dir) == repo / "my-work"
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "my-work/foundation_measurement/x.ipynb"], cwd=repo
    )
    assert ignored.returncode == 0, "my-work/ must be git-ignored"


def test_submissions_are_read_by_learner_and_assignment(course):
    fake_submission(course, "amira", "foundation_measurement")
    fake_submission(course, "bilal", "foundation_pdsa")
    # Another learner's name as a prefix is not theirs.
    fake_submission(course, "amira2", "foundation_systems")
    inbound = default_inbound(course)
    assert submissions_in(inbound, "amira") == {"foundation_measurement"}
    assert submissions_in(inbound, "nobody") == set()


def test_progress_reads_the_inbound_folder_the_course_config_names(course):
    checkout = selfstudy.checkout_course(course)
    assert checkout is not None
    assert default_inbound(course) == checkout.exchange_root() / checkout.course_id / "inbound"


def test_progress_says_submitted_awaiting_marking_before_any_mark(course):
    me = getpass.getuser()
    inbound = fake_submission(course, me, "foundation_measurement")
    before = snapshot(inbound)
    result = progress(me)
    module = next(m for m in result.modules if m.module.assignment == "foundation_measurement")
    assert module.status == "submitted, awaiting marking"
    assert result.has_submissions
    assert not result.completed
    others = [m.status for m in result.modules if m is not module]
    assert set(others) == {"not submitted"}
    # A cohort's gradebook (another course) never reads this checkout's exchange.
    assert progress(me, gradebook=course / "elsewhere.db").modules[0].status == "not submitted"
    assert snapshot(inbound) == before  # read-only


@pytest.mark.slow
def test_qilab_progress_cli_says_submitted(course):
    me = getpass.getuser()
    fake_submission(course, me, "foundation_pdsa")
    env = {**os.environ, "QILAB_ROOT": str(course)}
    done = subprocess.run(
        [str(BIN / "qilab"), "progress"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if "foundation_pdsa" in x)
    assert "submitted, awaiting marking" in line
    assert "No submissions yet" not in done.stdout
    csv = subprocess.run(
        [str(BIN / "qilab"), "progress", "--csv"], env=env, capture_output=True, text=True
    )
    assert "submitted, awaiting marking" in csv.stdout


def learner_submits(course: Path, assignment: str, fetch: bool = True) -> Path:
    """The learner's own nbgrader fetch and submit (nbgrader's commands, run from my-work/)."""
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(course / "assignments")}
    work = course / "my-work"
    work.mkdir(exist_ok=True)
    for step in ("fetch_assignment", "submit") if fetch else ("submit",):
        subprocess.run(
            [str(BIN / "nbgrader"), step, assignment, "--course", "qilab"],
            cwd=work,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
    handed_in = sorted(default_inbound(course).glob(f"{getpass.getuser()}+{assignment}+*"))
    return handed_in[-1]  # the latest (nbgrader's timestamps sort as text)


def qilab_progress(course: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "qilab"), "progress", *args],
        env={**os.environ, "QILAB_ROOT": str(course)},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_a_learner_alone_marks_their_own_submission_and_no_one_elses(course):
    assert not selfstudy.release_on_first_start(course).errors
    me = getpass.getuser()
    mine = learner_submits(course, "foundation_measurement")
    # Someone else's submission in the same exchange is not this learner's to mark.
    other = fake_submission(course, "someone-else", "foundation_measurement")
    kept = {"mine": snapshot(mine), "other": snapshot(other)}

    done = qilab_progress(course, "--mark")
    assert done.returncode == 0, done.stderr
    assert "Marked foundation_measurement for " + me in done.stderr, done.stderr
    line = next(x for x in done.stdout.splitlines() if "foundation_measurement" in x)
    assert "%" in line and "submitted" not in line, line  # a mark, from the gradebook
    assert len(list((course / ".qilab" / "exchange" / "qilab" / "feedback").glob("*.html"))) == 1
    assert (course / "assignments" / "autograded" / me / "foundation_measurement").is_dir()
    assert not (course / "assignments" / "submitted" / "someone-else").exists()
    assert {"mine": snapshot(mine), "other": snapshot(other)} == kept

    # Marking again never overwrites the mark already given.
    graded = snapshot(course / "assignments" / "autograded" / me)
    frame = progress(me).to_frame()
    again = qilab_progress(course, "--mark")
    assert again.returncode == 0, again.stderr
    assert "Already marked, kept as they are: foundation_measurement" in again.stderr
    assert snapshot(course / "assignments" / "autograded" / me) == graded
    assert progress(me).to_frame().equals(frame)

    # Submitting again (after reading the feedback) is marked again, as a tutor's run would
    # mark it; the earlier submission is kept, not lost.
    first = snapshot(course / "assignments" / "submitted" / me / "foundation_measurement")
    learner_submits(course, "foundation_measurement", fetch=False)
    third = qilab_progress(course, "--mark")
    assert third.returncode == 0, third.stderr
    assert "Marked foundation_measurement again: you submitted it since" in third.stderr
    kept_at = Path(third.stderr.split("earlier submission is kept at ")[1].split(".\n")[0])
    kept_at = kept_at if kept_at.is_absolute() else course / "assignments" / kept_at
    assert contents(kept_at) == {name: data for name, (_, data) in first.items()}, third.stderr
    assert snapshot(course / "assignments" / "autograded" / me) != graded
    assert not (course / "assignments" / "submitted" / "someone-else").exists()


def test_mark_is_for_your_own_work_only(course):
    done = qilab_progress(course, "--mark", "--learner", "someone-else")
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert done.returncode != 0 and len(lines) == 1, done.stderr
    assert "--mark marks your own work" in lines[0]

"""A doctor studying alone, in a real browser: the first hour with the Assignment List.

``qilab lab`` on a throw-away copy of the course (never the checkout's own ``.qilab/``):
the Foundation assignments are in the Assignment List on first start, fetching puts the
notebook in ``my-work/`` (not loose in the course's root), submitting reaches the exchange, and
``qilab progress`` then says "submitted, awaiting marking"; ``qilab progress --mark`` marks it
and the Assignment List fetches the feedback. A second start releases nothing and leaves the
submission alone. Screenshots go to ``tmp_path`` (or ``$QILAB_SHOTS``).
"""

from __future__ import annotations

import getpass
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from servers import Server, course_copy, qilab_lab

pytestmark = [pytest.mark.slow]

MINUTE = 60_000
BIN = Path(sys.executable).parent
ASSIGNMENT = "foundation_measurement"


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("QILAB_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def inbound(course: Path) -> Path:
    return course / ".qilab" / "exchange" / "qilab" / "inbound"


def listed(server: Server) -> set[tuple[str, str]]:
    """The Assignment List's own view (nbgrader's server extension): (id, status) pairs."""
    with urllib.request.urlopen(server.url("assignments?course_id=qilab")) as response:
        answer = json.load(response)
    assert answer["success"], answer
    return {(a["assignment_id"], a["status"]) for a in answer["value"]}


def wait_for_session(server: Server, path: str, timeout: float = 60) -> bool:
    """True once the server has a notebook session open on ``path`` (what the tab shows)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(server.url("api/sessions")) as response:
            if any(s["path"] == path for s in json.load(response)):
                return True
        time.sleep(0.5)
    return False


def home_cache() -> set[str]:
    """Submissions cached in nbgrader's default place, the user's own Jupyter data folder."""
    from jupyter_core.paths import jupyter_data_dir

    folder = Path(jupyter_data_dir()) / "nbgrader_cache"
    return {str(p) for p in folder.rglob("*")} if folder.is_dir() else set()


def open_assignment_list(tab: object, server: Server) -> None:
    tab.goto(server.url(""))
    tab.wait_for_selector(".jp-Notebook .jp-Cell", timeout=MINUTE)
    tab.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").first.click()
    tab.locator(".lm-Menu-itemLabel", has_text="Assignment List").first.click()


def qilab_progress(course: Path, *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "qilab"), "progress", *args],
        env={**os.environ, "QILAB_ROOT": str(course)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.browser
def test_a_learner_alone_fetches_submits_and_sees_it_in_progress(tmp_path, page):
    course = course_copy(tmp_path / "course")
    folder = shots(tmp_path)
    home_before = home_cache()
    tab = page.page
    with qilab_lab(tmp_path, None, root=course) as server:
        assert "released 12 assignments" in server.output()
        open_assignment_list(tab, server)
        released = tab.locator("#released_assignments_list")
        for name in ("foundation_measurement", "foundation_pdsa", "foundation_systems"):
            released.locator(".list_item", has_text=name).first.wait_for(timeout=MINUTE)
        tab.screenshot(path=str(folder / "assignment-list-released.png"))

        released.locator(".list_item", has_text=ASSIGNMENT).locator("button").click()
        fetched = tab.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT)
        fetched.first.wait_for(timeout=MINUTE)
        work = course / "my-work" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert work.is_file(), sorted(p.name for p in course.iterdir())
        assert not (course / ASSIGNMENT).exists(), "fetched into the course's root"

        # The Assignment List's link opens the fetched notebook from my-work/.
        fetched.first.locator("a.assignment-notebooks-link").click()
        notebook = tab.locator("#fetched_assignments_list .nested_list_item a", has_text=ASSIGNMENT)
        notebook.first.click()
        opened = tab.locator(".lm-TabBar-tab", has_text=f"{ASSIGNMENT}.ipynb")
        opened.first.wait_for(timeout=MINUTE)
        assert wait_for_session(server, f"my-work/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
        tab.screenshot(path=str(folder / "fetched-notebook-open.png"))

        tab.locator(".lm-TabBar-tab", has_text="Assignments").first.click()
        fetched = tab.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT)
        fetched.locator("button", has_text="Submit").first.click()
        submitted = tab.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
        submitted.first.wait_for(timeout=MINUTE)
        # The learner's copy of what they submitted stays with the course, not in ~/.local.
        tab.locator("#submitted_assignments_list .nested_list_item").first.wait_for()
        assert list((course / ".qilab" / "nbgrader_cache" / "qilab").glob(f"*+{ASSIGNMENT}+*"))
        assert home_cache() == home_before
        tab.screenshot(path=str(folder / "assignment-list-submitted.png"))
        assert page.external_requests() == []

    me = getpass.getuser()
    handed_in = sorted(inbound(course).glob(f"{me}+{ASSIGNMENT}+*"))
    assert len(handed_in) == 1, sorted(inbound(course).iterdir())
    line = next(x for x in qilab_progress(course).splitlines() if ASSIGNMENT in x)
    assert "submitted, awaiting marking" in line, line

    # Studying alone, the learner marks their own submission (the tutors' sandboxed path).
    before = {p: p.read_bytes() for p in handed_in[0].rglob("*") if p.is_file()}
    marked = qilab_progress(course, "--mark")
    line = next(x for x in marked.splitlines() if ASSIGNMENT in x)
    assert "%" in line and "submitted" not in line, line

    # A second start releases nothing, leaves the submission exactly as it was, and the
    # Assignment List offers the feedback.
    with qilab_lab(tmp_path / "again", None, root=course) as server:
        assert "released" not in server.output()
        status = listed(server)
        assert {(ASSIGNMENT, "fetched"), ("foundation_pdsa", "released")} <= status, status
        open_assignment_list(tab, server)
        submitted = tab.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
        submitted.locator("button", has_text="Fetch Feedback").first.click()
        view = tab.locator("#submitted_assignments_list a", has_text="view feedback")
        view.first.wait_for(timeout=MINUTE)
        tab.screenshot(path=str(folder / "assignment-list-feedback.png"))
        pages = list((course / "my-work" / ASSIGNMENT / "feedback").rglob(f"{ASSIGNMENT}.html"))
        assert len(pages) == 1, "feedback is fetched into the learner's folder"
    assert {p: p.read_bytes() for p in handed_in[0].rglob("*") if p.is_file()} == before


def test_a_release_failure_is_one_message_and_the_lessons_are_still_served(tmp_path):
    course = course_copy(tmp_path / "course")
    broken = course / "assignments" / "source" / "foundation_pdsa" / "foundation_pdsa.ipynb"
    broken.write_text("{ not a notebook")
    with qilab_lab(tmp_path, None, root=course) as server:
        log = server.output()
        problems = [line for line in log.splitlines() if "foundation_pdsa" in line]
        assert len(problems) == 1, log[-3000:]
        assert "could not release foundation_pdsa" in problems[0]
        assert "Traceback" not in log
        status = listed(server)
        assert (ASSIGNMENT, "released") in status
        assert not [pair for pair in status if pair[0] == "foundation_pdsa"], status

"""A cohort on the real JupyterHub (``qilab hub``), as its people meet it, in headless Chromium.

One hub (JupyterHub, configurable-http-proxy from npm, sandboxed learner servers) serves two
learners and a tutor. Alice fetches the assignment in nbgrader's Assignment List (the Nbgrader
menu), opens it from there, answers and submits it there; Bob attacks (reads Alice's folder
and the course's sources from his kernel, and submits under Alice's name); the tutor
collects, autogrades and returns feedback with QI Lab's pipeline; Alice fetches her feedback
in the Assignment List and opens it from there in JupyterLab. Then the hub restarts and
everyone is still known and still logged in (its database and cookie secret persist in the
state folder).
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import time
from pathlib import Path

import nbformat
import pytest
from hub_helpers import (
    ASSIGNMENT,
    LEARNERS,
    MINUTE,
    TUTOR,
    Hub,
    api,
    course_action,
    make_course,
    outside_requests,
    run_in_kernel,
    running_hub,
    start_log_in,
    wait_for_lab,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from qilab.grading import synthetic

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / ".qilab" / "test-artifacts"
#: The lesson Alice runs: its first chart is a run chart drawn by the offline Vega bundle.
LESSON = "curriculum/foundation/measurement.ipynb"

ATTACK = """
import glob, os, pathlib
targets = {targets!r}
for name, path in targets.items():
    try:
        data = pathlib.Path(path).read_bytes() if os.path.isfile(path) else os.listdir(path)
        print(name, "READ", len(data))
    except OSError as exc:
        print(name, "REFUSED", type(exc).__name__)
# A submission under Alice's name, written where Bob can write: his own inbound folder.
inbound = {inbound!r}
fake = os.path.join(inbound, "alice+{assignment}+2030-01-01 00:00:00.000000 UTC+forged")
os.makedirs(fake, exist_ok=True)
pathlib.Path(fake, "{assignment}.ipynb").write_text(pathlib.Path({forged!r}).read_text())
pathlib.Path(fake, "timestamp.txt").write_text("2030-01-01 00:00:00.000000 UTC")
print("SEES", sorted(os.listdir(inbound)))
"""


def status_bar(page) -> str:
    """What JupyterLab's status bar says: the current notebook, its kernel and its state."""
    return " | ".join(
        " ".join(t.split()) for t in page.locator(".jp-StatusBar-Widget").all_inner_texts()
    )


def lesson_kernel_ready(page, user: str, lesson: str) -> bool:
    """The lesson's kernel is idle with her page connected to it (her server's sessions API).

    JupyterLab drops a Run All clicked before its kernel connection is up, and its toolbar
    reads "idle" before that (tests/test_lab_browser.py), so ask the server.
    """
    status, sessions = api(page, user, "GET", "api/sessions")
    kernels = [s["kernel"] for s in sessions or [] if s["path"] == lesson and s.get("kernel")]
    return (
        status == 200
        and len(kernels) == 1
        and kernels[0]["execution_state"] == "idle"
        and kernels[0]["connections"] > 0
    )


def run_lesson(page, hub: Hub, user: str, lesson: str) -> None:
    """Open a lesson in ``user``'s lab and Run All Cells once she sees it, with its kernel up.

    Opening a lesson's address also brings back the tabs she had open (START.ipynb), and for a
    moment that tab is JupyterLab's current notebook: a Run All clicked then runs START.ipynb,
    not the lesson (what made this step time out in fresh clones: START.ipynb's cells had
    run, the lesson's had not). A learner sees the lesson in front before she clicks; so does
    this test, and it checks that the lesson's own cells started.
    """
    name = lesson.rsplit("/", 1)[1]
    page.goto(f"{hub.base}/user/{user}/lab/tree/{lesson}")
    page.locator(".lm-DockPanel-tabBar .lm-mod-current", has_text=name).wait_for(timeout=MINUTE)
    page.locator("#jp-main-statusbar", has_text=name).wait_for(timeout=MINUTE)
    deadline = time.monotonic() + 2 * MINUTE / 1000
    while not lesson_kernel_ready(page, user, lesson):
        assert time.monotonic() < deadline, f"{lesson}'s kernel: {status_bar(page)!r}"
        time.sleep(0.5)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    lesson_panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    # Its first code cell is queued or run: [*] or [1] (never START.ipynb's, now hidden).
    lesson_panel.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|1)\]")).first.wait_for(
        state="attached", timeout=MINUTE
    )


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"hub-{name}.png"
    page.screenshot(path=str(path))
    return path


def open_assignment_list(page):
    """Open nbgrader's Assignment List as a learner does: Nbgrader menu, Assignment List."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator('li[data-command="nbgrader:open-assignment-list"]').click()
    tab = page.locator(".lm-DockPanel-tabBar .lm-mod-current", has_text="Assignments")
    tab.wait_for(timeout=MINUTE)
    return page.locator(
        ".lm-DockPanel-widget:not(.lm-mod-hidden)", has=page.locator("#released_assignments_list")
    )


def list_rows(panel, name: str, count: int):
    """The ``name`` list's rows (released, fetched, submitted) once it shows ``count``.

    Fails with what the panel says instead (an error or "no assignments") when it does not.
    """
    rows = panel.locator(f"#{name}_assignments_list > .list_item")
    deadline = time.monotonic() + MINUTE / 1000
    while rows.count() != count:
        assert time.monotonic() < deadline, (
            f"the {name} list shows {rows.count()} rows, not {count}: {panel.inner_text()!r}"
        )
        time.sleep(0.25)
    return rows


@pytest.fixture(scope="module")
def hub_course(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("hub")
    return tmp, make_course(tmp)


def test_learners_tutor_exchange_isolation_and_restart(hub_course, browser) -> None:
    tmp, course = hub_course
    state = tmp / "state"
    exchange = course.exchange_root()
    with running_hub(tmp, course, state) as hub:
        # All three log in at once (their servers start side by side, as in a class).
        pages = {user: start_log_in(browser, hub, user) for user in ["alice", "bob", TUTOR]}
        alice, bob, tutor = (wait_for_lab(pages[u], u) for u in ["alice", "bob", TUTOR])

        # Each learner's own JupyterLab opens on their own copy of the course's start page.
        alice.wait_for_selector(".jp-Notebook .jp-Cell", timeout=2 * MINUTE)
        assert "START.ipynb" in alice.locator(".jp-mod-current").first.inner_text()
        shot(alice, "alice-lab")
        assert (state / "users" / "alice" / "curriculum" / "START.ipynb").is_file()

        # A lesson runs in her sandboxed server and its charts draw, offline (Run All, as she
        # would; the last round's blank charts were only seen in a real browser).
        run_lesson(alice, hub, "alice", LESSON)
        chart = alice.locator(".jp-NotebookPanel:not(.lm-mod-hidden) svg.marks").first
        try:
            chart.wait_for(timeout=2 * MINUTE)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"no chart drew in {LESSON}; alice's status bar: {status_bar(alice)!r}; "
                f"her page: {shot(alice, 'alice-lesson-no-chart')}; her server's and "
                f"kernel's log: {hub.kept_log}"
            ) from None
        assert chart.locator("path, circle").count() > 10, "the chart drew no marks"
        output = alice.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output")
        figure = output.filter(has=alice.locator("svg.marks")).first
        figure.scroll_into_view_if_needed()
        figure.screenshot(path=str(SHOTS / "hub-alice-lesson-chart.png"))  # the chart itself

        # Learners have the Assignment List but no tutor tools; the tutor has the Formgrader.
        status, _ = api(alice, "alice", "GET", "formgrader")
        assert status == 404
        status, _ = api(tutor, TUTOR, "GET", "formgrader")
        assert status == 200

        # Alice fetches the assignment from nbgrader's Assignment List (the Nbgrader menu),
        # opens it from there, answers it in her own folder and submits it from the list.
        panel = open_assignment_list(alice)
        released = list_rows(panel, "released", 1)
        assert ASSIGNMENT in released.first.inner_text(), released.first.inner_text()
        shot(alice, "alice-assignments-released")
        released.first.get_by_role("button", name="Fetch").click()
        fetched = list_rows(panel, "fetched", 1)
        # Shows its notebooks (exact: each row's Submit button names the assignment too).
        fetched.first.get_by_role("button", name=ASSIGNMENT, exact=True).click()
        fetched.first.get_by_role("link", name=ASSIGNMENT, exact=True).click()  # opens it
        tab = alice.locator(".lm-DockPanel-tabBar .lm-mod-current", has_text=f"{ASSIGNMENT}.ipynb")
        tab.wait_for(timeout=MINUTE)
        alice.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.wait_for()
        # Her answer is written below instead. JupyterLab may mark the notebook changed as it
        # opens it (it asks to save on closing): she discards, the fetched copy stays as it was.
        tab.locator(".lm-TabBar-tabCloseIcon").click()
        discard = alice.locator(".jp-Dialog").get_by_role("button", name="Discard")
        with contextlib.suppress(PlaywrightTimeoutError):
            discard.click(timeout=3000)
        tab.wait_for(state="detached", timeout=MINUTE)
        path = f"api/contents/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
        status, model = api(alice, "alice", "GET", path)
        assert status == 200, model
        answered = synthetic.submission(nbformat.from_dict(model["content"]), "solution")
        content = json.loads(nbformat.writes(answered))
        body = {"type": "notebook", "format": "json", "content": content}
        status, saved = api(alice, "alice", "PUT", path, body)
        assert status == 200, saved
        alice.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text="Assignments").click()
        list_rows(panel, "fetched", 1).first.get_by_role("button", name="Submit").click()
        submitted_row = list_rows(panel, "submitted", 1).first
        stamp_row = submitted_row.locator(".nested_list_item").first
        stamp_row.wait_for(timeout=MINUTE)
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", stamp_row.inner_text()), (
            stamp_row.inner_text()
        )
        shot(alice, "alice-assignments-submitted")
        # She may still change her answer and submit again (nbgrader keeps the latest).
        assert (
            list_rows(panel, "fetched", 1).first.get_by_role("button", name="Submit").is_enabled()
        )
        submitted = list((exchange / course.course_id / "inbound" / "alice").iterdir())
        assert len(submitted) == 1 and submitted[0].name.startswith(f"alice+{ASSIGNMENT}+")

        # Bob's kernel goes for Alice's work, her submission, the solutions and the hub's files.
        bob_inbound = str(exchange / course.course_id / "inbound")
        targets = {
            "alice-folder": str(state / "users" / "alice"),
            "alice-notebook": str(state / "users" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
            "alice-submission": str(submitted[0]),
            "tutor-source": str(course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"),
            "checkout-course-source": str(REPO / "assignments" / "source"),
            "gradebook": str(course.root / "gradebook.db"),
            "hub-database": str(state / "jupyterhub.sqlite"),
            "hub-cookie-secret": str(state / "jupyterhub_cookie_secret"),
        }
        forged = str(state / "users" / "bob" / "curriculum" / "START.ipynb")
        code = ATTACK.format(
            targets=targets, inbound=bob_inbound, assignment=ASSIGNMENT, forged=forged
        )
        output = run_in_kernel(bob, "bob", code)
        for name in targets:
            assert f"{name} REFUSED" in output, output
        assert "READ" not in output, output
        assert "SEES ['alice+" in output  # only his own folder: Alice's submission is not there
        # The host-side files are all still there: they were hidden, not missing.
        assert all(Path(p).exists() for p in targets.values())

        # The tutor collects (Bob's forgery is refused), autogrades and returns feedback.
        collected = course_action(hub, "collect", ASSIGNMENT)
        assert (course.root / "submitted" / "alice" / ASSIGNMENT).is_dir(), collected
        assert collected.returncode == 1, collected.stdout + collected.stderr  # needs attention
        assert "in bob's own exchange folder but names alice" in collected.stdout, collected
        alice_copy = course.root / "submitted" / "alice" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        assert "run_median" in alice_copy.read_text()  # her answer, not Bob's forgery
        stamp = (alice_copy.parent / "timestamp.txt").read_text()
        assert not stamp.startswith("2030"), stamp
        graded = course_action(hub, "autograde", ASSIGNMENT, "--no-progress")
        assert graded.returncode == 0, graded.stdout + graded.stderr
        # Provisional: the reflection is marked by hand later; the autograded part goes back now.
        returned = course_action(hub, "feedback", ASSIGNMENT, "--provisional")
        assert returned.returncode == 0, returned.stdout + returned.stderr
        assert list((exchange / course.course_id / "feedback" / "alice").glob("*.html"))
        assert not list((exchange / course.course_id / "feedback" / "bob").glob("*.html"))

        # Alice fetches her feedback from the Assignment List and opens it from there.
        refresh = panel.locator("#refresh_assignments_list")
        # Found by its id and title: nbgrader 0.9.6 gives this icon button no accessible name
        # (Chromium's accessibility tree names it ""), so a screen reader cannot say what it is.
        assert refresh.get_attribute("title") == "Refresh assignments list"
        refresh.click()
        submitted_row = list_rows(panel, "submitted", 1).first
        submitted_row.get_by_text("feedback available to fetch").wait_for(timeout=MINUTE)
        submitted_row.get_by_role("button", name="Fetch Feedback").click()
        # "(view feedback)" takes the file browser to her feedback folder. It is an <a> with no
        # href in nbgrader 0.9.6: a mouse can click it, the keyboard cannot reach it.
        view = list_rows(panel, "submitted", 1).first.get_by_text("(view feedback)")
        view.click()
        pages = list((state / "users" / "alice" / ASSIGNMENT / "feedback").glob("*/*.html"))
        assert len(pages) == 1, pages
        listing = alice.locator(".jp-DirListing-item", has_text=pages[0].name)
        listing.dblclick(timeout=MINUTE)
        feedback = alice.frame_locator(".jp-HTMLViewer:not(.lm-mod-hidden) iframe")
        feedback.get_by_text("Score").first.wait_for(timeout=MINUTE)
        text = feedback.locator("body").inner_text()
        shot(alice, "alice-feedback")
        assert ASSIGNMENT in text and "Score" in text
        relative = pages[0].relative_to(state / "users" / "alice").as_posix()

        # Bob cannot open Alice's feedback through her server either.
        status, _ = api(bob, "alice", "GET", f"files/{relative}")
        assert status in {302, 403, 404} or status >= 400

        cookie_secret = (state / "jupyterhub_cookie_secret").read_bytes()
        context = alice.context
        # The IT team reads the hub's log: each request is one line in JupyterHub's own format
        # (not also a second copy in Dask's "date - JupyterHub - INFO - ..." format).
        logins = [line for line in hub.output().splitlines() if "302 POST /hub/login" in line]
        assert len(logins) == 3 and all(line.startswith("[I ") for line in logins), logins
        port = int(hub.base.rsplit(":", 1)[1])

    # Restart: the same database and cookie secret; Alice is still logged in.
    with running_hub(tmp, course, state, port=port) as hub:
        assert (state / "jupyterhub_cookie_secret").read_bytes() == cookie_secret
        with sqlite3.connect(state / "jupyterhub.sqlite") as db:
            names = {row[0] for row in db.execute("SELECT name FROM users")}
        assert {*LEARNERS, TUTOR} <= names
        page = context.new_page()
        page.goto(f"{hub.base}/hub/home")
        page.wait_for_selector("text=alice", timeout=MINUTE)
        assert "/hub/login" not in page.url
        shot(page, "alice-after-restart")
    assert outside_requests() == []  # offline: nothing fetched from the internet

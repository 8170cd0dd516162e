"""The Assignment List and Validate, by keyboard and screen reader, in a real browser.

``qilab lab`` on a throw-away copy of the course. The Assignment List's controls have names a
screen reader can announce (refresh, the course chooser, each row's button names its
assignment); pressing Validate on the fetched, unanswered notebook shows the plain message,
never a traceback; after a submission is marked (``qilab progress --mark``) the "(view
feedback)" link is reached with Tab and opened with Enter, exactly as a click opens it.
Screenshots go to ``tmp_path`` (or ``$QILAB_SHOTS``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from servers import Server, course_copy, qilab_lab

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MINUTE = 60_000
BIN = Path(sys.executable).parent
ASSIGNMENT = "foundation_measurement"


def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("QILAB_SHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_assignment_list(tab: object, server: Server) -> object:
    tab.goto(server.url(""))
    tab.wait_for_selector(".jp-Notebook .jp-Cell", timeout=MINUTE)
    tab.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").first.click()
    tab.locator(".lm-Menu-itemLabel", has_text="Assignment List").first.click()
    panel = tab.locator("#assignments")
    panel.locator("#released_assignments_list .list_item").first.wait_for(timeout=MINUTE)
    return panel


def mark_own_work(course: Path) -> None:
    done = subprocess.run(
        [str(BIN / "qilab"), "progress", "--mark"],
        env={**os.environ, "QILAB_ROOT": str(course)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr


def test_assignment_list_and_validate_work_by_keyboard_in_plain_words(tmp_path, page):
    course = course_copy(tmp_path / "course")
    folder = shots(tmp_path)
    tab = page.page
    with qilab_lab(tmp_path, None, root=course) as server:
        panel = open_assignment_list(tab, server)
        # Names a screen reader announces (the accessible names Chromium computes).
        assert panel.get_by_role("button", name="Refresh the assignment list").count() == 1
        assert panel.get_by_role("button", name="Choose a course").count() == 1
        assert panel.get_by_role("group", name="assignments for course").count() == 1
        fetch = panel.get_by_role("button", name=f"Fetch {ASSIGNMENT}", exact=True)
        assert fetch.count() == 1
        tab.screenshot(path=str(folder / "assignment-list-named.png"))

        fetch.click()
        fetched = panel.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT)
        fetched.first.wait_for(timeout=MINUTE)
        assert panel.get_by_role("button", name=f"Submit {ASSIGNMENT}", exact=True).count() == 1
        fetched.first.locator("a.assignment-notebooks-link").click()
        nested = panel.locator("#fetched_assignments_list .nested_list_item a", has_text=ASSIGNMENT)
        nested.first.click()
        tab.locator(".lm-TabBar-tab", has_text=f"{ASSIGNMENT}.ipynb").first.wait_for(timeout=MINUTE)

        # Validate on the unanswered notebook: the plain message, no traceback.
        notebook_panel = tab.locator(".jp-NotebookPanel:visible")
        notebook_panel.locator(".validate-button button").first.click()
        dialog = tab.locator(".jp-Dialog", has_text="Validation Results")
        dialog.wait_for(timeout=5 * MINUTE)
        message = " ".join(dialog.locator("#validation-message").inner_text().split())
        assert "This check uses `measure_types`" in message, message
        assert "still says `raise NotImplementedError()`" in message, message
        assert "Traceback" not in message and "NameError" not in message, message
        tab.screenshot(path=str(folder / "validate-dialog.png"))
        dialog.get_by_role("button", name="Ok").click()

        tab.locator(".lm-TabBar-tab", has_text="Assignments").first.click()
        panel.get_by_role("button", name=f"Submit {ASSIGNMENT}", exact=True).click()
        submitted = panel.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
        submitted.first.wait_for(timeout=MINUTE)

    mark_own_work(course)

    with qilab_lab(tmp_path / "again", None, root=course) as server:
        panel = open_assignment_list(tab, server)
        feedback = panel.get_by_role("button", name=f"Fetch Feedback {ASSIGNMENT}", exact=True)
        feedback.click()
        link = panel.get_by_role("link", name=f"View feedback for {ASSIGNMENT}")
        link.first.wait_for(timeout=MINUTE)

        # Tab from the refresh button reaches the link (it is in the Tab order).
        panel.get_by_role("button", name="Refresh the assignment list").focus()
        for _ in range(60):
            tab.keyboard.press("Tab")
            if link.first.evaluate("e => e === document.activeElement"):
                break
        else:
            pytest.fail("Tab never reached the (view feedback) link")
        tab.screenshot(path=str(folder / "assignment-list-feedback-focused.png"))

        # Enter does what a click does: the file browser goes to the feedback page.
        tab.keyboard.press("Enter")
        crumbs = tab.locator(".jp-FileBrowser .jp-BreadCrumbs")
        crumbs.filter(has_text="feedback").first.wait_for(timeout=MINUTE)
        listing = tab.locator(".jp-DirListing-itemText", has_text=f"{ASSIGNMENT}.html")
        listing.first.wait_for(timeout=MINUTE)
        tab.screenshot(path=str(folder / "feedback-opened-by-enter.png"))
        assert page.external_requests() == []

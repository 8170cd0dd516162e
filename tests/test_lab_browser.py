"""The main job, seen as a learner sees it: ``qilab lab`` in a real browser, offline."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from servers import Server, course_copy, qilab_lab

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MINUTE = 60_000
#: Waits on the kernel (start-up, imports, first cell): generous, as CI machines can be busy.
KERNEL_WAIT = 3 * MINUTE


def wait_for_connected_kernel(
    server: Server, timeout: float = KERNEL_WAIT / 1000, notebook: str = "START.ipynb"
) -> None:
    """Wait until the notebook's kernel is idle with the browser connected to it.

    JupyterLab drops "Run All" clicked before its kernel connection is up, and its toolbar
    reads "idle" before that, so ask the server.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(server.url("api/sessions")) as response:
            sessions = json.load(response)
        kernels = [s["kernel"] for s in sessions if s["path"].endswith(notebook)]
        if kernels and kernels[0]["execution_state"] == "idle" and kernels[0]["connections"]:
            return
        time.sleep(0.5)
    raise AssertionError(f"the {notebook} kernel did not connect within {timeout:.0f}s")


def run_all_cells(page: object, server: Server) -> None:
    wait_for_connected_kernel(server)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_selector(".jp-InputPrompt:has-text('[1]')", state="attached", timeout=KERNEL_WAIT)


def test_start_page_shows_a_working_slider_and_an_offline_chart(lab_server, page):
    tab = page.page
    tab.goto(lab_server.url(""))  # "/" is where `qilab lab` sends the browser
    tab.wait_for_selector(".jp-Notebook .jp-Cell", timeout=MINUTE)
    assert "START.ipynb" in tab.locator(".jp-mod-current").first.inner_text()

    run_all_cells(tab, lab_server)
    # JupyterLab renders off-screen cells lazily: wait until attached, then scroll to them.
    slider = tab.locator(".widget-slider").first
    slider.wait_for(state="attached", timeout=KERNEL_WAIT)
    slider.scroll_into_view_if_needed()
    chart = tab.locator(".vega-embed canvas, .vega-embed svg").first
    chart.wait_for(timeout=KERNEL_WAIT)
    drawn = tab.locator(".vega-embed").first.inner_text()
    assert "A stable process still varies" in drawn
    assert "Anhøj rules: no signal" in drawn  # the rule set it applied, named on the chart

    # A screen reader names the handle the keyboard moves by the slider's description.
    handle = tab.locator(".widget-slider .noUi-handle").first
    handle.wait_for(state="attached")
    tab.wait_for_function(
        "() => document.querySelector('.widget-slider .noUi-handle')"
        ".getAttribute('aria-label') === 'Variation'",
        timeout=MINUTE,
    )
    assert handle.get_attribute("role") == "slider"

    # A learner drags the slider (here with the keyboard); the chart must redraw.
    before = chart.screenshot()
    tab.locator(".widget-slider .noUi-handle").first.focus()
    for _ in range(6):
        tab.keyboard.press("ArrowRight")
    tab.wait_for_function(
        "() => document.querySelector('.widget-readout').textContent.trim() === '11.00'",
        timeout=MINUTE,
    )
    tab.wait_for_timeout(1500)
    after = tab.locator(".vega-embed canvas, .vega-embed svg").first.screenshot()
    assert before != after, "the chart did not change when the slider moved"

    errors = tab.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    assert page.errors == []
    assert page.external_requests() == []


def nbgrader_menu(page, server) -> set[str]:
    tab = page.page
    tab.goto(server.url(""))
    tab.wait_for_selector(".jp-Notebook .jp-Cell", timeout=MINUTE)
    tab.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").first.click()
    return set(tab.locator(".lm-Menu-itemLabel").all_inner_texts())


def test_learners_get_the_assignment_list_but_no_tutor_tools(lab_server, page):
    items = nbgrader_menu(page, lab_server)
    assert "Assignment List" in items, items
    assert "Formgrader" not in items and "Courses" not in items, items
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(lab_server.url("formgrader"))
    assert refused.value.code == 404
    assert page.external_requests() == []


def test_tutors_get_the_formgrader_with_an_explicit_option(tmp_path, page):
    with qilab_lab(tmp_path, None, "--tutor", root=course_copy(tmp_path / "course")) as server:
        items = nbgrader_menu(page, server)
        assert {"Assignment List", "Formgrader"} <= items, items
        with urllib.request.urlopen(server.url("formgrader")) as response:
            assert response.status == 200


def test_lesson_tabs_say_which_level_they_belong_to(lab_server, page):
    """Four lessons are called measurement.ipynb: their tabs must still be told apart."""
    tab = page.page
    seen = []
    for level in ("foundation", "advanced"):
        tab.goto(lab_server.url(f"lab/tree/curriculum/{level}/measurement.ipynb?reset"))
        tab.wait_for_selector(".jp-Notebook .jp-Cell", timeout=MINUTE)
        # what the tab shows: the level (CSS ::before, from a class per level), then the name
        tab.wait_for_function(
            """() => Array.from(document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tab'))
                .some(t => [...t.classList].some(c => c.startsWith('qilab-folder-')))""",
            timeout=MINUTE,
        )
        seen += tab.evaluate(
            """() => Array.from(
                    document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tabLabel'))
                .map(l => getComputedStyle(l, '::before').content.replace(/^"|"$/g, '')
                          + l.textContent)"""
        )
    assert "foundation/measurement.ipynb" in seen and "advanced/measurement.ipynb" in seen, seen
    # the file itself was not renamed (JupyterLab renames a document whose label changes)
    with urllib.request.urlopen(lab_server.url("api/contents/curriculum/foundation")) as listing:
        names = {item["name"] for item in json.load(listing)["content"]}
    assert "measurement.ipynb" in names


def test_opening_a_lesson_does_not_mark_it_changed(lab_server, page):
    """JupyterLab writes the kernel's language_info into a notebook when its kernel starts,
    which marked every lesson changed ("Save changes?" on closing it untouched, autosave
    rewriting it). Opening is not editing; an edit still is."""
    tab = page.page
    lesson = "curriculum/foundation/pdsa.ipynb"
    tab.goto(lab_server.url(f"lab/tree/{lesson}?reset"))
    tab.wait_for_selector(".jp-Notebook .jp-Cell", timeout=MINUTE)
    wait_for_connected_kernel(lab_server, notebook="pdsa.ipynb")
    tab.wait_for_timeout(3000)  # the kernel's info has arrived and been written by now
    current = tab.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current")
    assert "pdsa.ipynb" in current.inner_text()
    assert "jp-mod-dirty" not in (current.get_attribute("class") or "")
    # A real edit (never saved: the page closes well before autosave) still marks it changed.
    tab.locator(".jp-Notebook .jp-MarkdownCell").first.dblclick()
    tab.keyboard.type("x")
    tab.wait_for_function(
        "() => document.querySelector('.lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-current')"
        ".classList.contains('jp-mod-dirty')",
        timeout=MINUTE,
    )
    assert page.errors == []

"""`qilab cases` as a visitor meets it: real standalone Voila, headless Chromium, offline.

The gallery lists every case; each case opens from a preheated kernel with its charts and
controls drawn, no code, no JavaScript error and no request leaving this machine; moving a
control redraws its chart. A visitor cannot run code through the kernel websocket nor read
files outside the cases folder; errors and runaway cells never show a traceback, and idle
kernels are shut down.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import websocket
import yaml
from servers import Server, qilab_cases

from qilab.cases import load_cases

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CASES = load_cases()
MINUTE = 60_000
PANEL_CALLS = re.compile(r"live\.(show|choice_chart|toggle_chart|slider_chart)\(")
CONTROL_CALLS = re.compile(r"live\.(choice_chart|toggle_chart|slider_chart)\(")


def case_path(slug: str) -> str:
    return f"voila/render/{slug}.ipynb"


def code_of(case) -> str:
    nb = json.loads(case.notebook.read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def wait_until_warm(server: Server, slug: str, timeout: float = 400) -> None:
    """Wait until *slug* has a preheated kernel whose notebook has finished running."""
    deadline = time.monotonic() + timeout
    status = {}
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{server.base}/qilab/status") as response:
            status = json.load(response)["cases"][slug]
        if status["ready"] >= 1:
            return
        time.sleep(1)
    raise AssertionError(f"no preheated kernel for {slug} after {timeout:.0f}s: {status}")


def test_gallery_lists_every_case_and_links_its_app(cases_server, page):
    tab = page.page
    tab.goto(f"{cases_server.base}/")
    cards = tab.locator("li.qilab-case")
    assert cards.count() == len(CASES)
    for case, card in zip(CASES, cards.all(), strict=True):
        assert case.title in card.inner_text()
        assert case.level_label in card.inner_text() and case.module in card.inner_text()
        link = card.locator("a.qilab-case-link")
        assert link.get_attribute("href") == f"/{case_path(case.slug)}"
        assert card.locator("svg.qilab-thumbnail circle").count() > 5
    assert page.errors == []
    assert page.external_requests() == []


def move(control) -> None:
    """Change a control as a visitor would: another menu item, another button, the slider."""
    select = control.locator("select")
    if select.count():
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("s => s.options[s.selectedIndex].text")
        select.select_option(label=next(o for o in options if o != current))
        return
    buttons = control.locator("button:not(.mod-active)")
    if buttons.count():
        buttons.first.click()
        return
    handle = control.locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.slug)
def test_each_case_opens_preheated_with_charts_and_controls_and_redraws(cases_server, page, case):
    try:
        check_case_page(cases_server, page, case)
    except Exception as err:  # show what the server saw: the log says why a page stalled
        tail = "\n".join(cases_server.output().splitlines()[-40:])
        raise AssertionError(f"{err}\n--- qilab cases log (tail) ---\n{tail}") from err


def check_case_page(cases_server: Server, page, case) -> None:
    wait_until_warm(cases_server, case.slug)
    tab = page.page
    tab.goto(f"{cases_server.base}/{case_path(case.slug)}", timeout=2 * MINUTE)
    panels = tab.locator(".qilab-chart-panel")
    expected = len(PANEL_CALLS.findall(code_of(case)))
    tab.wait_for_function(
        f"document.querySelectorAll('.qilab-chart-panel .qilab-chart svg.marks').length "
        f">= {expected}",
        timeout=2 * MINUTE,
    )
    assert panels.count() == expected
    controls = tab.locator(".qilab-case-control")
    assert controls.count() == len(CONTROL_CALLS.findall(code_of(case)))
    if "WinterApp" in code_of(case):
        tab.locator(".qilab-app .qilab-chart svg.marks").first.wait_for(timeout=MINUTE)
    # Every static rendering (qilab.cases.prerender) has given way to its live widget.
    tab.wait_for_function("!document.querySelector('.qilab-prerender')", timeout=MINUTE)
    text = tab.locator("body").inner_text()
    assert "live.setup" not in text and "from qilab" not in text, "no code on the page"
    assert "Traceback" not in text and "could not be shown" not in text
    assert "Illustrative data" in text

    # The first control's own chart must change when the control moves.
    # (Vega redraws into a new <svg>, so compare the chart widget's element, which stays.)
    panel = tab.locator(".qilab-chart-panel:has(.qilab-case-control)").first
    chart = panel.locator(".qilab-chart").first
    chart.scroll_into_view_if_needed()
    before = chart.locator("svg.marks").inner_html()
    move(panel.locator(".qilab-case-control").first)
    tab.wait_for_function(
        "([el, before]) => { const svg = el.querySelector('svg.marks');"
        " return svg !== null && svg.innerHTML !== before; }",
        arg=[chart.element_handle(), before],
        timeout=MINUTE,
    )
    assert panel.locator(".qilab-message").inner_text().strip() == ""

    assert page.errors == []
    assert page.external_requests() == []
    assert re.search(rf"Using pre-heated kernel: \S+ for {case.slug}\.ipynb", cases_server.output())


STATIC_FIRST = "batching-blood-tests"
CELL_OUTPUT = "script[type='application/vnd.voila.cell-output+json']"


def chart_titles(tab, scope: str) -> list[str]:
    return tab.eval_on_selector_all(
        f"{scope} .qilab-chart svg.marks",
        "svgs => svgs.map(s => (s.querySelector('.role-title-text') || {}).textContent"
        " + ' | ' + s.closest('[aria-label]')?.getAttribute('aria-label'))",
    )


def test_a_case_is_read_with_its_charts_before_voilas_front_end_starts(cases_server, browser):
    """A visitor on a slow laptop or network sees the case, its charts and tables at once,
    from the page itself: the server drew the charts, so they show with no JavaScript at all.
    The controls come alive when Voila's front end has started. Shown by switching JavaScript
    off on one visit, and letting it run on another."""
    case = next(c for c in CASES if c.slug == STATIC_FIRST)
    url = f"{cases_server.base}/{case_path(case.slug)}"
    panels = len(PANEL_CALLS.findall(code_of(case)))

    wait_until_warm(cases_server, case.slug)
    blocked = browser.new_context(
        viewport={"width": 1400, "height": 1000}, java_script_enabled=False
    )
    try:
        tab = blocked.new_page()
        tab.goto(url, timeout=2 * MINUTE)
        drawn = tab.locator(".qilab-prerender .qilab-chart svg.marks")
        assert drawn.count() >= panels
        for index in range(drawn.count()):
            chart = drawn.nth(index)
            assert chart.is_visible()
            box = chart.bounding_box()
            assert box["width"] > 300 and box["height"] > 150
            assert chart.locator("[aria-roledescription='line mark'], path").count() > 0
        assert tab.locator(".jp-OutputArea-output .jupyter-widgets").count() == 0, (
            "JavaScript was off: what shows is the page's own rendering"
        )
        text = tab.locator("body").inner_text()
        assert "Illustrative data" in text and "The trade-off for one synthetic day" in text
        assert tab.locator("table.qilab-table").is_visible(), "tables are plain HTML in the page"
        assert "Traceback" not in text and "live.setup" not in text
        slider = tab.locator(".qilab-prerender input[type=range]")
        assert (
            slider.is_disabled() and "loading" in tab.locator(".qilab-prerender").first.inner_text()
        )
        static_titles = chart_titles(tab, ".qilab-prerender")
        # Each chart named by its description, as Vega-Embed names the live one.
        names = [t.split(" | ")[1] for t in static_titles]
        assert all(n not in ("None", "null", "undefined", "Vega visualization") for n in names)
        # What Voila's front end receives has no copy of the static rendering.
        outputs = tab.eval_on_selector_all(CELL_OUTPUT, "els => els.map(e => e.textContent)")
        assert outputs and not any("vnd.qilab.prerender" in o for o in outputs)
    finally:
        blocked.close()

    wait_until_warm(cases_server, case.slug)
    first_chart_at = (
        "new MutationObserver(() => { if (!window.__firstChartAt &&"
        " document.querySelector('.qilab-prerender svg.marks'))"
        " window.__firstChartAt = performance.now(); })"
        ".observe(document, {childList: true, subtree: true});"
    )
    with fresh_tab(browser, first_chart_at) as (tab, errors):
        tab.goto(url, timeout=2 * MINUTE)
        tab.wait_for_function("!document.querySelector('.qilab-prerender')", timeout=2 * MINUTE)
        # The browser drew the page's own charts before it even asked for Voila's front end.
        asked = tab.evaluate(
            "performance.getEntriesByType('resource')"
            ".find(r => r.name.endsWith('/voila.js')).startTime"
        )
        assert tab.evaluate("window.__firstChartAt") <= asked
        # Each chart once, live, visible, and the same chart the page showed before.
        assert chart_titles(tab, ".jp-OutputArea-output") == static_titles
        hidden = tab.eval_on_selector_all(
            ".jp-OutputArea-output",
            "els => els.filter(e => getComputedStyle(e).visibility === 'hidden').length",
        )
        assert hidden == 0
        # The live slider's handle is named for a screen reader (the lab extension's script).
        label = tab.locator(".qilab-case-control .widget-label").first.inner_text().strip()
        assert tab.locator(".noUi-handle").first.get_attribute("aria-label") == label
        # ... and its track keeps a usable length beside a long description.
        assert tab.locator(".qilab-case-control .noUi-target").first.bounding_box()["width"] >= 200
        assert errors == []


@contextmanager
def fresh_tab(browser, init_script: str = "") -> Iterator[tuple[object, list[str]]]:
    """A first visitor's tab (a new browser context), with the page errors it collects."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        if init_script:
            tab.add_init_script(init_script)
        yield tab, errors
    finally:
        context.close()


#: Keeps a page's main thread busy 60 ms in every 80 (as on a loaded computer) until
#: ``window.__calm()``: the page's timers run late.
BUSY_PAGE = """
window.__busy = setInterval(() => { const end = performance.now() + 60;
  while (performance.now() < end) {} }, 20);
window.__calm = () => clearInterval(window.__busy);
"""
VOILA_ASKED = "performance.getEntriesByType('resource').some(r => r.name.endsWith('/voila.js'))"


def test_on_a_busy_computer_the_front_end_waits_for_the_visitor(cases_server, browser):
    """Voila's front end costs a browser seconds of CPU: on a busy computer it starts when the
    visitor reaches for the page (here a key press), not while pages are still arriving. It
    then starts although the page's `load` event is long past (Voila listens for that event
    only once its code has loaded: a late start once left pages "loading…" for ever)."""
    case = next(c for c in CASES if c.slug == STATIC_FIRST)
    wait_until_warm(cases_server, case.slug)
    with fresh_tab(browser, BUSY_PAGE) as (tab, errors):
        tab.goto(f"{cases_server.base}/{case_path(case.slug)}", timeout=2 * MINUTE)
        tab.wait_for_function("document.readyState === 'complete'", timeout=MINUTE)
        assert tab.locator(".qilab-prerender .qilab-chart svg.marks").first.is_visible()
        time.sleep(2)
        assert not tab.evaluate(VOILA_ASKED), "the front end waited while the page was busy"

        pressed = tab.evaluate("performance.now()")
        tab.keyboard.press("Tab")  # still busy: the visitor's key starts it
        tab.wait_for_function(VOILA_ASKED, timeout=MINUTE)
        tab.evaluate("window.__calm()")
        styles_asked = tab.evaluate(
            "performance.getEntriesByType('resource')"
            ".find(r => r.name.includes('/voila-style.js')).startTime"
        )
        assert pressed <= styles_asked < pressed + 1500
        tab.wait_for_function("!document.querySelector('.qilab-prerender')", timeout=2 * MINUTE)
        assert tab.locator(".jp-OutputArea-output .qilab-chart svg.marks").first.is_visible()
        assert errors == []


def test_a_visitor_who_scrolled_while_the_front_end_loaded_stays_where_they_were(
    cases_server, browser
):
    """Voila's front end moves the page's cells into a panel that scrolls on its own: the
    visitor reading halfway down when it started was thrown back to the top."""
    case = next(c for c in CASES if c.slug == STATIC_FIRST)
    wait_until_warm(cases_server, case.slug)
    with fresh_tab(browser, BUSY_PAGE) as (tab, errors):
        tab.goto(f"{cases_server.base}/{case_path(case.slug)}", timeout=2 * MINUTE)
        tab.wait_for_function("document.readyState === 'complete'", timeout=MINUTE)
        assert not tab.evaluate(VOILA_ASKED), "the front end started before the visitor read"
        tab.mouse.wheel(0, 900)  # reading on: this starts the front end
        tab.wait_for_function("window.scrollY >= 890", timeout=MINUTE)
        tab.evaluate("window.__calm()")
        tab.wait_for_function("!document.querySelector('.qilab-prerender')", timeout=2 * MINUTE)
        panel = tab.locator("#rendered_cells")
        assert "lm-Widget" in panel.get_attribute("class"), "the cells moved into Voila's panel"
        scrolled = "Math.max(window.scrollY, document.getElementById('rendered_cells').scrollTop)"
        assert tab.evaluate(scrolled) >= 890
        assert errors == []


def kernel_id_of(server: Server, slug: str) -> str:
    with urllib.request.urlopen(f"{server.base}/{case_path(slug)}", timeout=300) as response:
        page = response.read().decode()
    config = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S
    )
    assert config, "the case page carries its kernel id"
    return json.loads(config.group(1))["kernelId"]


def message(msg_type: str, content: dict, session: str) -> dict:
    return {
        "header": {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "session": session,
            "username": "visitor",
            "version": "5.3",
            "date": "2026-01-01T00:00:00Z",
        },
        "parent_header": {},
        "metadata": {},
        "content": content,
        "channel": "shell",
        "buffers": [],
    }


def replies_to(ws: websocket.WebSocket, msg_id: str, seconds: float) -> list[dict]:
    found, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        ws.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            raw = ws.recv()
        except websocket.WebSocketTimeoutException:
            break
        msg = json.loads(raw) if isinstance(raw, str) else {}
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            found.append(msg)
            if msg["header"]["msg_type"] == "kernel_info_reply":
                break
    return found


def test_code_sent_through_the_kernel_websocket_is_never_run(cases_server, tmp_path):
    kernel_id = kernel_id_of(cases_server, "batching-blood-tests")
    session = uuid.uuid4().hex
    url = f"ws://127.0.0.1:{cases_server.base.rsplit(':', 1)[1]}/api/kernels/{kernel_id}/channels"
    ws = websocket.create_connection(f"{url}?session_id={session}", timeout=30)
    try:
        # The channel works: the kernel answers what Voila allows ...
        info = message("kernel_info_request", {}, session)
        ws.send(json.dumps(info))
        assert any(
            m["header"]["msg_type"] == "kernel_info_reply"
            for m in replies_to(ws, info["header"]["msg_id"], 30)
        ), "no kernel_info_reply: the websocket test would prove nothing"
        # ... and silently drops code.
        marker = tmp_path / "visitor-ran-code"
        code = f"open({str(marker)!r}, 'w').write('ran')"
        execute = message(
            "execute_request",
            {
                "code": code,
                "silent": False,
                "store_history": True,
                "user_expressions": {},
                "allow_stdin": False,
                "stop_on_error": True,
            },
            session,
        )
        ws.send(json.dumps(execute))
        answers = replies_to(ws, execute["header"]["msg_id"], 8)
    finally:
        ws.close()
    assert answers == [], [m["header"]["msg_type"] for m in answers]
    assert not marker.exists()
    assert "execute_request" in cases_server.output(), "Voila logs the refused message"


OUTSIDE = [
    "/voila/files/../../pyproject.toml",
    "/voila/files/%2e%2e/%2e%2e/pyproject.toml",
    "/voila/files/..%2F..%2Fpyproject.toml",
    "/voila/files/cases.yaml",
    "/voila/files/batching-blood-tests.ipynb",
    "/voila/static/../../../../pyproject.toml",
    "/voila/static/..%2F..%2F..%2F..%2Fpyproject.toml",
    "/voila/templates/lab/static/../../../../../../../../pyproject.toml",
    "/voila/render/../../pyproject.toml",
    "/voila/render/..%2F..%2Fpyproject.toml",
    "/voila/render/%2Fetc%2Fpasswd",
    "/voila/tree",
    "/voila/api/contents",
    "/api/contents",
    "/api/contents/cases.yaml",
    "/tree",
    "/lab",
    "/files/pyproject.toml",
    "/api/kernels",
    "/api/sessions",
    "/api/terminals",
]


@pytest.mark.parametrize("path", OUTSIDE)
def test_files_outside_the_cases_folder_and_jupyter_apis_are_refused(cases_server, path):
    host, port = cases_server.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request("GET", path)  # sent as written: no client-side normalising of '..'
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    assert response.status in {400, 403, 404, 405}, (response.status, body[:300])
    assert "[build-system]" not in body and "root:" not in body and "slug:" not in body


def test_no_kernel_can_be_started_by_a_visitor(cases_server):
    request = urllib.request.Request(f"{cases_server.base}/api/kernels", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=30)
    assert err.value.code in {403, 404, 405}


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> None:
    nb = {
        "cells": [
            {
                "cell_type": kind,
                "metadata": {},
                "source": text,
                **({"outputs": [], "execution_count": None} if kind == "code" else {}),
            }
            for kind, text in cells
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def troubled_server(tmp_path_factory):
    """`qilab cases --folder` on a folder with a failing case and a runaway case."""
    folder = tmp_path_factory.mktemp("troubled-cases")
    write_notebook(
        folder / "broken-case.ipynb",
        [
            ("markdown", "# A broken case"),
            ("code", "raise ValueError('SECRET-DETAIL-123 in /etc/passwd')"),
            ("code", "print('AFTER-THE-BROKEN-CELL')"),
        ],
    )
    write_notebook(
        folder / "slow-case.ipynb",
        [
            ("markdown", "# A slow case"),
            ("code", "import time\ntime.sleep(120)"),
            ("code", "print('AFTER-THE-SLOW-CELL')"),
        ],
    )
    thumb = {"dataset": "ward_falls", "x": "month", "y": "falls"}
    common = {
        "level": "foundation",
        "theme": "systems",
        "module": "foundation_systems",
        "summary": "A test case.",
        "thumbnail": thumb,
    }
    (folder / "cases.yaml").write_text(
        yaml.safe_dump(
            {
                "server": {
                    "pool_size": 0,
                    "execution_timeout": 3,
                    "cull_idle_timeout": 10,
                    "cull_interval": 2,
                },
                "cases": [
                    {"slug": "broken-case", "title": "Broken", **common},
                    {"slug": "slow-case", "title": "Slow", **common},
                ],
            }
        )
    )
    with qilab_cases(tmp_path_factory.mktemp("troubled-server"), folder=folder) as server:
        yield server


def fetch(server: Server, path: str) -> tuple[str, float]:
    start = time.monotonic()
    with urllib.request.urlopen(f"{server.base}/{path}", timeout=120) as response:
        return response.read().decode(), time.monotonic() - start


def test_a_failing_cell_shows_a_plain_message_never_its_traceback(troubled_server):
    page, _ = fetch(troubled_server, case_path("broken-case"))
    assert "could not be shown" in page
    for leak in ("SECRET-DETAIL-123", "passwd", "Traceback", "ValueError"):
        assert leak not in page
    assert "SECRET-DETAIL-123" in troubled_server.output(), "the course team finds it in the log"


def test_a_runaway_cell_is_stopped_at_the_time_limit(troubled_server):
    page, seconds = fetch(troubled_server, case_path("slow-case"))
    assert seconds < 60, "the 120 s sleep was not stopped by the 3 s execution timeout"
    assert "AFTER-THE-SLOW-CELL" not in page and "Traceback" not in page
    assert "could not be shown" in page
    assert "Timeout waiting for execute reply (3s)" in troubled_server.output()


def test_idle_kernels_are_culled_even_with_their_page_open(troubled_server):
    """A forgotten tab: the page stays connected, the kernel idles, the culler frees it."""
    kernel_id = kernel_id_of(troubled_server, "broken-case")
    url = f"{troubled_server.base}/api/kernels/{kernel_id}"
    with urllib.request.urlopen(url, timeout=30) as response:
        assert json.load(response)["id"] == kernel_id
    port = troubled_server.base.rsplit(":", 1)[1]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4().hex}",
        timeout=30,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(url, timeout=30).close()
            except urllib.error.HTTPError as err:
                assert err.code == 404
                return
            time.sleep(1)
    finally:
        ws.close()
    raise AssertionError("an idle kernel was still running 90 s after a 10 s idle timeout")

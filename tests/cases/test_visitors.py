"""`qilab cases` under load and attack: kernels freed, bounded, never culled early, nothing leaked.

One real server (standalone Voila, headless Chromium as the visitor) serves a copy of the cases
folder holding one listed case plus two unlisted "canary" notebooks that would write a marker
file if they ever ran. Its settings are small so the limits are reached quickly: one preheated
kernel, at most three live kernels (so two visitors), a 3 s grace after a page closes, a 10 s
idle cull checked every second, and 40 s for a page to connect to its kernel.
"""

from __future__ import annotations

import http.client
import json
import re
import shutil
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
from servers import Server, cases_command, isolated_jupyter_env, running

from qilab.cases import load_cases
from qilab.cases.websocket import VISITOR_MESSAGE
from qilab.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "batching-blood-tests"
OTHER_SLUG = "gp-access-collaborative"
PAGE = f"voila/render/{SLUG}.ipynb"
MAX_KERNELS = 3  # one preheated + two visitors
CHARTS = "document.querySelectorAll('.qilab-chart-panel .qilab-chart svg.marks').length > 0"
#: Charts drawn by Voila's live widgets (the page's own static charts have been swapped out).
LIVE_CHARTS = "document.querySelector('.jp-OutputArea-output .qilab-chart svg.marks') !== null"


def write_canary(path: Path, marker: Path) -> None:
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "source": f"open({str(marker)!r}, 'w').write('an unlisted notebook ran')",
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = next(c for c in load_cases() if c.slug == SLUG)
    out = tmp_path_factory.mktemp("visitor-cases")
    shutil.copy(case.notebook, out / case.notebook.name)
    index = yaml.safe_load((case.folder / "cases.yaml").read_text())
    index["cases"] = [c for c in index["cases"] if c["slug"] == SLUG]
    index["server"] = {
        "pool_size": 1,
        "max_kernels": MAX_KERNELS,
        "leave_grace": 3,
        "connect_timeout": 40,
        "cull_idle_timeout": 10,
        "cull_interval": 1,
        "cull_connected": False,
        "allowed_hosts": ["boardroom.example"],
    }
    (out / "cases.yaml").write_text(yaml.safe_dump(index))
    write_canary(out / "canary.ipynb", out.parent / "CANARY-TOP")
    write_canary(out / "sub" / f"{SLUG}.ipynb", out.parent / "CANARY-SUB")
    return out


@contextmanager
def serving(folder: Path, tmp: Path, *options: str, token: str = "") -> Iterator[Server]:
    """``qilab cases --folder FOLDER`` with the folder's own server settings (a real server's
    refill wait, unlike ``servers.qilab_cases``), and *options*; *token* in the environment."""
    env = isolated_jupyter_env(tmp)
    (tmp / "jupyter-config").mkdir()
    env["JUPYTER_CONFIG_DIR"] = str(tmp / "jupyter-config")
    if token:
        env["QILAB_CASES_TOKEN"] = token
    port = free_port()
    argv = [*cases_command(), "--folder", str(folder), "--port", str(port), "--no-browser"]
    base = f"http://127.0.0.1:{port}"
    log = tmp / "qilab-cases.log"
    with running([*argv, *options], env, log, base, token, "qilab/status") as started:
        yield started


@pytest.fixture(scope="module")
def server(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serving(folder, tmp_path_factory.mktemp("visitor-server")) as started:
        yield started


def status(server: Server) -> dict:
    with urllib.request.urlopen(f"{server.base}/qilab/status", timeout=30) as response:
        return json.load(response)


def wait_for(server: Server, check, seconds: float, what: str) -> dict:
    deadline = time.monotonic() + seconds
    current = status(server)
    while time.monotonic() < deadline:
        current = status(server)
        if check(current):
            return current
        time.sleep(0.5)
    raise AssertionError(f"{what} not within {seconds:.0f}s: {current}")


def settled(server: Server) -> None:
    """The pool is full and no visitor holds a kernel (earlier tests' kernels are gone)."""
    wait_for(
        server,
        lambda s: s["cases"][SLUG]["ready"] == 1 and s["kernels"]["kernels"] == 1,
        300,
        "a settled server (one preheated kernel, no visitors)",
    )


def kernel_alive(server: Server, kernel_id: str) -> bool:
    try:
        with urllib.request.urlopen(f"{server.base}/api/kernels/{kernel_id}", timeout=30):
            return True
    except urllib.error.HTTPError as err:
        assert err.code == 404
        return False


def kernel_of(page_html: str) -> str:
    config = re.search(
        r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page_html, re.S
    )
    assert config, "the case page carries its kernel id"
    return json.loads(config.group(1))["kernelId"]


def ticket_of(page_html: str) -> dict | None:
    """The ticket of a page sent to a visitor while a kernel starts for them (else None)."""
    slot = re.search(r'<script id="qilab-ticket" type="application/json">(.*?)</script>', page_html)
    assert slot, "the case page has its ticket slot"
    return json.loads(slot.group(1))


def leave(server: Server, kernel_id: str) -> None:
    """A page connects to *kernel_id* and closes: its kernel goes after the 3 s grace."""
    ws = websocket.create_connection(
        f"ws://{server.base.removeprefix('http://')}/api/kernels/{kernel_id}/channels"
        f"?session_id={uuid.uuid4().hex}",
        timeout=30,
    )
    ws.close()


def get(server: Server, path: str, host: str | None = None) -> tuple[int, dict, str]:
    hostport = server.base.removeprefix("http://")
    connection = http.client.HTTPConnection(hostport, timeout=120)
    headers = {"Host": f"{host}:{hostport.split(':')[1]}"} if host else {}
    connection.request("GET", "/" + path, headers=headers)
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    return response.status, dict(response.getheaders()), body


def test_a_visitor_who_closes_the_page_frees_their_kernel(server, browser):
    settled(server)
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{server.base}/{PAGE}", timeout=120_000)
    tab.wait_for_function(CHARTS, timeout=120_000)
    assert status(server)["kernels"]["visitors"] == 1
    tab.close()  # no beforeunload: as a crashed tab or a closed laptop lid
    context.close()
    wait_for(
        server,
        lambda s: s["kernels"]["kernels"] == 1 and s["kernels"]["visitors"] == 0,
        30,
        "the kernel count back to the pool size after the visitor left",
    )


def test_voilas_shutdown_call_on_leaving_is_accepted(server, browser):
    settled(server)
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(f"{server.base}/{PAGE}", timeout=120_000)
    tab.wait_for_function(CHARTS, timeout=120_000)
    assert any(c["name"] == "_xsrf" for c in context.cookies()), "the page sets the _xsrf cookie"
    kernel_id = tab.evaluate(
        "JSON.parse(document.getElementById('jupyter-config-data').textContent).kernelId"
    )
    shutdowns = []
    tab.on(
        "requestfinished",
        lambda r: shutdowns.append(r) if "/voila/api/shutdown/" in r.url else None,
    )
    tab.goto(f"{server.base}/", timeout=60_000)  # beforeunload: Voila posts the shutdown
    deadline = time.monotonic() + 10
    while kernel_alive(server, kernel_id) and time.monotonic() < deadline:
        time.sleep(0.2)
    context.close()
    assert not kernel_alive(server, kernel_id)
    assert "'_xsrf' argument missing" not in server.output()
    assert f"Kernel shutdown: {kernel_id}" in server.output()


def test_a_burst_beyond_the_cap_gets_the_busy_page_and_every_admitted_page_its_charts(
    server, browser
):
    settled(server)
    context = browser.new_context()
    tabs = [context.new_page() for _ in range(4)]
    try:
        for tab in tabs:  # set off all four at once: navigation does not wait here
            tab.evaluate(f"window.location.href = {json.dumps(f'{server.base}/{PAGE}')}")
        admitted = busy = 0
        for tab in tabs:
            tab.wait_for_function(
                f"{LIVE_CHARTS} || document.title.startsWith('Busy')",
                timeout=180_000,
                polling=250,
            )
            if tab.title().startswith("Busy"):
                busy += 1
                assert "try again in a minute" in tab.locator("body").inner_text()
            else:
                admitted += 1
                text = tab.locator("body").inner_text()
                assert "Traceback" not in text and "could not be shown" not in text
        assert admitted == MAX_KERNELS - 1 and busy == 2, (admitted, busy)
        code, headers, body = get(server, PAGE)
        assert code == 503 and headers["Retry-After"] == "60" and "busy" in body
    finally:
        context.close()
    wait_for(server, lambda s: s["kernels"]["visitors"] == 0, 30, "the burst's kernels freed")


def test_a_visitor_beyond_the_pool_gets_the_page_at_once_and_a_ticket_that_opens_once(server):
    settled(server)
    _, _, live = get(server, PAGE)  # the first visitor takes the preheated kernel
    first = kernel_of(live)
    code, _, page = get(server, PAGE)  # the pool refills after 3 s of quiet: this one waits
    assert code == 200
    assert kernel_of(page) == "", "a waiting page must not carry another visitor's kernel id"
    assert page.count('class="qilab-chart') == live.count('class="qilab-chart') > 0
    ticket = ticket_of(page)
    assert ticket and first not in page
    try:
        # The cap (two visitors) counts the kernel starting for the waiting visitor.
        assert get(server, PAGE)[0] == 503
        assert get(server, f"{PAGE}?qilab-ticket=forged")[0] == 503, "a forged ticket: no room"
        assert get(server, "qilab/ticket/forged")[0] == 404
        deadline = time.monotonic() + 120
        while not json.loads(get(server, ticket["poll"].lstrip("/"))[2])["ready"]:
            assert time.monotonic() < deadline, "the waiting visitor's kernel never got ready"
            time.sleep(0.5)
        code, _, claimed = get(server, ticket["live"].lstrip("/"))
        second = kernel_of(claimed)
        assert code == 200 and second not in ("", first) and ticket_of(claimed) is None
        assert claimed.count('class="qilab-chart') == live.count('class="qilab-chart')
        # Spent: the same ticket again is a new visit (here: no room), never that kernel.
        code, _, again = get(server, ticket["live"].lstrip("/"))
        assert code == 503 and second not in again
        assert get(server, ticket["poll"].lstrip("/"))[0] == 404
        leave(server, second)
    finally:
        leave(server, first)
    wait_for(server, lambda s: s["kernels"]["visitors"] == 0, 60, "both visitors' kernels freed")


def test_a_waiting_page_closed_before_its_kernel_is_claimed_frees_it(server):
    settled(server)
    _, _, live = get(server, PAGE)
    _, _, page = get(server, PAGE)
    assert ticket_of(page), "the second visitor was sent a waiting page"
    leave(server, kernel_of(live))
    # The waiting page never asks about its ticket (closed at once): after the 3 s grace the
    # ticket is dropped and the kernel started for it shut down.
    wait_for(
        server,
        lambda s: s["kernels"]["visitors"] == 0 and s["kernels"]["waiting"] == 0,
        60,
        "the closed waiting page's kernel freed",
    )
    assert "its waiting page stopped asking for it" in server.output()


@pytest.fixture(scope="module")
def two_case_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Two listed cases, a pool of one each, room for two visitors (4 kernels at most)."""
    cases = [c for c in load_cases() if c.slug in (SLUG, OTHER_SLUG)]
    out = tmp_path_factory.mktemp("two-cases")
    for case in cases:
        shutil.copy(case.notebook, out / case.notebook.name)
    index = yaml.safe_load((cases[0].folder / "cases.yaml").read_text())
    index["cases"] = [c for c in index["cases"] if c["slug"] in (SLUG, OTHER_SLUG)]
    index["server"] = {"pool_size": 1, "max_kernels": 4, "leave_grace": 3}
    (out / "cases.yaml").write_text(yaml.safe_dump(index))
    with serving(out, tmp_path_factory.mktemp("two-case-server")) as started:
        yield started


def test_a_ticket_opens_only_its_own_case_and_no_argument_takes_its_kernel_out_of_the_pool(
    two_case_server,
):
    """Found by attack: a ticket held for one case skipped admission for every other case
    (unlimited kernels), and ``?template=`` with a ticket left its kernel in the pool for
    good (a pool that only grew)."""
    server = two_case_server
    other = f"voila/render/{OTHER_SLUG}.ipynb"
    wait_for(
        server,
        lambda s: s["cases"][SLUG]["ready"] == 1 and s["cases"][OTHER_SLUG]["ready"] == 1,
        300,
        "both pools ready",
    )
    _, _, live = get(server, PAGE)
    _, _, page = get(server, PAGE)
    ticket = ticket_of(page)
    assert ticket, "the second visitor waits"
    spent = ticket["live"].split("qilab-ticket=")[1]
    try:
        # Two visitors (one live, one waiting): the cap is reached, for either case.
        assert get(server, f"{other}?qilab-ticket={spent}")[0] == 503
        deadline = time.monotonic() + 120
        while not json.loads(get(server, ticket["poll"].lstrip("/"))[2])["ready"]:
            assert time.monotonic() < deadline, "the waiting visitor's kernel never got ready"
            time.sleep(0.5)
        code, _, claimed = get(server, f"{PAGE}?template=lab&theme=dark&qilab-ticket={spent}")
        assert code == 200 and kernel_of(claimed) not in ("", kernel_of(live))
        assert 'data-jp-theme-name="JupyterLab Light"' in claimed, "the theme stays the case's"
        status = wait_for(
            server, lambda s: s["kernels"]["preparing"] == 0, 30, "the request finished"
        )
        assert status["kernels"]["visitors"] == 2 and status["kernels"]["kernels"] <= 4, status
        assert status["cases"][SLUG]["ready"] + status["cases"][SLUG]["starting"] <= 1, status
        leave(server, kernel_of(claimed))
    finally:
        leave(server, kernel_of(live))
    wait_for(
        server,
        lambda s: s["kernels"]["visitors"] == 0 and s["kernels"]["kernels"] == 2,
        60,
        "back to the two pools",
    )


#: Run in every document of a tab: what each page was when it arrived (kept across reloads),
#: and a visitor who scrolls down a waiting page at once.
NOTE_EACH_PAGE = """
document.addEventListener("DOMContentLoaded", () => {
  const config = document.getElementById("jupyter-config-data");
  const pages = JSON.parse(sessionStorage.getItem("pages") || "[]");
  pages.push({
    kernel: config ? JSON.parse(config.textContent).kernelId : null,
    charts: document.querySelectorAll(".qilab-chart svg.marks").length,
  });
  sessionStorage.setItem("pages", JSON.stringify(pages));
  if (pages.length === 1) window.scrollTo(0, 600);
});
"""


def test_a_waiting_page_shows_its_charts_then_comes_alive_where_the_visitor_was(server, browser):
    settled(server)
    _, _, live = get(server, PAGE)  # someone else has just taken the preheated kernel
    context = browser.new_context()
    context.add_init_script(NOTE_EACH_PAGE)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    asked: list[str] = []
    tab.on("request", lambda r: asked.append(r.url) if "/qilab/ticket/" in r.url else None)
    documents: list[str] = []
    tab.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)
    try:
        tab.goto(f"{server.base}/{PAGE}", timeout=120_000)
        tab.wait_for_function(LIVE_CHARTS, timeout=120_000)
        pages = tab.evaluate("JSON.parse(sessionStorage.getItem('pages'))")
        assert len(pages) == 2, pages
        waited, alive = pages
        assert waited["kernel"] == "" and waited["charts"] > 0
        assert alive["kernel"] not in ("", kernel_of(live)) and alive["charts"] > 0
        assert len(documents) == 2 and "?qilab-ticket=" in documents[1], documents
        assert asked, "the waiting page asked whether its kernel was ready"
        assert tab.evaluate("location.search") == "", "the spent ticket stays in the address"
        # Voila's front end scrolls its own panel of the page's cells, no longer the window.
        scrolled = "Math.max(window.scrollY, document.getElementById('rendered_cells').scrollTop)"
        tab.wait_for_function(f"{scrolled} >= 590", timeout=10_000)  # not back at the top
        tab.locator(
            ".widget-slider, .widget-dropdown select, .widget-toggle-button"
        ).first.wait_for(timeout=60_000)
        assert not errors, errors
    finally:
        context.close()
        leave(server, kernel_of(live))
    wait_for(server, lambda s: s["kernels"]["visitors"] == 0, 60, "both visitors' kernels freed")


def test_a_waiting_page_told_anything_but_its_answer_visits_again(server, browser):
    """Found by attack: after a restart of a server with a token, the ticket question got the
    login page, and the waiting page asked again every 2 s for ever, never coming alive."""
    settled(server)
    _, _, live = get(server, PAGE)  # someone else has just taken the preheated kernel
    context = browser.new_context()
    tab = context.new_page()
    documents: list[str] = []
    tab.on("request", lambda r: documents.append(r.url) if r.resource_type == "document" else None)
    login = "<!doctype html><title>Log in</title>"
    tab.route(
        "**/qilab/ticket/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body=login),
    )
    try:
        tab.goto(f"{server.base}/{PAGE}", timeout=120_000)
        deadline = time.monotonic() + 30
        while len(documents) < 2:
            assert time.monotonic() < deadline, "the waiting page kept asking"
            tab.wait_for_timeout(250)
        assert documents[1] == f"{server.base}/{PAGE}", documents
    finally:
        context.close()
        leave(server, kernel_of(live))
    wait_for(server, lambda s: s["kernels"]["visitors"] == 0, 60, "the visitors' kernels freed")


def test_pooled_kernels_are_never_culled_and_a_handed_out_one_waits_for_its_page(server):
    settled(server)
    time.sleep(13)  # the pooled kernel is now idle for longer than the 10 s cull timeout
    assert status(server)["cases"][SLUG]["ready"] == 1, "the pooled kernel was culled"
    _, _, page_html = get(server, PAGE)  # handed out, but no page script connects yet
    kernel_id = kernel_of(page_html)
    time.sleep(8)  # eight cull checks later
    assert kernel_alive(server, kernel_id), "a handed-out kernel was culled before its page"
    ws = websocket.create_connection(
        f"ws://{server.base.removeprefix('http://')}/api/kernels/{kernel_id}/channels"
        f"?session_id={uuid.uuid4().hex}",
        timeout=30,
    )
    ws.close()  # the page came and went: now the kernel goes
    deadline = time.monotonic() + 30
    while kernel_alive(server, kernel_id) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not kernel_alive(server, kernel_id)


def test_an_unlisted_notebook_never_runs(server, folder):
    settled(server)
    for path in ("voila/render/canary.ipynb", f"voila/render/sub/{SLUG}.ipynb"):
        code, _, _ = get(server, path)
        assert code == 404, path
    time.sleep(3)
    assert not (folder.parent / "CANARY-TOP").exists(), "canary.ipynb ran"
    assert not (folder.parent / "CANARY-SUB").exists(), f"sub/{SLUG}.ipynb ran"
    log = server.output()
    assert f"Kernel pool of {SLUG}.ipynb is filled" in log
    assert not re.search(r"pool of (canary|sub/)", log), "Voila preheated an unlisted notebook"
    assert "Uncaught exception" not in log


def test_a_crafted_comm_message_gets_no_traceback(server):
    settled(server)
    _, _, page_html = get(server, PAGE)
    kernel_id = kernel_of(page_html)
    widget = re.search(r'"model_id": "([0-9a-f]{32})"', page_html).group(1)
    session = uuid.uuid4().hex
    ws = websocket.create_connection(
        f"ws://{server.base.removeprefix('http://')}/api/kernels/{kernel_id}/channels"
        f"?session_id={session}",
        timeout=30,
    )

    def message(msg_type: str, content: dict) -> str:
        header = {
            "msg_id": uuid.uuid4().hex,
            "msg_type": msg_type,
            "session": session,
            "username": "visitor",
            "version": "5.3",
            "date": "2026-01-01T00:00:00Z",
        }
        msg = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        return json.dumps({**msg, "channel": "shell", "buffers": []})

    received = []
    try:
        state = {"method": "update", "state": {"layout": 12345}, "buffer_paths": []}
        ws.send(message("comm_msg", {"comm_id": widget, "data": state}))
        bogus = {"state": {"_model_name": "NoSuchModel", "_model_module": "x"}}
        comm = {"comm_id": uuid.uuid4().hex, "target_name": "jupyter.widget", "data": bogus}
        ws.send(message("comm_open", comm))
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            ws.settimeout(1)
            try:
                received.append(json.loads(ws.recv()))
            except websocket.WebSocketTimeoutException:
                continue
    finally:
        ws.close()
    errors = [m for m in received if m["header"]["msg_type"] == "error"]
    assert errors, "the crafted update made no error: the test would prove nothing"
    assert all(m["content"]["evalue"] == VISITOR_MESSAGE for m in errors)
    text = json.dumps(received)
    for leak in ("Traceback", "TraitError", "site-packages", "/work/", "ipykernel", ".py"):
        assert leak not in text, leak
    log = server.output()
    assert "Kept from the visitor" in log and "TraitError" in log, "the detail is in the log"


@pytest.mark.parametrize(
    "path",
    [
        "",
        PAGE,
        "qilab/status",
        "qilab/ticket/forged",
        "voila/static/voila.js",
        f"api/kernels/{uuid.UUID(int=1)}/channels",
    ],
)
def test_a_request_for_another_host_name_is_refused(server, path):
    code, _, body = get(server, path, host="rebind.attacker.example")
    assert code == 403, (path, code)
    assert "slug" not in body and "kernel" not in body.lower()


def test_configured_host_names_are_accepted(server):
    for host in ("localhost", "127.0.0.1", "boardroom.example"):
        code, _, _ = get(server, "", host=host)
        assert code == 200, host


def test_logout_is_a_plain_page(server):
    code, _, body = get(server, "logout")
    assert code == 200 and "Signed out" in body


@pytest.fixture(scope="module")
def shared_server(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`qilab cases --ip 0.0.0.0` with an access token (from the environment), no preheating."""
    tmp = tmp_path_factory.mktemp("shared-server")
    options = ("--ip", "0.0.0.0", "--pool-size", "0")
    with serving(folder, tmp, *options, token=uuid.uuid4().hex) as started:
        yield started


def test_serving_to_the_network_warns_and_asks_visitors_for_the_token(shared_server):
    log = shared_server.output()
    assert "WARNING: --ip 0.0.0.0 serves the case studies to every computer" in log
    assert "--allow-host" in log
    for path in ("", PAGE, "qilab/status"):
        code, headers, body = get(shared_server, path)
        assert code in {302, 403}, (path, code)
        assert code == 403 or "/login" in headers["Location"]
        assert "slug" not in body and "kernelId" not in body
    code, _, body = get(shared_server, "login")
    assert code == 200 and "token" in body.lower()
    with urllib.request.urlopen(shared_server.url(""), timeout=60) as response:
        assert response.status == 200 and "QI Lab case studies" in response.read().decode()
    assert shared_server.token not in get(shared_server, "")[2]


def test_help_says_what_exposing_the_server_means():
    import subprocess

    done = subprocess.run(
        [*cases_command(), "--help"], capture_output=True, text=True, timeout=60, check=True
    )
    text = " ".join(done.stdout.split())
    for needed in ("--ip 0.0.0.0", "trust", "--allow-host", "--token", "QILAB_CASES_TOKEN"):
        assert needed in text, needed
    assert "plain HTTP" in text and "busy" in text

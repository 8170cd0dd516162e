"""Drive a real ``qilab hub`` (JupyterHub + configurable-http-proxy) from tests.

The hub runs as a subprocess on free localhost ports, in a throw-away state folder, over a
synthetic course (:mod:`qilab.grading.synthetic`). People log in with Chromium; what is not
about the page (fetching, saving a notebook, running code in a kernel) goes through the single-
user server's own REST and WebSocket APIs *from inside the logged-in page*, so it carries exactly
the person's cookies and nothing more.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qilab.grading import synthetic
from qilab.grading.course import Course, init_course
from qilab.grading.release import release

from qilab.ports import free_port

BIN = Path(sys.executable).parent
PASSWORD = "course-password-for-tests"
LEARNERS = ["alice", "bob"]
TUTOR = "tutor"
ASSIGNMENT = synthetic.ASSIGNMENT
MINUTE = 60_000
#: Where each hub's log (the hub, the proxy, every single-user server and its kernels) is kept
#: once the hub stops: the test's temporary folder may be gone when someone reads a failure.
LOGS = Path(__file__).resolve().parent.parent / ".qilab" / "test-artifacts" / "hub-logs"
#: Every URL the people's pages requested (nothing may leave this machine).
REQUESTS: list[str] = []


def outside_requests() -> list[str]:
    """Requests that left this machine (data:, blob: and about: URLs never do)."""
    return [
        url
        for url in REQUESTS
        if urllib.parse.urlsplit(url).scheme not in {"data", "blob", "about"}
        and urllib.parse.urlsplit(url).hostname not in {"127.0.0.1", "localhost", "::1"}
    ]


@dataclass
class Hub:
    base: str
    state: Path
    course: Course
    process: subprocess.Popen[str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    @property
    def kept_log(self) -> Path:
        """Where :func:`running_hub` copies :attr:`log` when the hub stops."""
        return LOGS / self.log.name


def make_course(tmp: Path, db_url: str | None = None) -> Course:
    """A released synthetic course whose exchange is private to the hub (its gradebook SQLite
    in the course folder, or the PostgreSQL database ``db_url``)."""
    synthetic.write_source(tmp / "sources")
    roster = synthetic.write_roster(tmp / "roster.csv", LEARNERS)
    source = tmp / "sources" / "source"
    init_course(tmp / "course", roster, db_url=db_url, source=source, exchange=tmp / "exchange")
    course = Course.open(tmp / "course")
    result = release(course)
    assert not result.errors, result
    return course


def wait_for_hub(hub: Hub, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if hub.process.poll() is not None:
            raise RuntimeError(f"the hub exited early:\n{hub.output()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{hub.base}/hub/api", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the hub was not up after {timeout:.0f}s:\n{hub.output()[-4000:]}")


@contextmanager
def running_hub(
    tmp: Path, course: Course, state: Path, port: int | None = None, extra: tuple[str, ...] = ()
) -> Iterator[Hub]:
    """``qilab hub`` (with ``extra`` options) until the block ends; then everything stops."""
    port = port or free_port()
    env = {**os.environ, "QILAB_HUB_PASSWORD": PASSWORD}
    argv = [str(BIN / "qilab"), "hub", "-C", str(course.root), "--state", str(state)]
    argv += ["--tutor", TUTOR, "--port", str(port), *extra]
    log = tmp / f"hub-{int(time.time() * 1000)}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
    hub = Hub(f"http://127.0.0.1:{port}", state, course, process, log)
    try:
        wait_for_hub(hub)
        yield hub
    finally:
        stop_hub(hub)
        LOGS.mkdir(parents=True, exist_ok=True)
        shutil.copy(log, hub.kept_log)


def stop_hub(hub: Hub) -> None:
    """Stop the hub, then whatever it started (proxy, single-user servers) in its session."""
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hub.process.kill()
    # The proxy and servers were started in the hub's process group; end any left over.
    try:
        os.killpg(hub.process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    except PermissionError:
        pass


def start_log_in(browser: Any, hub: Hub, user: str, password: str = PASSWORD) -> Any:
    """A new browser context logging in as ``user`` (the hub starts their server)."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.on("request", lambda request: REQUESTS.append(request.url))
    page.goto(f"{hub.base}/hub/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")
    page.wait_for_url(lambda url: "/hub/spawn" in url or f"/user/{user}/" in url, timeout=MINUTE)
    return page


def wait_for_lab(page: Any, user: str) -> Any:
    """Wait until ``user``'s JupyterLab has opened in ``page``."""
    page.wait_for_url(f"**/user/{user}/lab**", timeout=3 * MINUTE)
    page.wait_for_selector(".jp-LabShell", timeout=2 * MINUTE)
    return page


def log_in(browser: Any, hub: Hub, user: str, password: str = PASSWORD) -> Any:
    """A new browser context logged in as ``user``; its page shows their JupyterLab."""
    return wait_for_lab(start_log_in(browser, hub, user, password), user)


FETCH_JS = """async ([method, url, body]) => {
  const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || "";
  const init = {method, headers: {"X-XSRFToken": decodeURIComponent(xsrf)}};
  if (body !== null) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(url, init);
  const text = await response.text();
  return [response.status, text];
}"""


def api(page: Any, user: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    """Call ``user``'s own server (``/user/USER/PATH``) from their page, as JupyterLab does."""
    status, text = page.evaluate(FETCH_JS, [method, f"/user/{user}/{path.lstrip('/')}", body])
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


RUN_JS = """async ([user, kernelId, code]) => {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const path = `/user/${user}/api/kernels/${kernelId}/channels`;
  const ws = new WebSocket(`${proto}//${location.host}${path}`);
  const msgId = crypto.randomUUID();
  return await new Promise((resolve, reject) => {
    const out = [];
    const timer = setTimeout(() => reject(new Error("no reply: " + out.join(""))), 60000);
    ws.onerror = (e) => reject(new Error("websocket error"));
    ws.onopen = () => ws.send(JSON.stringify({
      header: {msg_id: msgId, msg_type: "execute_request", username: user, session: msgId,
               version: "5.3", date: new Date().toISOString()},
      parent_header: {}, metadata: {}, channel: "shell", buffers: [],
      content: {code, silent: false, store_history: false, user_expressions: {},
                allow_stdin: false, stop_on_error: true}}));
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.parent_header.msg_id !== msgId) return;
      if (msg.msg_type === "stream") out.push(msg.content.text);
      if (msg.msg_type === "error") out.push(msg.content.ename + ": " + msg.content.evalue);
      if (msg.msg_type === "status" && msg.content.execution_state === "idle") {
        clearTimeout(timer); ws.close(); resolve(out.join(""));
      }
    };
  });
}"""


def course_action(hub: Hub, *words: str) -> subprocess.CompletedProcess[str]:
    """The tutor's ``qilab course`` command, on the course the hub serves."""
    argv = [str(BIN / "qilab"), "course", *words, "-C", str(hub.course.root)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=600)


def run_in_kernel(page: Any, user: str, code: str) -> str:
    """Start a kernel in ``user``'s server and run ``code`` there; its printed output."""
    status, kernel = api(page, user, "POST", "api/kernels", {"name": "python3"})
    assert status == 201, (status, kernel)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # the kernel answers once it has started
            try:
                return str(page.evaluate(RUN_JS, [user, kernel["id"], code]))
            except Exception as exc:  # a kernel still starting drops the first connection
                last = exc
                time.sleep(1)
        raise AssertionError(f"could not run code in {user}'s kernel: {last}")
    finally:
        api(page, user, "DELETE", f"api/kernels/{kernel['id']}")

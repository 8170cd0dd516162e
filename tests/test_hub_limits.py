"""``qilab hub`` on a shared VM: per-learner memory and process caps, and the idle culler.

Real JupyterHub, real proxy, real sandboxed learner servers; people log in with their password
and then drive their own server through the hub's REST API and the kernel's WebSocket (no
browser needed). The attacks are bounded, so that a cap that failed fails the test without
taking this shared machine: the memory bomb stops at 3 GiB, the fork bomb at 256 processes.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psutil
import pytest
import requests
from hub_helpers import PASSWORD, Hub, make_course, running_hub
from qilab.grading import sandbox
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

pytestmark = pytest.mark.slow

MEMORY_MB = 512
MAX_PROCESSES = 128
CPU_LIMIT = 0.5
CULL_IDLE = 20


@pytest.fixture(autouse=True, scope="module")
def _sandbox_present() -> None:
    """The hub refuses to start learners without bubblewrap, which make.py installs: its
    absence is a broken set-up, reported as such, never a quiet skip."""
    problem = sandbox.probe()
    if problem is not None:
        pytest.fail(f"learners' sandbox unavailable ({problem}): run `python3 make.py test`")


class Person:
    """One person logged in with their password, holding an API token of their own."""

    def __init__(self, hub: Hub, name: str) -> None:
        self.hub, self.name = hub, name
        web = requests.Session()
        web.get(f"{hub.base}/hub/login", timeout=30)
        form = {"username": name, "password": PASSWORD, "_xsrf": web.cookies["_xsrf"]}
        done = web.post(f"{hub.base}/hub/login", data=form, allow_redirects=False, timeout=30)
        assert done.status_code == 302, (done.status_code, done.text[:500])
        done = web.post(
            f"{hub.base}/hub/api/users/{name}/tokens",
            json={"note": "test", "expires_in": 3600},
            headers={"X-XSRFToken": web.cookies["_xsrf"]},
            timeout=30,
        )
        assert done.status_code == 201, (done.status_code, done.text[:500])
        self.auth = {"Authorization": f"token {done.json()['token']}"}

    def hub_api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.hub.base}/hub/api/{path}"
        return requests.request(method, url, headers=self.auth, timeout=60, **kwargs)

    def server_api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = f"{self.hub.base}/user/{self.name}/api/{path}"
        return requests.request(method, url, headers=self.auth, timeout=60, **kwargs)

    def servers(self) -> dict[str, Any]:
        return dict(self.hub_api("GET", f"users/{self.name}").json().get("servers") or {})

    def start(self, timeout: float = 180) -> None:
        """Start their server (as their log-in does) and wait until it answers."""
        done = self.hub_api("POST", f"users/{self.name}/server")
        assert done.status_code in (201, 202, 400), done.text  # 400: already running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.servers().get("", {}).get("ready"):
                return
            time.sleep(1)
        raise AssertionError(f"{self.name}'s server did not start:\n{self.hub.output()[-3000:]}")

    def kernel(self) -> str:
        done = self.server_api("POST", "kernels", json={"name": "python3"})
        assert done.status_code == 201, done.text
        return str(done.json()["id"])

    def stop_kernels(self) -> None:
        """Shut down every kernel of theirs (the next test starts from a quiet server)."""
        for kernel in self.server_api("GET", "kernels").json():
            self.server_api("DELETE", f"kernels/{kernel['id']}")

    def run(self, kernel: str, code: str, timeout: float = 90) -> tuple[str, str]:
        """Run ``code``; (its output, how it ended: "idle", "restarting" or "dead")."""
        # In a thread of its own: in the full suite Playwright's loop already runs in this one.
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, self._run(kernel, code, timeout)).result()

    async def _run(self, kernel: str, code: str, timeout: float) -> tuple[str, str]:
        url = self.hub.base.replace("http", "ws", 1)
        url += f"/user/{self.name}/api/kernels/{kernel}/channels"
        deadline = time.monotonic() + timeout
        while True:  # a kernel still starting may drop the first connection
            try:
                ws = await websocket_connect(HTTPRequest(url, headers=self.auth))
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(1)
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": self.name}
        header |= {"session": msg_id, "version": "5.3", "date": ""}
        content = {"code": code, "silent": False, "store_history": False}
        content |= {"user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        message = {"header": header, "parent_header": {}, "metadata": {}, "content": content}
        await ws.write_message(json.dumps({**message, "channel": "shell", "buffers": []}))
        out: list[str] = []
        try:
            while True:
                left = deadline - time.monotonic()
                raw = await asyncio.wait_for(ws.read_message(), timeout=max(left, 0.1))
                if raw is None:
                    return "".join(out), "closed"
                msg = json.loads(raw)
                state = msg.get("content", {}).get("execution_state")
                if msg["msg_type"] == "status" and state in ("restarting", "dead"):
                    return "".join(out), state  # the kernel died (the server restarts it)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")
                elif msg["msg_type"] == "status" and state == "idle":
                    return "".join(out), "idle"
        finally:
            ws.close()


def wait_for_log(hub: Hub, pattern: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.search(pattern, hub.output())
        if found:
            return found.group(0)
        time.sleep(1)
    raise AssertionError(f"no {pattern!r} in the hub's log:\n{hub.output()[-4000:]}")


def server_processes(hub: Hub, user: str) -> list[psutil.Process]:
    """``user``'s single-user server on this hub (other hubs may run on this machine)."""
    home = f"--ServerApp.root_dir={hub.state.resolve()}/users/{user}"
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if home in (proc.info["cmdline"] or []):
            found.append(proc)
    return found


@pytest.fixture(scope="module")
def capped_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    tmp = tmp_path_factory.mktemp("hub-limits")
    course = make_course(tmp)
    extra = (
        *("--memory-limit", str(MEMORY_MB), "--max-processes", str(MAX_PROCESSES)),
        *("--cpu-limit", str(CPU_LIMIT)),
    )
    with running_hub(tmp, course, tmp / "state", extra=(*extra, "--cull-idle", "0")) as hub:
        yield hub


MEMORY_BOMB = """
chunks = []
for i in range(96):  # 32 MiB at a time, each byte written, up to 3 GiB: far past the cap
    chunks.append(bytes([i % 251 + 1]) * (32 * 1024 * 1024))
print("allocated", len(chunks) * 32, "MiB")
"""


def test_a_memory_bomb_stops_only_its_own_learners_kernel(capped_hub):
    alice, bob = Person(capped_hub, "alice"), Person(capped_hub, "bob")
    alice.start()
    bob.start()
    wait_for_log(capped_hub, rf"alice's server and its kernels: memory {MEMORY_MB} MiB", 30)
    bobs = bob.kernel()
    assert bob.run(bobs, "x = 41; print(x + 1)") == ("42\n", "idle")

    output, ended = alice.run(alice.kernel(), MEMORY_BOMB, timeout=180)

    assert "allocated" not in output, "the bomb got its 3 GiB: no memory cap"
    assert ended in ("restarting", "dead") or "MemoryError" in output, (output, ended)
    line = wait_for_log(capped_hub, r"learner alice's server reached its memory cap[^\n]*", 30)
    assert f"{MEMORY_MB} MiB" in line and "qilab hub --memory-limit" in line
    assert "bob's server reached" not in capped_hub.output()
    # Bob's kernel kept its state throughout; Alice's own server still serves her.
    assert bob.run(bobs, "print(x + 1)") == ("42\n", "idle")
    assert alice.server_api("GET", "contents").status_code == 200
    assert alice.run(alice.kernel(), "print('back')") == ("back\n", "idle")
    alice.stop_kernels()
    bob.stop_kernels()


FORK_BOMB = """
import os, signal, subprocess, time
leader = os.fork()
if leader == 0:  # the bomb: start processes without end (here at most 256, should no cap hold)
    os.setpgid(0, 0)
    made = 0
    while made < 256:
        try:
            if os.fork() == 0:
                os.execv("/bin/sleep", ["sleep", "120"])
            made += 1
        except OSError:
            time.sleep(0.5)  # refused: keep pressing on the cap, as a bomb does
    os._exit(0)
time.sleep(6)
alive = sum(1 for p in os.listdir("/proc") if p.isdigit())
refusals = set()
for _ in range(10):  # the bomb takes every slot a finished thread frees, as fast as we can
    try:
        subprocess.run(["true"], check=True)
    except OSError as exc:
        refusals.add(type(exc).__name__)
    time.sleep(0.1)
print("refused:", ", ".join(sorted(refusals)) or "never")
print("processes:", alive)
"""


def test_a_fork_bomb_is_stopped_by_the_process_cap(capped_hub):
    alice, bob = Person(capped_hub, "alice"), Person(capped_hub, "bob")
    alice.start()
    bob.start()
    alices = alice.kernel()

    output, ended = alice.run(alices, FORK_BOMB, timeout=120)

    assert ended == "idle", (output, ended)
    assert "refused: BlockingIOError" in output, output  # fork() failed: EAGAIN
    alive = int(output.rsplit("processes:", 1)[1])
    assert alive < MAX_PROCESSES, output  # never the 256 the bomb wanted
    # While Alice's bomb still holds her cap, Bob starts programs as usual.
    output, _ = bob.run(
        bob.kernel(), "import subprocess; print(subprocess.run(['true']).returncode)"
    )
    assert output == "0\n"
    line = wait_for_log(capped_hub, r"learner alice's server reached its process cap[^\n]*", 30)
    assert f"({MAX_PROCESSES} processes" in line and "qilab hub --max-processes" in line
    # Ending the bomb gives Alice her processes back.
    output, _ = alice.run(
        alices,
        "os.killpg(leader, signal.SIGKILL); time.sleep(2)\n"
        + ("print(subprocess.run(['true']).returncode)"),
    )
    assert output == "0\n"
    alice.stop_kernels()
    bob.stop_kernels()


SPIN = """
import time
wall, cpu = time.monotonic(), time.process_time()
while time.monotonic() - wall < 6:  # a loop that does not end on its own, for 6 s
    pass
print(f"{(time.process_time() - cpu) / (time.monotonic() - wall):.2f}")
"""


def test_a_loop_that_never_ends_gets_its_share_of_the_cpu_not_the_machine(capped_hub):
    alice = Person(capped_hub, "alice")
    alice.start()
    wait_for_log(capped_hub, rf"alice's server and its kernels: [^\n]*CPU {CPU_LIMIT:g} core", 30)

    output, ended = alice.run(alice.kernel(), SPIN, timeout=60)

    assert ended == "idle", (output, ended)
    share = float(output)  # CPU seconds the kernel got per second: about 1 without the cap
    assert share <= CPU_LIMIT + 0.15, f"the loop got {share:.2f} of a core"
    line = wait_for_log(capped_hub, r"learner alice's server used its whole CPU share[^\n]*", 30)
    assert f"({CPU_LIMIT:g} core(s))" in line and "qilab hub --cpu-limit" in line
    alice.stop_kernels()


def test_the_idle_culler_stops_an_unused_server_and_keeps_the_learners_work(tmp_path):
    course = make_course(tmp_path)
    with running_hub(
        tmp_path, course, tmp_path / "state", extra=("--cull-idle", str(CULL_IDLE))
    ) as hub:
        alice = Person(hub, "alice")
        alice.start()
        started = time.monotonic()
        note = {"type": "file", "format": "text", "content": "my PDSA notes\n"}
        assert alice.server_api("PUT", "contents/pdsa.txt", json=note).status_code == 201
        assert server_processes(hub, "alice")

        deadline = started + CULL_IDLE * 5  # the timeout, plus the culler's checks (every 6 s)
        while alice.servers() and time.monotonic() < deadline:
            time.sleep(2)
        assert not alice.servers(), f"not culled in {CULL_IDLE * 5} s:\n{hub.output()[-3000:]}"
        assert time.monotonic() - started >= CULL_IDLE - 2  # not before the timeout
        assert "Culling server alice" in hub.output()
        time.sleep(2)
        assert not server_processes(hub, "alice")  # its memory is free
        assert "alice" in {u["name"] for u in [alice.hub_api("GET", "user").json()]}

        alice.start()  # the next log-in
        done = alice.server_api("GET", "contents/pdsa.txt")
        assert done.status_code == 200 and done.json()["content"] == "my PDSA notes\n"


RESERVE_AND_USE = """
import mmap, sys
reserved = mmap.mmap(-1, 8 * 1024**3)  # 8 GiB of address space, as V8 reserves: not used
print("reserved", flush=True)
used = [bytes([1]) * (32 * 1024 * 1024) for _ in range(int(sys.argv[1]))]
print("used", len(used) * 32, flush=True)
"""


def test_the_memory_cap_counts_memory_used_not_address_space_reserved(tmp_path):
    """Why a cgroup and not RLIMIT_AS: reserving 8 GiB passes a 256 MiB cap, using 600 MiB not."""
    import subprocess
    import sys

    script = tmp_path / "reserve.py"
    script.write_text(RESERVE_AND_USE)
    results = []
    for chunks in (2, 19):  # 64 MiB used, then 608 MiB
        cap = sandbox.MemoryCap(256)
        proc = subprocess.Popen(
            [sys.executable, str(script), str(chunks)], stdout=subprocess.PIPE, text=True
        )
        try:
            if cap.apply([proc.pid]) != "cgroup":
                proc.kill()
                pytest.skip("no writable memory control group here (the hub logs 'NO memory cap')")
            out, _ = proc.communicate(timeout=60)
            results.append((proc.returncode, out, cap.oom_kills()))
        finally:
            proc.kill()
            proc.wait()
            cap.release()
        assert cap.group is None
    (ok, ok_out, ok_kills), (bomb, bomb_out, bomb_kills) = results
    assert ok == 0 and "used 64" in ok_out and ok_kills == 0
    assert bomb == -9 and "reserved" in bomb_out and "used" not in bomb_out and bomb_kills == 1

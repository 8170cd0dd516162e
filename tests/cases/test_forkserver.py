"""Case kernels forked from the pre-imported template (qilab.cases.forkserver), as jupyter_client
starts them for `qilab cases`: fast, separate, interruptible, and nothing else can be started.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
import time
from collections.abc import Coroutine
from typing import Any

import psutil
import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import KernelProvisionerFactory
from traitlets.config import Config

from qilab.cases.forkserver import LAUNCHER, PROVISIONER, ForkProvisioner, Template
from qilab.cases.server import FORK_PROVISIONER

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def config() -> Config:
    """jupyter_client configured as `qilab cases` configures it."""
    cfg = Config({"KernelProvisionerFactory": {"default_provisioner_name": PROVISIONER}})
    factory = KernelProvisionerFactory.instance()
    before = factory.default_provisioner_name
    factory.default_provisioner_name = PROVISIONER
    yield cfg
    factory.default_provisioner_name = before
    Template.stop()


def run_apart(scenario: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run(scenario)`` in a thread of its own.

    In the full suite a browser test's sync Playwright keeps an event loop running in this
    thread, where ``asyncio.run`` refuses to start (these tests passed alone and failed after
    the browser tests).
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario).result()


async def run(kc: Any, code: str) -> dict:
    """Execute *code*; return the reply and the text it printed."""
    out: list[str] = []

    def keep(msg: dict) -> None:
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])

    reply = await kc.execute_interactive(code, timeout=60, output_hook=keep)
    return {"status": reply["content"]["status"], "text": "".join(out)}


def test_the_server_config_names_the_registered_provisioner():
    assert FORK_PROVISIONER == PROVISIONER
    assert KernelProvisionerFactory.instance()._check_availability(PROVISIONER)


def test_a_kernel_is_forked_ready_imported_in_its_own_session_and_environment(config, tmp_path):
    async def scenario() -> None:
        km = AsyncKernelManager(config=config)
        env = {**os.environ, "QILAB_TEST_MARK": "kernel-a"}
        await km.start_kernel(env=env, cwd=str(tmp_path))
        assert isinstance(km.provisioner, ForkProvisioner)
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            # Imported before any of the kernel's own code ran: the template did it, down to
            # what a case's first run would otherwise import in every kernel (the static
            # rendering, and Altair's handling of pandas frames through narwhals).
            preloaded = (
                "pandas",
                "altair",
                "qilab.cases.live",
                "qilab.cases.prerender",
                "ipywidgets.embed",
                "nbformat",
                "narwhals._pandas_like.dataframe",
            )
            # ... and frozen out of the garbage collector's sight (gc.freeze: no kernel walks or
            # copies the template's objects).
            code = (
                "import gc, os, sys; print(os.environ['QILAB_TEST_MARK'], os.getcwd(), "
                "os.getsid(0) == os.getpid(), os.nice(0), "
                f"all(m in sys.modules for m in {preloaded!r}), gc.get_freeze_count() > 100_000)"
            )
            result = await run(kc, code)
            assert result["status"] == "ok"
            mark, cwd, own_session, niceness, imported, frozen = result["text"].split()
            assert (mark, cwd, own_session, imported, frozen) == (
                "kernel-a",
                str(tmp_path),
                "True",
                "True",
                "True",
            )
            assert int(niceness) >= psutil.Process().nice() + 5  # below the web server
            pid = km.provisioner.pid
            assert psutil.Process(pid).ppid() == Template.pid()
            # The template's environment is not the kernel's.
            assert "QILAB_TEST_MARK" not in psutil.Process(Template.pid()).environ()

            # A runaway cell can be interrupted (Voila's time limit relies on it).
            kc.execute("import time; time.sleep(60)")
            await asyncio.sleep(1)
            started = time.monotonic()
            await km.interrupt_kernel()
            while True:
                msg = await kc.get_iopub_msg(timeout=20)
                if msg["msg_type"] == "error":
                    assert msg["content"]["ename"] == "KeyboardInterrupt"
                    break
            assert time.monotonic() - started < 10
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        assert not await km.is_alive()
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"

    run_apart(scenario())


def test_two_kernels_are_separate_processes_sharing_nothing_they_set(config):
    async def scenario() -> None:
        managers = [AsyncKernelManager(config=config) for _ in range(2)]
        for km in managers:
            await km.start_kernel()
        clients = [km.client() for km in managers]
        try:
            for kc in clients:
                kc.start_channels()
                await kc.wait_for_ready(timeout=60)
            await run(clients[0], "import pandas as pd; pd.secret = 'visitor A'")
            other = await run(clients[1], "import pandas as pd; print(getattr(pd, 'secret', '-'))")
            assert other["text"].strip() == "-"
            assert managers[0].provisioner.pid != managers[1].provisioner.pid
        finally:
            for kc in clients:
                kc.stop_channels()
            for km in managers:
                await km.shutdown_kernel(now=True)

    run_apart(scenario())


def test_the_template_starts_nothing_but_ipykernel(config, tmp_path):
    marker = tmp_path / "ran"
    attack = [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('ran')"]
    with pytest.raises(OSError, match="only ipykernel_launcher"):
        Template.fork(attack, dict(os.environ), str(tmp_path))
    shell = ["/bin/sh", *LAUNCHER, "-c", f"touch {marker}"]
    with pytest.raises(OSError, match="only ipykernel_launcher"):
        Template.fork(shell, dict(os.environ), str(tmp_path))
    time.sleep(1)
    assert not marker.exists()
    assert Template.pid() is not None, "the template keeps serving after a refused request"


def test_a_dead_template_is_replaced_and_kernels_still_start(config):
    async def scenario() -> None:
        km = AsyncKernelManager(config=config)
        await km.start_kernel()
        template = Template.pid()
        orphan = psutil.Process(km.provisioner.pid)
        psutil.Process(template).kill()
        psutil.Process(template).wait(10)
        # Its kernel does not outlive it (ipykernel's parent poller: no orphaned kernels when
        # the server and its template are gone).
        orphan.wait(15)
        # The next kernel gets a new template (the old one died): it still starts.
        km2 = AsyncKernelManager(config=config)
        await km2.start_kernel()
        kc = km2.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            assert Template.pid() not in (None, template)
        finally:
            kc.stop_channels()
            for manager in (km, km2):
                await manager.shutdown_kernel(now=True)

    run_apart(scenario())


def test_qilab_cases_kernels_are_forked_from_the_template(cases_server):
    """The real server: every preheated kernel is the template's child, none a fresh Python."""
    import json
    import urllib.request

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        with urllib.request.urlopen(cases_server.url("qilab/status"), timeout=10) as response:
            cases = json.load(response)["cases"]
        if all(c["ready"] >= 1 for c in cases.values()):
            break
        time.sleep(1)
    server = psutil.Process(cases_server.process.pid)
    templates = [p for p in server.children() if "qilab.cases.forkserver" in " ".join(p.cmdline())]
    assert len(templates) == 1
    kernels = templates[0].children()
    assert len(kernels) >= len(cases)
    launched = [p for p in server.children(recursive=True) if "ipykernel_launcher" in p.cmdline()]
    assert launched == [], "no kernel was started as a fresh Python"

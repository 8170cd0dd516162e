"""Presenting one case to a room: ``qilab cases CASE --audience N`` has N pages ready at once.

At a board meeting everyone opens the case the presenter names within seconds. With the usual
pool of one preheated kernel, nine of ten visitors each wait for a kernel to start and run the
notebook, all on the server's two cores (benchmarks/cases.py). ``--audience N`` keeps N kernels
preheated for that case, so every page in the burst is handed a kernel that has already run it.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from servers import cases_command, isolated_jupyter_env, running

from qilab.cases import cases_launch, load_cases
from qilab.cases.settings import CaseSettingsError
from qilab.ports import free_port

SLUG = "batching-blood-tests"
PAGE = f"voila/render/{SLUG}.ipynb"
ROOM = 3


def test_the_audience_case_gets_the_room_s_kernels_and_the_others_keep_theirs():
    launch = cases_launch(SLUG, port=0, open_browser=False, audience=12, max_kernels=40)
    pools = launch.config["VoilaKernelManager"]["kernel_pools_config"]
    cases = load_cases()
    assert pools[f"{SLUG}.ipynb"]["pool_size"] == 12
    others = [pools[c.notebook.name]["pool_size"] for c in cases if c.slug != SLUG]
    assert others == [1] * (len(cases) - 1)  # cases.yaml's pool_size
    # The room's twelve pages are admitted while the pools refill: never the busy page.
    assert launch.config["CasesKernelManager"]["max_visitor_kernels"] >= 12


def test_an_audience_needs_a_case_and_room_under_the_kernel_cap():
    with pytest.raises(CaseSettingsError, match=r"name it, e\.g\. `qilab cases \S+ --audience 5`"):
        cases_launch(port=0, open_browser=False, audience=5)
    with pytest.raises(CaseSettingsError) as caught:
        cases_launch(SLUG, port=0, open_browser=False, audience=12, max_kernels=20)
    others = len(load_cases()) - 1
    assert str(caught.value).startswith(
        f"--audience 12 needs {24 + others} kernels at once (12 for the room, 12 preheating "
        f"again for {SLUG}, {others} for the other cases;"
    )
    assert f"Use --audience {(20 - others) // 2} or less" in str(caught.value)
    # When not even one visitor fits beside the other cases' pools, no impossible number is
    # suggested; turning the other pools off makes room, as the message says.
    with pytest.raises(CaseSettingsError, match=r"Even --audience 1 does not fit: .*--pool-size 0"):
        cases_launch(SLUG, port=0, open_browser=False, audience=3, max_kernels=others + 1)
    room = cases_launch(SLUG, port=0, open_browser=False, audience=3, max_kernels=6, pool_size=0)
    assert room.config["VoilaConfiguration"]["preheat_kernel"] is True
    with pytest.raises(CaseSettingsError, match="whole number from 1 to 100"):
        cases_launch(SLUG, port=0, open_browser=False, audience=0)


def test_the_command_line_says_what_is_wrong_in_one_line():
    import subprocess

    done = subprocess.run(
        [*cases_command(), "--audience", "4", "--no-browser", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and "Traceback" not in done.stderr
    assert "--audience preheats kernels for the case you present" in lines[0]


@pytest.mark.slow
def test_a_room_opening_the_case_together_is_handed_preheated_kernels(tmp_path: Path):
    case = next(c for c in load_cases() if c.slug == SLUG)
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(case.notebook, folder / case.notebook.name)
    index = yaml.safe_load((case.folder / "cases.yaml").read_text())
    index["cases"] = [c for c in index["cases"] if c["slug"] == SLUG]
    (folder / "cases.yaml").write_text(yaml.safe_dump(index))
    env = isolated_jupyter_env(tmp_path)
    port = free_port()
    argv = [*cases_command(), SLUG, "--audience", str(ROOM), "--folder", str(folder)]
    argv += ["--port", str(port), "--no-browser"]
    base = f"http://127.0.0.1:{port}"
    with running(argv, env, tmp_path / "qilab-cases.log", base, "", "qilab/status") as server:
        deadline = time.monotonic() + 240
        while (
            json.load(urllib.request.urlopen(f"{base}/qilab/status"))["cases"][SLUG]["ready"] < ROOM
        ):
            assert time.monotonic() < deadline, "the room's kernels were not preheated"
            time.sleep(0.5)

        def visit(_: int) -> str:
            with urllib.request.urlopen(f"{base}/{PAGE}", timeout=120) as response:
                page = response.read().decode()
            found = re.search(r'<script id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S)
            assert found and 'class="qilab-prerender"' in page  # its charts, ready to draw
            return json.loads(found.group(1))["kernelId"]

        with ThreadPoolExecutor(ROOM) as pool:  # the room, all at once
            kernels = list(pool.map(visit, range(ROOM)))
        log = server.log.read_text()
        assert len(set(kernels)) == ROOM
        for kernel in kernels:  # Voila logs each hand-out from the pool
            assert f"Using pre-heated kernel: {kernel}" in log, log[-3000:]
        assert f"preheating {ROOM} kernels for {SLUG}" in log

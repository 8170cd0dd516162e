"""Memory per learner on ``qilab hub``: what one VM holds, measured on the real hub.

Run: ``.venv/bin/python benchmarks/hub.py [--learners N]`` (after ``python3 make.py test`` or
``python3 make.py hub`` installed the proxy).

Starts the real hub (JupyterHub + configurable-http-proxy, learners' servers in bubblewrap)
over a synthetic course, logs N learners in with headless Chromium, and measures each
learner's whole sandbox (bubblewrap, the single-user JupyterLab server and its kernels):

* idle: JupyterLab open on the start page, no kernel running;
* active: a kernel that has imported the course's stack (pandas, Altair, QI Lab) and shown an
  I chart of a two-year daily data set, as a learner working through a lesson.

Memory is the proportional set size (PSS: shared libraries divided among the processes that
map them), so the figures add up across learners. Prints the median per learner and how many
learners 1 GiB and a 24 GiB VM hold (leaving 2 GiB for the system and the hub).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hub_helpers import (  # the tests' own hub driver
    api,
    make_course,
    running_hub,
    start_log_in,
    wait_for_lab,
)

ACTIVE_CODE = """
import qilab.datasets, qilab.measure
ed = qilab.datasets.load("ed_daily")
result = qilab.measure.qic("pct_within_4_hours", x="date", data=ed, chart="i")
from IPython.display import display
display(result.chart())  # rendered as the lesson shows it (offline Vega bundle, SVG)
print("ok", len(ed))
"""


def sandbox_pss(user: str) -> float:
    """MB of PSS of ``user``'s whole server: the bubblewrap sandbox and everything in it."""
    total, kernels = 0, 0
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "jupyterhub-singleuser" not in " ".join(proc.info["cmdline"] or []):
                continue
            if proc.environ().get("JUPYTERHUB_USER") != user:
                continue
            # The outer bubblewrap only: it forks an inner one, which is part of its tree.
            if proc.name() == "bwrap" and proc.parent().name() != "bwrap":
                tree = [proc, *proc.children(recursive=True)]
                total += sum(p.memory_full_info().pss for p in tree)
                kernels += sum("ipykernel" in " ".join(p.cmdline()) for p in tree)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    KERNELS[user] = kernels
    return total / 2**20


#: Kernels found in each learner's sandbox at the last measurement (0 when idle, 1 active).
KERNELS: dict[str, int] = {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        import hub_helpers

        hub_helpers.LEARNERS[:] = [f"learner{i}" for i in range(1, args.learners + 1)]
        course = make_course(tmp)
        with running_hub(tmp, course, tmp / "state") as hub, sync_playwright() as play:
            browser = play.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--headless", "--no-sandbox", "--disable-gpu"],
            )
            users = list(hub_helpers.LEARNERS)
            started = time.monotonic()
            pages = {u: start_log_in(browser, hub, u) for u in users}
            for user in users:
                wait_for_lab(pages[user], user)
                pages[user].wait_for_selector(".jp-Notebook .jp-Cell", timeout=180_000)
            ready = time.monotonic() - started
            for user in users:  # JupyterLab opens START.ipynb with a kernel: stop it for "idle"
                _, sessions = api(pages[user], user, "GET", "api/sessions")
                for session in sessions:
                    api(pages[user], user, "DELETE", f"api/sessions/{session['id']}")
            time.sleep(5)
            idle = [sandbox_pss(u) for u in users]
            assert not any(KERNELS.values()), f"kernels still running when idle: {KERNELS}"
            kernels = {}
            for user in users:
                _, kernel = api(pages[user], user, "POST", "api/kernels", {"name": "python3"})
                kernels[user] = kernel["id"]
            time.sleep(5)
            from hub_helpers import RUN_JS

            for user in users:
                out = pages[user].evaluate(RUN_JS, [user, kernels[user], ACTIVE_CODE])
                assert "ok" in out, out
            time.sleep(3)
            active = [sandbox_pss(u) for u in users]
            assert all(n == 1 for n in KERNELS.values()), f"one kernel each: {KERNELS}"
            browser.close()

    idle_mb, active_mb = statistics.median(idle), statistics.median(active)
    print(f"{len(users)} learners logged in, every JupyterLab open after {ready:.0f} s")
    print(f"{'learner server':<34}{'median PSS MB':>14}{'per GiB':>9}{'24 GiB VM':>11}")
    for label, mb in (
        ("idle (lab open, no kernel)", idle_mb),
        ("active (kernel, charts)", active_mb),
    ):
        print(f"{label:<34}{mb:>14.0f}{1024 / mb:>9.1f}{22 * 1024 / mb:>11.0f}")
    pairs = zip(idle, active, strict=True)
    print("each learner, idle/active:", ", ".join(f"{a:.0f}/{b:.0f}" for a, b in pairs), "MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())

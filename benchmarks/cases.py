"""Time from request to first chart visible for a case study, cold and with preheated kernels.

Run: ``.venv/bin/python benchmarks/cases.py [--case SLUG] [--repeats N]``

Starts the real ``qilab cases`` twice on free localhost ports: with preheating off (every visit
starts a kernel and runs the notebook: "cold") and with one preheated kernel per case (the
notebook already ran; the server waits until the pool is refilled before each measurement).
Each visit is a fresh headless Chromium context (empty browser cache, like a first visitor),
timed from ``page.goto`` to the first chart's SVG marks being visible; a second visit in the
same context shows the effect of a warm browser cache. Target (issue 8): under 3 s preheated.
Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from qilab.ports import free_port

TARGET_S = 3.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FIRST_CHART = ".qilab-chart svg.marks"


def status(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/qilab/status", timeout=10) as response:
        return json.load(response)["cases"]


@contextmanager
def qilab_cases(pool_size: int) -> Iterator[str]:
    """``qilab cases`` on a free port with this pool size; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with log.open("w") as out:
            argv = [str(Path(sys.executable).parent / "qilab"), "cases", "--port", str(port)]
            argv += ["--no-browser", "--pool-size", str(pool_size)]
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    status(base)
                    break
                except (urllib.error.URLError, ConnectionError):
                    if process.poll() is not None or time.monotonic() > deadline:
                        tail = log.read_text()[-2000:]
                        raise SystemExit(f"qilab cases did not start:\n{tail}") from None
                    time.sleep(0.5)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=60)


def wait_until_preheated(base: str, slug: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while status(base)[slug]["ready"] < 1:
        if time.monotonic() > deadline:
            raise SystemExit(f"no preheated kernel for {slug} after {timeout:.0f}s")
        time.sleep(0.5)


def first_chart_seconds(page: object, url: str) -> float:
    """Seconds from asking for *url* to its first chart being visible."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=300_000)
    page.locator(FIRST_CHART).first.wait_for(state="visible", timeout=300_000)
    return time.perf_counter() - start


def measure(browser: object, slug: str, pool_size: int, repeats: int) -> dict[str, list[float]]:
    """Per repeat: a first visit (empty browser cache), then a second visit in the same browser
    context (cache warm); with preheating, each visit waits for a preheated kernel first."""
    out: dict[str, list[float]] = {"first visit": [], "browser cache warm": []}
    with qilab_cases(pool_size) as base:
        url = f"{base}/voila/render/{slug}.ipynb"
        for _ in range(repeats):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            try:
                for label in out:
                    if pool_size:
                        wait_until_preheated(base, slug)
                    out[label].append(first_chart_seconds(page, url))
            finally:
                context.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="batching-blood-tests", help="case slug to open")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per row")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for label, pool in (("cold (no preheating)", 0), ("preheated kernel", 1)):
                for visit, times in measure(browser, args.case, pool, args.repeats).items():
                    rows.append((label, visit, times))
        finally:
            browser.close()

    print(f"qilab cases: request to first chart visible, case '{args.case}'")
    print(f"{'kernel':<22}{'browser':<22}{'median s':>9}{'min s':>8}{'max s':>8}  target")
    for label, visit, times in rows:
        target = f"< {TARGET_S:.0f} s" if label.startswith("preheated") else "-"
        verdict = ""
        if label.startswith("preheated") and visit == "first visit":
            verdict = " ok" if statistics.median(times) < TARGET_S else " MISSED"
        print(
            f"{label:<22}{visit:<22}{statistics.median(times):>9.2f}{min(times):>8.2f}"
            f"{max(times):>8.2f}  {target}{verdict}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

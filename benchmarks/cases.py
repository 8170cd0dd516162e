"""``qilab cases`` as visitors meet it: time to first chart, many visitors, memory, clean-up.

Run: ``.venv/bin/python benchmarks/cases.py [--case SLUG] [--repeats N] [--visitors N]``

Starts the real ``qilab cases`` on free localhost ports and drives headless Chromium (every
visit a fresh browser context, like a first visitor, unless said otherwise). Reported against
the goals of issue 16 (median of ``--repeats``):

* preheated first visit: request to the first chart's SVG visible, one preheated kernel per
  case (the server waits until the pool is refilled before each visit);  goal <= 1.5 s.
  The first chart a visitor sees is the page's static rendering of it (qilab.cases.prerender,
  drawn by the server, shown before Voila's front end has started); the row after it is the
  same visits until the live chart and its controls have replaced it (Voila's front end
  started, widgets drawn)
* second visit in the same browser (cache warm), preheated;  no goal
* CPU seconds the server, its kernels and the browser used during those visits (medians):
  steadier than wall time on a shared machine (``--visits-only`` stops after these rows)
* no preheating (every visit starts a kernel and runs the notebook);  no goal
* N concurrent visitors (default 10) to one case, set off together: seconds until every page
  shows a chart (for a visitor beyond the pool, its waiting page's);  goal <= 10 s on 2 cores;
  then until every page's controls are live. Each
  page notes when it painted them, by this machine's clock (``SHOWN_AT``): the harness asking
  ten busy pages in turn would add seconds of its own (it prints when it saw them all). With
  the CPU seconds the server, its kernels and the browsers used meanwhile: here the visitors'
  browsers share the server's cores, which real visitors' do not (``--crowd-pool`` sets the
  preheated kernels per case for this row). Then the same burst with the case presented to
  the room (``qilab cases CASE --audience N``: N kernels preheated for it), as an academy lead
  would serve a board meeting (``--crowd-only`` runs just these two)
* the server's part of those N visitors: the same burst from plain HTTP clients, each fetching
  its page and the scripts and styles the page's head names (what a browser needs before it
  can draw the page's own charts): seconds until every page has arrived with its charts;
  goal <= 10 s. A visitor beyond the pool is sent a waiting page (qilab.cases.waiting): its
  client then follows the ticket, as the page's script does, until its live page arrives
  (reported beside). At a board meeting each visitor's browser runs on their own computer; add a
  browser's own time to draw the chart (the preheated rows above, less the server's 0.1 s)
* memory per visitor kernel (resident set size and unique set size, median over those N
  kernels);  goal <= 120 MB
* kernels alive 30 s after the N visitors close their pages;  goal: back to the pool size

Nothing leaves this machine. Not part of the test suite: timings on a shared machine vary.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qilab.ports import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
#: A chart drawn, static (the page's own rendering) or live (Voila's widget).
FIRST_CHART = ".qilab-chart svg.marks"
#: The live chart and controls: Voila's front end has drawn the widget and swapped it in.
LIVE_CHART = ".jp-OutputArea-output .qilab-chart svg.marks"
MB = 1024**2

GOAL_PREHEATED_S = 1.5
GOAL_CONCURRENT_S = 10.0
GOAL_KERNEL_MB = 120.0


@dataclass
class Server:
    base: str
    process: subprocess.Popen


def status(base: str) -> dict:
    with urllib.request.urlopen(f"{base}/qilab/status", timeout=10) as response:
        return json.load(response)


@contextmanager
def qilab_cases(
    pool_size: int, max_kernels: int = 0, present: str = "", audience: int = 0
) -> Iterator[Server]:
    """``qilab cases`` on a free port with this pool size (and kernel cap; 0 = from memory).

    With *present* and *audience*: ``qilab cases PRESENT --audience N`` (a room opening it).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with log.open("w") as out:
            argv = [str(Path(sys.executable).parent / "qilab"), "cases", "--port", str(port)]
            argv += ["--no-browser", "--pool-size", str(pool_size)]
            argv += ["--max-kernels", str(max_kernels)]
            if audience:
                argv += [present, "--audience", str(audience)]
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
            yield Server(base, process)
        finally:
            process.terminate()
            process.wait(timeout=60)


def wait_until_preheated(base: str, slug: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while status(base)["cases"][slug]["ready"] < 1:
        if time.monotonic() > deadline:
            raise SystemExit(f"no preheated kernel for {slug} after {timeout:.0f}s")
        time.sleep(0.5)


def wait_until_all_preheated(base: str, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while any(c["ready"] < 1 for c in status(base)["cases"].values()):
        if time.monotonic() > deadline:
            raise SystemExit(f"pools not full after {timeout:.0f}s")
        time.sleep(1)


def first_chart_seconds(page: object, url: str) -> tuple[float, float]:
    """Seconds from asking for *url* to its first chart being visible, and to the live one."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit", timeout=300_000)
    page.locator(FIRST_CHART).first.wait_for(state="visible", timeout=300_000)
    first = time.perf_counter() - start
    page.locator(LIVE_CHART).first.wait_for(state="visible", timeout=300_000)
    return first, time.perf_counter() - start


def visits(browser: object, slug: str, pool_size: int, repeats: int) -> dict[str, list]:
    """Per repeat: a first visit (empty browser cache), then a second in the same context.

    With each visit's CPU seconds per role (``"<label> cpu"``: server, kernels, browsers),
    steadier than wall time on a shared machine. The kernels' share is only what they did
    during the visit: a preheated kernel ran its notebook before the visitor came.
    """
    out: dict[str, list] = {"first visit": [], "second visit": []}
    live: dict[str, list] = {"first visit live": [], "second visit live": []}
    cpu: dict[str, list] = {"first visit cpu": [], "second visit cpu": []}
    with qilab_cases(pool_size) as server:
        url = f"{server.base}/voila/render/{slug}.ipynb"
        for _ in range(repeats):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            try:
                for label in list(out):
                    if pool_size:
                        wait_until_preheated(server.base, slug)
                    before = cpu_by_role(server.process.pid)
                    first, live_at = first_chart_seconds(page, url)
                    out[label].append(first)
                    live[f"{label} live"].append(live_at)
                    cpu[f"{label} cpu"].append(cpu_used(before, cpu_by_role(server.process.pid)))
            finally:
                context.close()
    return {**out, **live, **cpu}


def kernel_processes(server_pid: int) -> tuple[list, object | None]:
    """The server's kernel processes, and the kernel template they are forked from (if any).

    A kernel forked from the template (:mod:`qilab.cases.forkserver`) keeps the template's
    command line, so kernels are told apart by parentage: the template's children, or any
    process running ``ipykernel_launcher``.
    """
    import psutil

    kernels, template = [], None
    for child in psutil.Process(server_pid).children(recursive=True):
        try:
            cmdline = " ".join(child.cmdline())
            if "qilab.cases.forkserver" in cmdline and child.ppid() == server_pid:
                template = child
            elif "ipykernel_launcher" in cmdline or "qilab.cases.forkserver" in cmdline:
                kernels.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return kernels, template


def kernel_memory(server_pid: int) -> list[tuple[float, float]]:
    """(RSS MB, USS MB) of each kernel process the server started.

    USS (unique set size) is what one more kernel costs: memory shared with the template or
    other kernels (imported libraries, copy-on-write after the fork) is not counted in it.
    """
    import psutil

    found = []
    for kernel in kernel_processes(server_pid)[0]:
        try:
            info = kernel.memory_full_info()
            found.append((info.rss / MB, info.uss / MB, kernel.pid))
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def template_memory(server_pid: int) -> float:
    """USS MB of the kernel template (held once, however many kernels; 0 if none)."""
    template = kernel_processes(server_pid)[1]
    return template.memory_full_info().uss / MB if template is not None else 0.0


def cpu_by_role(server_pid: int) -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by each process: the server, its kernels (and their template),
    and everything else this benchmark started (Chromium and Playwright's driver)."""
    import psutil

    server = psutil.Process(server_pid)
    kernels = {p.pid for p in server.children(recursive=True)}
    out = {}
    for proc in [server, *psutil.Process().children(recursive=True)]:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            continue
        role = "kernels" if proc.pid in kernels else "browsers"
        role = "server" if proc.pid == server_pid else role
        out[proc.pid] = (role, times.user + times.system)
    return out


def cpu_used(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds per role between two :func:`cpu_by_role` samples."""
    used = {"server": 0.0, "kernels": 0.0, "browsers": 0.0}
    for pid, (role, seconds) in after.items():
        used[role] += seconds - before.get(pid, (role, 0.0))[1]
    return used


#: In every page of a crowd: the wall-clock time (ms since the epoch, this machine's clock) at
#: which it first showed a chart, and its live chart, each taken one frame after the chart was
#: in the page (two animation frames: it has been painted). The page records it itself because
#: asking ten busy pages in turn, as Playwright does, adds seconds no visitor waits. A visitor
#: beyond the pool is first sent a waiting page (qilab.cases.waiting) that reloads itself as
#: the live page: its first chart and that it waited are kept across the reload.
SHOWN_AT = """
(() => {
  const seen = {first: FIRST, live: LIVE};
  const kept = JSON.parse(sessionStorage.getItem("qilabShown") || "{}");
  window.__qilabShown = kept.first ? {first: kept.first} : {};
  window.__qilabWaited = Boolean(kept.waited);
  const keep = () => sessionStorage.setItem("qilabShown", JSON.stringify(
    {first: window.__qilabShown.first, waited: window.__qilabWaited}));
  document.addEventListener("DOMContentLoaded", () => {
    const ticket = document.getElementById("qilab-ticket");
    if (ticket && ticket.textContent.trim() !== "null") {
      window.__qilabWaited = true;
      keep();
    }
  });
  const painted = (key) => requestAnimationFrame(() => requestAnimationFrame(() => {
    window.__qilabShown[key] = performance.timeOrigin + performance.now();
    keep();
  }));
  const watch = new MutationObserver(() => {
    for (const key of Object.keys(seen)) {
      if (!(key in window.__qilabShown) && !window["__qilabWatch" + key]
          && (document.querySelector(seen[key]) || document.title.startsWith("Busy"))) {
        window["__qilabWatch" + key] = true;
        painted(key);
      }
    }
  });
  watch.observe(document, {childList: true, subtree: true});
})();
""".replace("FIRST", json.dumps(FIRST_CHART)).replace("LIVE", json.dumps(LIVE_CHART))


def wait_on_every_page(pages: list, selector: str) -> None:
    """Wait until every page shows *selector* (or was sent the busy page)."""
    for page in pages:
        page.wait_for_function(
            f"document.querySelector('{selector}') !== null || document.title.startsWith('Busy')",
            timeout=600_000,
            polling=200,
        )


def crowd(
    browser: object, slug: str, visitors: int, pool_size: int = 1, audience: int = 0
) -> dict[str, float]:
    """N visitors set off together; then their kernels' memory; then what is left 30 s later.

    With *audience*, the case is served as presented to a room (``--audience``): the server
    waits until that many kernels are preheated for it, as a presenter would before speaking.
    """
    with qilab_cases(pool_size, present=slug, audience=audience) as server:
        wait_until_all_preheated(server.base)
        deadline = time.monotonic() + 400
        while status(server.base)["cases"][slug]["ready"] < audience:
            if time.monotonic() > deadline:
                raise SystemExit(f"{audience} kernels not preheated for {slug}")
            time.sleep(1)
        pool = status(server.base)["kernels"]["kernels"]
        before = {m[2] for m in kernel_memory(server.process.pid)}
        url = f"{server.base}/voila/render/{slug}.ipynb"
        contexts = [browser.new_context() for _ in range(visitors)]
        for context in contexts:
            context.add_init_script(SHOWN_AT)
        pages = [c.new_page() for c in contexts]
        cpu_before = cpu_by_role(server.process.pid)
        start = time.time()
        for page in pages:  # navigation is set off without waiting for it
            page.evaluate(f"window.location.href = {json.dumps(url)}")
        wait_on_every_page(pages, FIRST_CHART)
        wait_on_every_page(pages, LIVE_CHART)
        polled = time.time() - start
        shown = [page.evaluate("window.__qilabShown") for page in pages]
        all_charts = max(s["first"] for s in shown) / 1000 - start
        all_live = max(s["live"] for s in shown) / 1000 - start
        cpu = cpu_used(cpu_before, cpu_by_role(server.process.pid))
        busy = sum(page.title().startswith("Busy") for page in pages)
        waited = sum(page.evaluate("window.__qilabWaited") for page in pages)
        memory = [m for m in kernel_memory(server.process.pid) if m[2] not in before]
        template = template_memory(server.process.pid)
        for context in contexts:
            context.close()
        time.sleep(30)
        left = status(server.base)["kernels"]["kernels"]
    return {
        "seconds": all_charts,
        "live seconds": all_live,
        "polled seconds": polled,
        "busy": busy,
        "waited": waited,
        "rss": statistics.median(m[0] for m in memory) if memory else float("nan"),
        "uss": statistics.median(m[1] for m in memory) if memory else float("nan"),
        "left": left,
        "pool": pool,
        "template": template,
        "cpu": cpu,
    }


#: A chart in a page (a static rendering made by the preheated kernel, drawn by the server or
#: left for the browser to draw: qilab.cases.prerender).
PAGE_CHART = 'class="qilab-chart'
HEAD_RESOURCES = re.compile(r'<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"')


TICKET = re.compile(r'<script id="qilab-ticket" type="application/json">(.*?)</script>')


@dataclass
class Visit:
    """One HTTP client's visit: when its page (with charts) arrived, and its live page."""

    seconds: float
    live_seconds: float
    charts: int
    busy: bool
    waited: bool


def fetch_like_a_first_visit(base: str, url: str) -> Visit:
    """Fetch *url* and what its head loads; a waiting page then asks for its kernel, as the
    page's script does, and fetches the live page."""
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:
        page = response.read().decode()
    head = page.split("</head>", 1)[0]
    for src in HEAD_RESOURCES.findall(head):
        if src.startswith("/"):
            with urllib.request.urlopen(base + src.replace("&amp;", "&"), timeout=600) as r:
                r.read()
    # The Vega bundle is started from a script in the head (not a src attribute).
    for src in re.findall(r'"(/qilab/vega-embed\.js[^"]*)"', head):
        with urllib.request.urlopen(base + src, timeout=600) as r:
            r.read()
    arrived = time.perf_counter() - start
    slot = TICKET.search(page)
    ticket = json.loads(slot.group(1)) if slot else None
    if ticket:
        while True:
            with urllib.request.urlopen(base + ticket["poll"], timeout=600) as r:
                if json.load(r)["ready"]:
                    break
            time.sleep(ticket["every_ms"] / 1000)
        with urllib.request.urlopen(base + ticket["live"], timeout=600) as r:
            r.read()
    return Visit(
        seconds=arrived,
        live_seconds=time.perf_counter() - start,
        charts=page.count(PAGE_CHART),
        busy="<title>Busy" in page,
        waited=bool(ticket),
    )


def crowd_server_side(slug: str, visitors: int, pool_size: int = 1) -> dict[str, float]:
    """The server's part of N visitors set off together: every page arrived with its charts,
    then every page's live page (from its own kernel)."""
    with qilab_cases(pool_size=pool_size) as server:
        wait_until_all_preheated(server.base)
        url = f"{server.base}/voila/render/{slug}.ipynb"
        cpu_before = cpu_by_role(server.process.pid)
        with ThreadPoolExecutor(visitors) as pool:
            results = list(
                pool.map(lambda _: fetch_like_a_first_visit(server.base, url), range(visitors))
            )
        cpu = cpu_used(cpu_before, cpu_by_role(server.process.pid))
    admitted = [r for r in results if not r.busy]
    return {
        "seconds": max(r.seconds for r in results),
        "median": statistics.median(r.seconds for r in results),
        "live seconds": max(r.live_seconds for r in admitted),
        "busy": len(results) - len(admitted),
        "waited": sum(r.waited for r in admitted),
        "without charts": sum(1 for r in admitted if r.charts == 0),
        "cpu": cpu,
    }


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", default="batching-blood-tests", help="case slug to open")
    parser.add_argument("--repeats", type=int, default=3, help="measurements per visit row")
    parser.add_argument("--visitors", type=int, default=10, help="concurrent visitors")
    parser.add_argument(
        "--crowd-pool", type=int, default=1, help="preheated kernels per case for the visitors"
    )
    parser.add_argument(
        "--visits-only", action="store_true", help="only the preheated first and second visits"
    )
    parser.add_argument(
        "--crowd-only",
        action="store_true",
        help="only the concurrent visitors in Chromium (usual pool, then --audience)",
    )
    parser.add_argument(
        "--server-crowd-only",
        action="store_true",
        help="only the server's part of the concurrent visitors (no browser)",
    )
    args = parser.parse_args(argv)
    if args.server_crowd_only:
        served = crowd_server_side(args.case, args.visitors, args.crowd_pool)
        cpu = served["cpu"]
        print(
            f"{args.visitors} visitors, server part: all pages with charts "
            f"{served['seconds']:.2f} s "
            f"(median {served['median']:.2f}; busy {served['busy']:.0f}; without charts "
            f"{served['without charts']:.0f}); live pages {served['live seconds']:.2f} s "
            f"({served['waited']:.0f} waited); CPU s server {cpu['server']:.1f}, kernels "
            f"{cpu['kernels']:.1f}; load {os.getloadavg()[0]:.1f}"
        )
        return 0

    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if args.crowd_only:
                many = crowd(browser, args.case, args.visitors, args.crowd_pool)
                room = crowd(browser, args.case, args.visitors, audience=args.visitors)
            else:
                preheated = visits(browser, args.case, 1, args.repeats)
            if not (args.visits_only or args.crowd_only):
                cold = visits(browser, args.case, 0, args.repeats)
                many = crowd(browser, args.case, args.visitors, args.crowd_pool)
                room = crowd(browser, args.case, args.visitors, audience=args.visitors)
                served = crowd_server_side(args.case, args.visitors, args.crowd_pool)
        finally:
            browser.close()

    def row(label: str, times: list[float], goal: str, ok: bool | None) -> None:
        mark = "" if ok is None else verdict(ok)
        print(
            f"{label:<42}{statistics.median(times):>9.2f}{min(times):>8.2f}{max(times):>8.2f}"
            f"  {goal:<14}{mark}"
        )

    load_after = os.getloadavg()
    print(f"qilab cases, case '{args.case}' (median of {args.repeats}; seconds unless stated)")
    print(
        f"load average (1/5/15 min) before {'/'.join(f'{x:.1f}' for x in load_before)}, "
        f"after {'/'.join(f'{x:.1f}' for x in load_after)}; {os.cpu_count()} CPUs; "
        f"benchmark, server and browser at nice {os.nice(0)}"
    )
    print(f"{'':<42}{'median':>9}{'min':>8}{'max':>8}  {'goal':<14}")
    n = args.visitors

    def crowd_rows(result: dict[str, float], label: str, pool: str) -> None:
        ok = result["seconds"] <= GOAL_CONCURRENT_S
        print(
            f"{label:<42}{result['seconds']:>9.2f}{'':>16}"
            f"  {'<= 10 s':<14}{verdict(ok)}"
            + (f"  ({result['busy']:.0f} got the busy page)" if result["busy"] else "")
            + (
                f"  ({result['waited']:.0f} read a waiting page until their kernel was ready)"
                if result["waited"]
                else ""
            )
        )
        print(
            f"{'  ... until all their controls are live':<42}{result['live seconds']:>9.2f}"
            f"{'':>16}  (the harness, asking each page in turn, saw all by "
            f"{result['polled seconds']:.1f})"
        )
        cpu = result["cpu"]
        print(
            f"{'  CPU seconds meanwhile: server / kernels':<42}"
            f"{cpu['server']:>9.1f}{cpu['kernels']:>8.1f}  browsers {cpu['browsers']:.1f} ({pool})"
        )

    if args.crowd_only:
        crowd_rows(many, f"{n} concurrent visitors: all show a chart", f"pool {args.crowd_pool}")
        crowd_rows(room, f"  presented, --audience {n}: all show one", f"{n} preheated")
        return 0
    first = preheated["first visit"]
    row("preheated, first visit: first chart", first, "<= 1.5 s", max(first) <= GOAL_PREHEATED_S)
    row("  ... until its controls are live", preheated["first visit live"], "-", None)
    row("preheated, second visit (cache warm)", preheated["second visit"], "-", None)
    row("  ... until its controls are live", preheated["second visit live"], "-", None)
    for label in ("first visit", "second visit"):
        used = preheated[f"{label} cpu"]
        print(
            f"{f'  CPU s, {label}: server / kernels':<42}"
            f"{statistics.median(u['server'] for u in used):>9.2f}"
            f"{statistics.median(u['kernels'] for u in used):>8.2f}"
            f"  browsers {statistics.median(u['browsers'] for u in used):.2f} (medians)"
        )
    if args.visits_only:
        return 0
    row("no preheating, first visit", cold["first visit"], "-", None)
    row("  ... until its controls are live", cold["first visit live"], "-", None)
    row("no preheating, second visit", cold["second visit"], "-", None)
    crowd_rows(many, f"{n} concurrent visitors: all show a chart", f"pool {args.crowd_pool}")
    crowd_rows(room, f"  presented, --audience {n}: all show one", f"{n} preheated")
    ok = served["seconds"] <= GOAL_CONCURRENT_S and not served["without charts"]
    print(
        f"{f'  server part: {n} pages arrived with charts':<42}{served['seconds']:>9.2f}"
        f"{'':>16}  {'<= 10 s':<14}{verdict(ok)}"
        f"  (median {served['median']:.2f}; HTTP clients"
        + (f"; {served['busy']:.0f} got the busy page" if served["busy"] else "")
        + (f"; {served['without charts']:.0f} WITHOUT charts" if served["without charts"] else "")
        + ")"
    )
    print(
        f"{'  ... until every live page had arrived':<42}{served['live seconds']:>9.2f}{'':>16}"
        f"  ({served['waited']:.0f} read a waiting page until their kernel was ready)"
    )
    cpu = served["cpu"]
    print(
        f"{'  CPU seconds meanwhile: server / kernels':<42}"
        f"{cpu['server']:>9.1f}{cpu['kernels']:>8.1f}  (no browsers on this machine)"
    )
    ok = many["uss"] <= GOAL_KERNEL_MB
    print(
        f"{'memory per visitor kernel, MB (RSS / USS)':<42}{many['rss']:>9.0f}{many['uss']:>8.0f}"
        f"{'':>8}  {'<= 120 MB':<14}{verdict(ok)}"
    )
    if many["template"]:
        print(f"{'kernel template (held once), MB USS':<42}{many['template']:>17.0f}")
    ok = many["left"] <= many["pool"]
    goal = f"pool: {many['pool']:.0f}"
    print(
        f"{'kernels alive 30 s after visitors left':<42}{many['left']:>9.0f}{'':>16}"
        f"  {goal:<14}{verdict(ok)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

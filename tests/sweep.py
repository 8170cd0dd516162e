"""The browser sweep: run a notebook as a learner would and report everything a learner would see
wrong with it.

A learner opens a lesson, clicks *Run → Run All Cells* at once (without waiting for the kernel),
waits, then scrolls through the whole notebook. The sweep does exactly that in a real JupyterLab
(``qilab lab``) or a Voila page, then visits every cell — JupyterLab only lays out the cells near
the viewport, so the notebook is scrolled a screen at a time — and checks what is on screen:

* Run All ran something (a click that JupyterLab silently ignores is a failure);
* every code cell ran (none left ``[ ]`` behind an error);
* no output is a traceback, an "Error displaying widget", a JavaScript chart error, or text on
  stderr (the pink box a learner takes for a failure);
* every chart has drawn: an SVG at least 300 px wide and 100 px high with data marks (points,
  lines, bars…) beyond its axes, and a text description for screen readers.

Screenshots of every screenful that shows a chart go to ``.qilab/test-artifacts/sweep/`` for a
developer to look at (``python3 make.py test -m sweep`` runs the sweep alone).
"""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Smallest chart that counts as shown: a chart squeezed below this is unreadable.
MIN_CHART_WIDTH = 300
MIN_CHART_HEIGHT = 100

#: What a chart's aria-label says when its spec has neither description nor title: Vega's own
#: placeholder tells a screen-reader user nothing.
UNDESCRIBED = {"", "Vega visualization"}

#: JavaScript run in the page: facts about every cell and chart now laid out in the DOM.
COLLECT_JS = (Path(__file__).parent / "sweep_collect.js").read_text(encoding="utf-8")


@dataclass
class SweepReport:
    """What a learner met in one notebook."""

    name: str
    cells: dict[int, dict[str, Any]] = field(default_factory=dict)
    screenshots: list[Path] = field(default_factory=list)
    ran_anything: bool = True
    seconds: float = 0.0
    stuck_static: bool = False

    @property
    def charts(self) -> list[dict[str, Any]]:
        return [chart for cell in self.cells.values() for chart in cell["charts"]]

    def problems(self) -> list[str]:
        """Everything a learner would see as broken, one line each (empty: all is well)."""
        found: list[str] = []
        if not self.ran_anything:
            found.append("Run All did nothing: every code cell stayed [ ] and nothing said why")
        if self.stuck_static:
            found.append("the live widgets never replaced the page's static rendering in 120 s")
        for index, cell in sorted(self.cells.items()):
            where = f"cell {index} ({cell['source'][:40]!r})"
            if cell["kind"] == "code" and cell["prompt"] in {"[ ]:", "[*]:"} and cell["source"]:
                found.append(f"{where} did not run (prompt {cell['prompt']})")
            found += [f"{where} shows an error: {text}" for text in cell["errors"]]
            found += [f"{where} printed to stderr: {text}" for text in cell["stderr"]]
            for n, chart in enumerate(cell["charts"]):
                what = f"{where} chart {n + 1}"
                if chart["renderer"] != "svg":
                    found.append(f"{what} has no SVG drawing (renderer {chart['renderer']})")
                if chart["width"] < MIN_CHART_WIDTH or chart["height"] < MIN_CHART_HEIGHT:
                    size = f"{chart['width']}×{chart['height']} px"
                    found.append(f"{what} is {size} (blank or squeezed)")
                if chart["marks"] == 0:
                    found.append(f"{what} has axes but no data marks")
                if chart["renderer"] == "svg" and chart["label"].strip() in UNDESCRIBED:
                    found.append(f"{what} has no text description (aria-label) for screen readers")
        return found


#: Resolves after two animation frames: the browser has laid out and painted what changed.
NEXT_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def _wait_for_charts(page: Any, timeout: float = 20.0) -> None:
    """Give widgets and charts now in the DOM time to draw (both render asynchronously)."""
    page.wait_for_function(
        """() => !document.body.innerText.includes('Loading widget...')
                 && Array.from(document.querySelectorAll('.vega-embed'))
                 .every(e => e.querySelector('svg, canvas') || e.textContent.includes('Error'))""",
        timeout=timeout * 1000,
    )


def visit_every_cell(
    page: Any, report: SweepReport, shots: Path | None, scroller: str, root: str = ""
) -> None:
    """Scroll ``scroller`` a screen at a time, collecting every cell and chart laid out."""
    page.evaluate(f"() => {{ document.querySelector({scroller!r}).scrollTop = 0; }}")
    step = 0
    while True:
        # JupyterLab lays out the cells scrolled into view (its notebook is windowed) on the
        # next animation frames; then every chart in the DOM gets its time to draw.
        page.wait_for_timeout(150)
        page.evaluate(NEXT_FRAMES_JS)
        # a chart that never draws is reported by the collection below
        with contextlib.suppress(Exception):
            _wait_for_charts(page)
        page.evaluate(NEXT_FRAMES_JS)
        seen = page.evaluate(COLLECT_JS, root)
        for cell in seen:
            known = report.cells.get(cell["index"])
            # keep the richest view of a cell (it may have been half laid out at a screen edge)
            if known is None or len(cell["charts"]) >= len(known["charts"]):
                report.cells[cell["index"]] = cell
        charts_in_view = any(c["visible"] for cell in seen for c in cell["charts"])
        if shots is not None and charts_in_view and len(report.screenshots) < 8:
            shot = shots / f"{report.name}-{step:02d}.png"
            page.screenshot(path=str(shot))
            report.screenshots.append(shot)
        at_end = page.evaluate(
            f"""() => {{ const s = document.querySelector({scroller!r});
                 if (s.scrollTop + s.clientHeight >= s.scrollHeight - 2) return true;
                 s.scrollTop += Math.floor(s.clientHeight * 0.75); return false; }}"""
        )
        if at_end:
            break
        step += 1


def _kernel_state(server: Any, notebook: str) -> tuple[str, int] | None:
    with urllib.request.urlopen(server.url("api/sessions"), timeout=10) as response:
        sessions = json.load(response)
    for session in sessions:
        if session["path"].endswith(notebook) and session.get("kernel"):
            kernel = session["kernel"]
            return kernel["execution_state"], kernel.get("connections", 0)
    return None


def run_all_in_lab(
    page: Any, server: Any, notebook: str, shots: Path | None, timeout: float = 600.0
) -> SweepReport:
    """Open ``notebook`` (a path under the served root) in JupyterLab and Run All at once."""
    report = SweepReport(name=re.sub(r"[^A-Za-z0-9]+", "-", notebook.removesuffix(".ipynb")))
    started = time.monotonic()
    # ?reset: a clean workspace, so no tab from an earlier visit is restored beside this one
    page.goto(server.url(f"lab/tree/{notebook}?reset"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
    # As a learner does: straight to the menu, not waiting for the kernel to start.
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()

    deadline = started + timeout
    busy_seen = False
    idle_since: float | None = None
    while time.monotonic() < deadline:
        state = _kernel_state(server, notebook)
        prompts = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputPrompt")
        texts = prompts.all_inner_texts()
        running = any("*" in t for t in texts)
        executed = any(re.search(r"\[\d+\]", t) for t in texts)
        busy_seen = busy_seen or running or executed or (state is not None and state[0] == "busy")
        if state is not None and state[0] == "idle" and state[1] and not running:
            idle_since = idle_since or time.monotonic()
            # idle for 3 s after work, or 20 s with nothing ever happening: finished
            if (busy_seen and time.monotonic() - idle_since > 3) or (
                time.monotonic() - idle_since > 20
            ):
                break
        else:
            idle_since = None
        time.sleep(1)
    report.seconds = time.monotonic() - started
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    visit_every_cell(page, report, shots, f"{panel} .jp-WindowedPanel-outer", root=panel)
    report.ran_anything = any(
        re.fullmatch(r"\[\d+\]:", c["prompt"]) for c in report.cells.values() if c["kind"] == "code"
    )
    return report


def open_in_voila(page: Any, url: str, name: str, shots: Path | None) -> SweepReport:
    """Open a Voila page (the notebook already runs on the server) and check what shows."""
    report = SweepReport(name=name)
    started = time.monotonic()
    # Voila streams the page while the notebook runs (minutes when the server has just started
    # and is preheating every case), so the navigation itself gets a visitor's patience.
    page.goto(url, timeout=300_000)
    # Voila shows the page once every cell has run; widgets then render in the browser.
    page.wait_for_selector(".jp-OutputArea-output, .jp-RenderedHTMLCommon", timeout=300_000)
    page.wait_for_load_state("networkidle")
    # A case page first shows its own static rendering of each widget (qilab.cases.prerender);
    # what is checked here is the live page, once every widget has replaced it.
    try:
        page.wait_for_function("!document.querySelector('.qilab-prerender')", timeout=120_000)
    except Exception:  # reported below as what the visitor was left with
        report.stuck_static = True
    report.seconds = time.monotonic() - started
    visit_every_cell(page, report, shots, "html", root="body")
    return report

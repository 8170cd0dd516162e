"""Every lesson, and the start page, runs top to bottom headlessly, offline, without a warning.

Each notebook runs in its own kernel through ``run_notebook.py`` (a subprocess), two at a time
to use both cores, with connections off this machine refused and logged. A lesson passes only
if no cell fails, nothing is written to stderr (a warning in a lesson is a bug a learner sees)
and nothing tried to reach the internet.

The charts those runs drew (every ``JupyterChart``, simulations' included) are then drawn again
in Chromium and read as a person reads them: no label cut short by Vega's label limit or by the
chart's edge, no percentage axis counting below 0 or past 100, no fractional ticks on an axis of
numbered points (draw 1.4), every chart described in words and every SPC or run chart naming
the rules it applied.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from chart_render import Axis, Drawn, chart_problems, draw

from qilab.curriculum import current_learner, load_manifest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_notebook.py")
ARTIFACTS = REPO / ".qilab" / "test-artifacts"
LESSONS = [m.lesson for m in load_manifest(REPO).modules]
NOTEBOOKS = ["START.ipynb", *LESSONS]


def run_notebook(path: Path, env: dict[str, str] | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, str(RUNNER), str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    if done.returncode != 0:
        return {"ok": False, "error": done.stderr[-3000:], "stderr": [], "network": []}
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def results(tmp_path_factory, course_copier, make_gradebook, marked) -> dict[str, dict]:
    """Run every notebook once (two at a time), for the tests below to inspect.

    The start page runs in a copy of the course whose gradebook says that this user passed
    one module, so its progress table is checked against real nbgrader data.
    """
    academy = course_copier(tmp_path_factory.mktemp("start") / "academy")
    make_gradebook(
        academy / ".qilab" / "gradebook.db",
        {(current_learner(), "foundation_systems"): marked(8, 10)},
    )
    start_env = {**os.environ, "QILAB_ROOT": str(academy)}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_notebook, REPO / "curriculum" / name) for name in LESSONS}
        futures["START.ipynb"] = pool.submit(
            run_notebook, academy / "curriculum" / "START.ipynb", start_env
        )
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_offline_and_quietly(results, notebook):
    result = results[notebook]
    assert result["ok"], f"{notebook} failed:\n{result['error']}"
    assert result["stderr"] == [], f"{notebook} wrote to stderr:\n" + "\n".join(result["stderr"])
    assert result["network"] == [], f"{notebook} tried to reach {result['network']}"


def test_chart_problems_sees_each_defect():
    """The sweep below can fail: each defect it looks for, drawn by hand, is named."""
    drawn = Drawn(
        axes=[
            Axis("Y-axis", ["Utilisation (%)"], ["0", "60", "120"]),
            Axis("X-axis titled 'Draw'", ["Draw"], ["1.0", "1.4", "1.8"]),
        ],
        texts=["Skin inspection missed or…"],
        clipped=["Apr–Dec 2024"],
    )
    spec = {
        "description": "I chart of waits, 20 points",
        "encoding": {"x": {"field": "x", "type": "quantitative"}},
        "datasets": {"points": [{"x": 1}, {"x": 2}, {"x": 3}]},
    }
    found = " ".join(chart_problems(drawn, spec))
    assert "cut short" in found and "past the chart's edge" in found
    assert "runs 0 to 120" in found
    assert "no text description" in found and "names no rule set" in found
    assert "numbers whole points with ticks [1.4, 1.8]" in found


@pytest.mark.browser
def test_every_lesson_chart_reads_in_full(results, page):
    """Every chart in every lesson, drawn in Chromium: labels whole, percentages 0–100."""
    shots = ARTIFACTS / "lesson-charts"
    problems, drawn_by_lesson = [], {}
    for name in NOTEBOOKS:
        specs = [chart["spec"] for chart in results[name].get("charts", [])]
        shot = shots / (name.replace("/", "-").removesuffix(".ipynb") + ".png")
        drawn_by_lesson[name] = drawn = draw(page.page, specs, shot)
        for i, (one, spec) in enumerate(zip(drawn, specs, strict=True)):
            problems += [f"{name}, chart {i + 1}: {p}" for p in chart_problems(one, spec)]
    assert sum(len(d) for d in drawn_by_lesson.values()) >= 30  # the sweep saw the charts
    assert problems == [], "\n".join(problems)
    assert page.external_requests() == []

    # The defects a doctor met on the walk, each checked where it was met.
    flow = drawn_by_lesson["practitioner/systems.ipynb"]
    days = next(d for d in flow if "Day of the simulated week" in d.texts).axis(
        "Day of the simulated week"
    )
    assert days.labels == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    curve = next(d for d in flow if "Utilisation of the bottleneck (%)" in d.texts)
    assert max(curve.axis("Utilisation of the bottleneck (%)").numbers()) == 100
    wards = drawn_by_lesson["foundation/codesign.ipynb"][0]
    assert {"Ash Ward", "Beech Ward", "Cedar Ward", "Apr–Dec 2024", "Jan–Mar 2025"} <= set(
        wards.texts
    )
    assert not any(axis.slanted for axis in wards.axes)  # level labels, read without a tilt


def test_start_page_shows_the_learners_real_progress(results):
    outputs = "\n".join(results["START.ipynb"]["outputs"])
    assert "qilab-progress" in outputs, outputs[:2000]  # the table, not an error message
    assert f"Progress for {current_learner()}" in outputs
    assert "✔ passed (80 % final; pass mark 50 %)" in outputs  # foundation_systems, marked
    assert 'Suggested next: <a href="foundation/measurement.ipynb">' in outputs


def test_the_offline_guard_really_refuses_the_internet(tmp_path):
    """Without this, 'no network' above would pass vacuously."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import urllib.request\n"
            "try:\n"
            "    urllib.request.urlopen('https://cdn.jsdelivr.net/npm/vega@5', timeout=5)\n"
            "except OSError as exc:\n"
            "    print('refused:', exc)"
        )
    ]
    path = tmp_path / "online.ipynb"
    nbformat.write(nb, path)
    result = run_notebook(path)
    assert result["ok"], result["error"]
    assert result["network"] and "cdn.jsdelivr.net" in result["network"][0]
    assert any("refused" in text for text in result["outputs"])

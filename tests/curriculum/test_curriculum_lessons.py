"""Every lesson, and the start page, runs top to bottom headlessly, offline, without a warning.

Each notebook runs in its own kernel through ``run_notebook.py`` (a subprocess), two at a time
to use both cores, with connections off this machine refused and logged. A lesson passes only
if no cell fails, nothing is written to stderr (a warning in a lesson is a bug a learner sees)
and nothing tried to reach the internet.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qilab.curriculum import current_learner, load_manifest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

REPO = Path(__file__).resolve().parents[2]
RUNNER = Path(__file__).with_name("run_notebook.py")
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

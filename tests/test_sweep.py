"""The browser sweep: every lesson, START and every case, Run All once, as a new doctor would.

JupyterLab: the real ``qilab lab`` (session fixture ``lab_server``); each notebook is opened in a
fresh tab, *Run All Cells* is clicked from the menu at once, and every cell is then visited (see
``sweep.py`` for what counts as broken). The Voila half is ``cases/test_sweep_voila.py``.
Screenshots: ``.qilab/test-artifacts/sweep/``.

Run it alone with ``python3 make.py test -m sweep``.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from sweep import run_all_in_lab

from qilab.cases import load_cases

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sweep]

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / ".qilab" / "test-artifacts" / "sweep"
NOTEBOOKS = [
    "curriculum/START.ipynb",
    *sorted(
        p.relative_to(REPO).as_posix()
        for p in (REPO / "curriculum").rglob("*.ipynb")
        if p.name != "START.ipynb" and ".ipynb_checkpoints" not in p.parts
    ),
]


def _shut_down_kernels(server) -> None:
    """Each notebook gets a fresh kernel: end the sessions a test opened."""
    with urllib.request.urlopen(server.url("api/sessions")) as response:
        sessions = json.load(response)
    for session in sessions:
        url = server.url(f"api/sessions/{session['id']}")
        urllib.request.urlopen(urllib.request.Request(url, method="DELETE")).close()


def _shots(kind: str) -> Path:
    folder = SHOTS / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_sweep_covers_every_lesson_and_case():
    levels = {Path(n).parts[1] for n in NOTEBOOKS}
    assert {"foundation", "practitioner", "advanced", "cases"} <= levels
    assert len([n for n in NOTEBOOKS if "/cases/" in n]) == len(load_cases())


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda n: n.removeprefix("curriculum/"))
def test_run_all_in_jupyterlab_shows_every_chart_and_no_error(lab_server, page, notebook):
    try:
        report = run_all_in_lab(page.page, lab_server, notebook, _shots("lab"))
    finally:
        _shut_down_kernels(lab_server)
    problems = report.problems()
    assert not problems, f"{notebook} ({report.seconds:.0f}s):\n" + "\n".join(problems)
    assert report.cells, "no cell was seen"
    if "/cases/" in notebook or "measurement" in notebook or "START" in notebook:
        assert report.charts, f"{notebook} shows no chart at all"
    assert page.errors == []
    assert page.external_requests() == []

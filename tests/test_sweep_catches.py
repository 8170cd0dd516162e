"""The browser sweep's own check: shown a page with known faults, it names each one.

The sweep (sweep.py) is what stands between a learner and a blank chart; if its collection
script stopped seeing charts (a new vega-embed layout, a renamed class), every lesson would
"pass" with nothing checked. So it is run here on a notebook built to be wrong in known ways,
served by a real Voila and drawn by the real offline renderer, and must report exactly those
faults — and nothing against the one good chart beside them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from servers import voila
from sweep import open_in_voila

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CELLS = [
    "import altair as alt\nimport pandas as pd\nimport qilab\n"
    "good = pd.DataFrame({'week': range(12), 'wait': [5, 6, 5, 7, 6, 5, 4, 5, 6, 5, 4, 5]})",
    # 1. a chart that draws its axes but no data (the empty frame of the last round)
    "alt.Chart(pd.DataFrame({'week': [], 'wait': []})).mark_line()"
    ".encode(x='week:Q', y='wait:Q').properties(width=400, description='Empty chart')",
    # 2. a chart squeezed too narrow to read
    "alt.Chart(good).mark_line(point=True).encode(x='week:Q', y='wait:Q')"
    ".properties(width=80, height=60, description='Squeezed chart')",
    # 3. a chart with nothing for a screen reader (Vega labels it "Vega visualization")
    "alt.Chart(good).mark_line(point=True).encode(x='week:Q', y='wait:Q').properties(width=400)",
    # a good chart: nothing may be said against it
    "alt.Chart(good).mark_line(point=True).encode(x='week:Q', y='wait:Q')"
    ".properties(width=400, description='Wait in days for 12 weeks')",
]


def test_the_sweep_names_each_planted_fault_and_nothing_else(tmp_path: Path, page) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    path = tmp_path / "faults.ipynb"
    nbformat.write(notebook, path)
    with voila(tmp_path, path) as server:
        report = open_in_voila(page.page, server.url(""), "faults", None)
    problems = report.problems()
    charts = report.charts
    assert len(charts) == 4, charts
    by_kind = {
        "no data marks": [p for p in problems if "has axes but no data marks" in p],
        "squeezed": [p for p in problems if "(blank or squeezed)" in p],
        "no description": [p for p in problems if "no text description" in p],
    }
    assert all(len(found) == 1 for found in by_kind.values()), problems
    assert len(problems) == 3, problems
    good = next(c for c in charts if c["label"].startswith("Wait in days"))
    assert good["marks"] > 0 and good["width"] >= 300

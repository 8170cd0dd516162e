"""The README's own-data example, run verbatim in a real kernel as a doctor would paste it."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


def write_ward_export(path: Path) -> None:
    """An export as a ward's spreadsheet gives it: a title row, UK dates as text, a blank column."""
    weeks = pd.date_range("2024-01-07", periods=20, freq="W").strftime("%d/%m/%Y")
    table = pd.DataFrame(
        {
            "Week ending": weeks,
            "Falls": [3, 4, 2, 5, 3, 4, 6, 2, 3, 4, 2, 1, 2, 1, 1, 2, 0, 1, 2, 1],
            "Comment": [""] * 20,
        }
    )
    with pd.ExcelWriter(path) as sheet:
        pd.DataFrame([["Ward 7 falls (synthetic)"]]).to_excel(sheet, index=False, header=False)
        table.to_excel(sheet, index=False, startrow=2)


def test_the_readme_has_the_own_data_example():
    blocks = python_blocks((REPO / "README.md").read_text())
    assert any("datasets.read(" in b and "qic(" in b and ".save(" in b for b in blocks)


@pytest.mark.parametrize("block", python_blocks((REPO / "README.md").read_text()))
def test_readme_python_examples_run_verbatim(block, tmp_path):
    write_ward_export(tmp_path / "my_export.xlsx")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(block)])
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    ).execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.get("name") == "stderr"], outputs
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    if "datasets.read(" in block:
        assert "Your file was not changed" in text and "Week ending: date" in text
        assert "C chart of Falls, 20 points from 7 January 2024" in text
        assert "3 March 2024: PDSA 1" in text  # the UK-dated note landed on its week
        shown = [o for o in outputs if o.output_type in ("display_data", "execute_result")]
        assert any("application/vnd.jupyter.widget-view+json" in o.data for o in shown), [
            list(o.data) for o in shown
        ]
        png = (tmp_path / "falls_run_chart.png").read_bytes()
        assert png[:4] == b"\x89PNG" and int.from_bytes(png[16:20], "big") >= 1600

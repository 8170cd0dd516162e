"""Validate's plain words for each way a name can be missing (qilab.grading.explain).

Notebooks are built as nbgrader leaves them after running from the top (error outputs as
ipykernel writes them); the real run is in tests/test_validate.py.
"""

from __future__ import annotations

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from qilab.grading.explain import explain


def ran(source: str, ename: str = "", evalue: str = "", tb: list[str] | None = None, **nbg):
    outputs = []
    if ename:
        outputs = [new_output("error", ename=ename, evalue=evalue, traceback=tb or [])]
    cell = new_code_cell(source, outputs=outputs)
    if nbg:
        cell.metadata["nbgrader"] = nbg
    return cell


def missing(name: str):
    return ran(f"assert {name} > 0", "NameError", f"name '{name}' is not defined", grade=True)


def words(text: str | None) -> str:
    assert text is not None
    return " ".join(text.split())


def test_a_name_set_only_further_down_says_validate_runs_from_the_top():
    nb = new_notebook(
        cells=[
            new_markdown_cell("## Question 1 · Baseline"),
            missing("baseline"),
            new_markdown_cell("## Scratch"),
            ran("baseline = 3"),
        ]
    )
    text = words(explain(nb, 1))
    assert "set only further down, in the cell under “Scratch”" in text
    assert "runs your notebook from the top" in text


def test_a_name_set_nowhere_suggests_the_close_spelling_and_how_to_see_what_validate_sees():
    nb = new_notebook(cells=[ran("base_line = 3", solution=True), missing("baseline")])
    text = words(explain(nb, 1))
    assert "no cell above it sets `baseline` (did you mean `base_line`?)" in text
    assert "Kernel → Restart Kernel and Run All Cells" in text


def test_a_cell_that_failed_on_another_missing_name_points_to_the_first_failure():
    nb = new_notebook(
        cells=[
            ran("total = base + 1", "NameError", "name 'base' is not defined", solution=True),
            missing("total"),
        ]
    )
    text = words(explain(nb, 1))
    assert "uses `base`, which is not set either" in text
    assert "fix the first cell that fails, from the top" in text


def test_other_errors_in_an_answer_name_the_line():
    tb = [
        "\x1b[36mCell\x1b[39m \x1b[32mIn[4], line 2\x1b[39m\n",
        "ZeroDivisionError: division by zero",
    ]
    nb = new_notebook(
        cells=[
            ran("a = 1\nrate = a / 0", "ZeroDivisionError", "division by zero", tb, solution=True),
            missing("rate"),
        ]
    )
    text = words(explain(nb, 1))
    assert "stopped on its line 2 with ZeroDivisionError (division by zero)" in text


def test_a_wrong_answer_keeps_the_checks_own_message_and_a_passed_cell_has_none():
    wrong = ran("assert x == 2, 'x should be 2'", "AssertionError", "x should be 2", grade=True)
    nb = new_notebook(cells=[ran("x = 1"), wrong])
    assert explain(nb, 1) == "The check says: x should be 2."
    assert explain(nb, 0) is None

"""The preprocessors the course config adds to nbgrader, against nbgrader's own classes."""

from __future__ import annotations

import nbformat
import pytest
from nbgrader.nbgraderformat import SchemaTooOldError
from nbgrader.preprocessors import CheckCellMetadata
from nbgrader.preprocessors import DeduplicateIds as NbgraderDeduplicateIds
from nbgrader.utils import determine_grade
from qilab.grading.preprocessors import DeduplicateIds, FairWarnings, split_warnings

PANDAS_WARNING = (
    "/srv/qilab/answer.py:12: SettingWithCopyWarning: \n"
    "A value is trying to be set on a copy of a slice from a DataFrame.\n"
    "Try using .loc[row_indexer,col_indexer] = value instead\n"
    "  df['rate'] = df['falls'] / df['bed_days']\n"
)
ALTAIR_WARNING = (
    "/venv/altair/utils/deprecation.py:65: AltairDeprecationWarning: 'selection_single' is "
    "deprecated.\n  warnings.warn(message, AltairDeprecationWarning, stacklevel=1)\n"
)


def graded_cell(outputs: list[dict], points: float = 2) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(
        "assert rate == 0.5",
        metadata={
            "nbgrader": {
                "grade": True,
                "grade_id": "t",
                "locked": True,
                "points": points,
                "schema_version": 3,
                "solution": False,
                "task": False,
            }
        },
    )
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def stderr(text: str) -> dict:
    return {"output_type": "stream", "name": "stderr", "text": text}


def fair(cell: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = FairWarnings().preprocess(nb, {})
    return nb.cells[0]


@pytest.mark.parametrize("warning", [PANDAS_WARNING, ALTAIR_WARNING])
def test_a_warning_on_stderr_no_longer_fails_a_correct_answer(warning):
    cell = graded_cell([stderr(warning)])
    assert determine_grade(cell)[0] == 0  # nbgrader's own rule: any stderr fails the cell
    fixed = fair(cell)
    assert determine_grade(fixed)[0] == 2
    assert fixed.outputs[0].name == "stdout" and "Warning" in fixed.outputs[0].text


def test_a_warning_split_over_chunks_is_still_a_warning():
    cell = graded_cell([stderr(PANDAS_WARNING[:30]), stderr(PANDAS_WARNING[30:])])
    assert determine_grade(fair(cell))[0] == 2


def test_real_errors_on_stderr_still_fail_as_nbgrader_intends():
    cell = graded_cell([stderr("Traceback: boom\n" + ALTAIR_WARNING)])
    fixed = fair(cell)
    assert determine_grade(fixed)[0] == 0
    assert [o.name for o in fixed.outputs] == ["stderr", "stdout"]
    assert fixed.outputs[0].text == "Traceback: boom\n"


def test_partial_credit_survives_the_move():
    result = {
        "output_type": "execute_result",
        "data": {"text/plain": "1.5"},
        "metadata": {},
        "execution_count": 1,
    }
    assert determine_grade(fair(graded_cell([stderr(ALTAIR_WARNING), result])))[0] == 1.5


def test_split_warnings_keeps_text_before_the_first_warning():
    before, warned = split_warnings("note\n" + ALTAIR_WARNING)
    assert before == "note\n" and warned.startswith("/venv/altair")


def duplicated_notebook() -> nbformat.NotebookNode:
    first, copy = graded_cell([]), graded_cell([])
    return nbformat.v4.new_notebook(cells=[first, nbformat.v4.new_code_cell("x = 1"), copy])


def test_nbgraders_deduplication_makes_a_pasted_test_cell_unmarkable():
    # The bug worked around: nbgrader leaves `nbgrader: {}` and then rejects it.
    nb, _ = NbgraderDeduplicateIds().preprocess(duplicated_notebook(), {})
    with pytest.raises(SchemaTooOldError):
        CheckCellMetadata().preprocess(nb, {})


def test_deduplication_keeps_the_last_copy_and_passes_nbgraders_checks():
    nb, _ = DeduplicateIds().preprocess(duplicated_notebook(), {})
    CheckCellMetadata().preprocess(nb, {})
    graded = [i for i, c in enumerate(nb.cells) if "nbgrader" in c.metadata]
    assert graded == [2]  # nbgrader's rule: the last cell with the id is the one marked

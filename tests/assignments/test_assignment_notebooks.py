"""Every assignment's source notebook is a well-formed nbgrader assignment for its module.

Fast checks on the committed notebooks (no kernel, no nbgrader run): one assignment per module,
nbgrader metadata that nbgrader accepts, partial credit through several graded cells, hidden tests
in every autograded cell, a rubric in every reflective answer, marks that add up, and learning
outcomes that exist in the curriculum manifest and are all assessed.
"""

from __future__ import annotations

import pytest

from .course import (
    HEADER,
    HIDDEN,
    MANIFEST,
    MODULES,
    RUBRIC,
    RUBRIC_ITEM,
    SOLUTION,
    SOURCE,
    Manifest,
    is_autograded_test,
    is_graded,
    is_manual_answer,
    nbgrader_meta,
    notebook_path,
    outcomes,
    points,
    read,
)


@pytest.fixture(scope="module")
def manifest() -> Manifest:
    if not MANIFEST.is_file():
        pytest.fail(f"{MANIFEST} is missing: the outcome tags are checked against it.")
    return Manifest.load()


def test_one_assignment_per_module_and_nothing_else():
    folders = sorted(p.name for p in SOURCE.iterdir() if p.is_dir())
    assert folders == sorted(MODULES)
    for module in MODULES:
        files = sorted(p.name for p in (SOURCE / module).iterdir())
        # nbgrader releases every file in the folder: nothing but the notebook may live here.
        assert files == [f"{module}.ipynb"], f"{module}: unexpected files {files}"


def test_manifest_names_the_same_twelve_modules(manifest):
    assert sorted(manifest.outcomes) == sorted(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_cells_carry_valid_nbgrader_metadata(module):
    nb = read(notebook_path(module))
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.kernelspec.language == "python"
    grade_ids = []
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        assert meta, f"{module}: every cell is an nbgrader cell: {cell.source[:60]!r}"
        assert meta["schema_version"] == 3
        grade_ids.append(meta["grade_id"])
        if is_autograded_test(cell):
            assert meta["locked"], f"{module}/{meta['grade_id']}: test cells must be locked"
        elif meta["solution"]:
            assert not meta["locked"], f"{module}/{meta['grade_id']}: answers must be editable"
            assert SOLUTION.search(cell.source), f"{module}/{meta['grade_id']}: no solution region"
        else:
            assert meta["locked"], f"{module}/{meta['grade_id']}: instructions are read-only"
    assert len(grade_ids) == len(set(grade_ids)), f"{module}: duplicated grade_id"


@pytest.mark.parametrize("module", MODULES)
def test_partial_credit_with_visible_and_hidden_tests(module):
    nb = read(notebook_path(module))
    tests = [c for c in nb.cells if is_autograded_test(c)]
    assert len(tests) >= 5, f"{module}: split the automatic marks over several graded cells"
    for cell in tests:
        gid = nbgrader_meta(cell)["grade_id"]
        assert points(cell) > 0
        assert len(HIDDEN.findall(cell.source)) == 1, f"{module}/{gid}: one hidden-test region"
        visible = HIDDEN.sub("", cell.source)
        assert "assert" in visible, f"{module}/{gid}: the learner should see a check too"
        assert "print(" not in cell.source, f"{module}/{gid}: test cells stay silent"


@pytest.mark.parametrize("module", MODULES)
def test_reflective_answers_have_a_rubric_worth_their_points(module):
    nb = read(notebook_path(module))
    answers = [c for c in nb.cells if is_manual_answer(c)]
    assert answers, f"{module}: at least one reflective answer marked by the tutor"
    for cell in answers:
        gid = nbgrader_meta(cell)["grade_id"]
        (region,) = SOLUTION.findall(cell.source)
        assert SOLUTION.sub("", cell.source).strip() == "", (
            f"{module}/{gid}: the whole answer cell is the model answer (the question is above)"
        )
        rubric = RUBRIC.search(region)
        assert rubric, f"{module}/{gid}: no '**Marking rubric (tutor only, N marks).**'"
        items = sum(int(n) for n in RUBRIC_ITEM.findall(region[rubric.end() :]))
        assert int(rubric.group(1)) == items == points(cell), (
            f"{module}/{gid}: rubric says {rubric.group(1)}, its items add to {items}, "
            f"the cell is worth {points(cell)}"
        )


@pytest.mark.parametrize("module", MODULES)
def test_the_marks_the_learner_is_told_add_up(module):
    nb = read(notebook_path(module))
    told = HEADER.search(nb.cells[0].source)
    assert told, f"{module}: the first cell says how many marks the assignment is worth"
    total, automatic, tutor = (int(x) for x in told.groups())
    auto = sum(points(c) for c in nb.cells if is_autograded_test(c))
    manual = sum(points(c) for c in nb.cells if is_manual_answer(c))
    assert (total, automatic, tutor) == (auto + manual, auto, manual)


@pytest.mark.parametrize("module", MODULES)
def test_graded_cells_are_tagged_with_the_modules_outcomes(module, manifest):
    nb = read(notebook_path(module))
    known = manifest.outcomes[module]
    assessed: set[str] = set()
    for cell in nb.cells:
        gid = nbgrader_meta(cell)["grade_id"]
        tags = outcomes(cell)
        if not is_graded(cell):
            assert not tags, f"{module}/{gid}: only graded cells carry outcomes"
            continue
        assert tags, f"{module}/{gid}: tag the cell with the outcomes it assesses"
        unknown = set(tags) - known
        assert not unknown, f"{module}/{gid}: {sorted(unknown)} are not outcomes of {module}"
        assessed |= set(tags)
    assert assessed == known, f"{module}: outcomes never assessed: {sorted(known - assessed)}"

"""The escalator's one pass rule: final marks, pass marks, outcome minimums, prerequisites, levels.

The same :func:`qilab.escalator.rules.evaluate` decides for ``qilab progress`` and the tutor's
reports; these tests pin the rule itself, then check ``qilab progress`` applies it to a real
gradebook and ``qilab check curriculum`` validates the outcome minimums an academy sets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qilab.curriculum import progress
from qilab.curriculum.check import check_course
from qilab.escalator import ModuleMarks, evaluate, load_manifest, module_marks, validate
from qilab.escalator.manifest import ManifestError
from qilab.escalator.rules import CellMark

REPO = Path(__file__).resolve().parents[2]
FOUNDATION = [
    "foundation_systems",
    "foundation_measurement",
    "foundation_pdsa",
    "foundation_codesign",
]


@pytest.fixture(scope="module")
def manifest():
    return load_manifest(REPO)


def good(percent: float = 80.0) -> ModuleMarks:
    return ModuleMarks(score=percent / 10, max_score=10)


def test_a_level_is_complete_only_when_every_module_of_it_is(manifest):
    three = {m: good() for m in FOUNDATION[:3]}
    standing = evaluate(manifest, "ann", three)
    assert standing.completed == FOUNDATION[:3]
    assert standing.completed_levels == []  # 3 of 4 is not the level
    four = evaluate(manifest, "ann", {m: good() for m in FOUNDATION})
    assert four.completed_levels == ["foundation"]


def test_pending_marks_never_complete_a_module_however_high(manifest):
    waiting = ModuleMarks(score=9, max_score=10, pending=("reflection",), pending_marks=1)
    standing = evaluate(
        manifest, "ann", {**{m: good() for m in FOUNDATION[1:]}, FOUNDATION[0]: waiting}
    )
    result = standing.module(FOUNDATION[0])
    assert result.status == "awaiting marking" and result.mark_state == "provisional"
    assert result.detail() == "awaiting tutor marking: reflection (1 marks)"
    assert standing.completed_levels == []


def test_practitioner_without_foundation_is_not_complete(manifest):
    practitioner = [m.id for m in manifest.at_level("practitioner")]
    standing = evaluate(manifest, "ben", {m: good() for m in practitioner})
    assert standing.completed == []
    systems = standing.module("practitioner_systems")
    assert systems.status == "prerequisites not complete" and systems.passed_marks
    assert systems.missing_prerequisites == ("foundation_systems", "foundation_measurement")
    assert standing.completed_levels == []
    everything = evaluate(manifest, "ben", {m: good() for m in [*FOUNDATION, *practitioner]})
    assert everything.completed_levels == ["foundation", "practitioner"]


def test_the_pass_mark_is_at_least_and_outcome_minimums_bite(manifest):
    module = manifest.module("foundation_measurement")
    assert module.pass_mark == 50
    exactly = evaluate(manifest, "c", {module.id: good(50)}).module(module.id)
    assert exactly.status == "passed"
    below = evaluate(manifest, "c", {module.id: good(49.9)}).module(module.id)
    assert below.status == "below pass mark"


def test_module_marks_add_up_cells_penalties_and_outcomes_once():
    cells = [
        CellMark("nb", "median", 2, 2, False, ("m.3",)),
        CellMark("nb", "crossings", 0, 8, False, ("m.4",)),
        CellMark("nb", "other", 7, 7, False, ("m.3",)),
        CellMark("nb", "reflection", 0, 3, True, ("m.5",)),
    ]
    marks = module_marks(cells, 20, {"nb": 1.5})
    assert marks.score == 7.5 and marks.late_penalty == 1.5 and not marks.final
    assert marks.outcomes == {"m.3": (9.0, 9.0), "m.4": (0.0, 8.0)}  # m.5 pending: left out
    capped = module_marks([CellMark("nb", "t", 1, 5, False)], 5, {"nb": 4})
    assert capped.score == 0 and capped.late_penalty == 1  # never below zero


def test_an_outcome_minimum_in_the_manifest_fails_a_lopsided_pass(course):
    path = course / "curriculum" / "escalator.yaml"
    text = path.read_text()
    anchor = "      - id: foundation_measurement.4\n"
    path.write_text(text.replace(anchor, anchor + "        minimum: 40\n"))
    manifest = load_manifest(course)
    outcome = manifest.module("foundation_measurement").outcome("foundation_measurement.4")
    assert outcome.minimum == 40
    # 9 of 17: a pass overall, but 0 of 8 on the run chart rules
    lopsided = ModuleMarks(9, 17, outcomes={"foundation_measurement.4": (0.0, 8.0)})
    result = evaluate(manifest, "d", {"foundation_measurement": lopsided}).module(
        "foundation_measurement"
    )
    assert result.status == "below outcome minimum"
    assert result.detail() == (
        "outcome(s) below their minimum: foundation_measurement.4 0 % (minimum 40 %)"
    )


@pytest.mark.parametrize(
    ("where", "value"),
    [("outcome_minimum", 150), ("outcome_minimum", "high"), ("outcome_minimum", True)],
)
def test_bad_outcome_minimums_are_named_with_their_fix(manifest, where, value):
    import yaml

    raw = yaml.safe_load((REPO / "curriculum" / "escalator.yaml").read_text())
    raw[where] = value
    raw["modules"][0]["outcomes"][0]["minimum"] = -1
    raw["modules"][1]["outcomes"][0]["minimum_mark"] = 5
    problems = [str(p) for p in validate(raw)]
    assert any(p.startswith(f"{where}: is {value!r}, a percentage from 0 to 100") for p in problems)
    assert any("modules[0] (foundation_systems).outcomes[0].minimum: is -1" in p for p in problems)
    assert any("outcomes[0].minimum_mark: unknown key" in p for p in problems)


def test_check_curriculum_refuses_a_minimum_nothing_is_marked_against(course):
    path = course / "curriculum" / "escalator.yaml"
    text = path.read_text()
    anchor = "      - id: foundation_measurement.4\n"
    path.write_text(text.replace(anchor, anchor + "        minimum: 40\n"))
    source = course / "assignments" / "source" / "foundation_measurement"
    for notebook in source.glob("*.ipynb"):  # untag every graded cell of the outcome
        notebook.write_text(notebook.read_text().replace('"foundation_measurement.4"', '"x"'))
    report = check_course(course)
    found = [str(f) for f in report.errors if "has a minimum of 40 %" in str(f)]
    assert found and "foundation_measurement.4" in found[0], [str(f) for f in report.errors]


def test_a_broken_minimum_stops_qilab_progress_with_one_clear_message(course):
    path = course / "curriculum" / "escalator.yaml"
    path.write_text(
        path.read_text().replace("pass_mark: 50\n", "pass_mark: 50\noutcome_minimum: lots\n")
    )
    with pytest.raises(ManifestError, match="outcome_minimum: is 'lots'"):
        load_manifest(course)


@pytest.mark.slow
def test_qilab_progress_applies_the_rule_to_a_real_gradebook(
    tmp_path, make_gradebook, marked, manifest
):
    marks = {("eve", m): marked(8, 10) for m in ["practitioner_systems", "foundation_systems"]}
    path = make_gradebook(tmp_path / "gradebook.db", marks)
    p = progress("eve", gradebook=path, manifest=manifest)
    status = {m.module.id: m.status for m in p.modules}
    assert status["foundation_systems"] == "passed"
    assert status["practitioner_systems"] == "prerequisites not complete"  # no F measurement
    assert "complete first: foundation_measurement" in p.text()
    frame = p.to_frame().set_index("module")
    assert frame.loc["foundation_systems", "marks"] == "final"
    assert frame.loc["foundation_pdsa", "marks"] == ""

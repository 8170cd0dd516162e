"""The escalator manifest is valid, complete, names only real things, and explains mistakes."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from qilab.datasets import names as dataset_names
from qilab.widgets import APPS

from qilab.curriculum import LEVELS, THEMES, ManifestError, load_manifest, validate
from qilab.escalator.schema import OBSERVABLE_VERBS, outcome_verb

REPO = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((REPO / "curriculum" / "escalator.yaml").read_text(encoding="utf-8"))
MANIFEST = load_manifest(REPO)
MODULES = {m.id: m for m in MANIFEST.modules}


def test_the_repository_manifest_validates():
    assert validate(RAW) == []


def test_three_levels_by_four_themes_with_fixed_ids():
    assert [s.id for s in MANIFEST.levels] == list(LEVELS)
    assert [s.id for s in MANIFEST.themes] == list(THEMES)
    assert [s.title for s in MANIFEST.levels] == [
        "Foundation",
        "Practitioner",
        "Advanced practitioner",
    ]
    assert sorted(MODULES) == sorted(f"{lv}_{th}" for lv in LEVELS for th in THEMES)
    for stage in (*MANIFEST.levels, *MANIFEST.themes):
        assert len(stage.description.split()) >= 12, f"{stage.id} needs a real description"


@pytest.mark.parametrize("module_id", sorted(MODULES))
def test_every_module_is_complete(module_id):
    m = MODULES[module_id]
    assert 3 <= len(m.outcomes) <= 5
    assert [o.id for o in m.outcomes] == [f"{m.id}.{n}" for n in range(1, len(m.outcomes) + 1)]
    assert all(outcome_verb(o.text) in OBSERVABLE_VERBS for o in m.outcomes)
    assert m.assignment == m.id
    assert m.sources and all(len(s) > 40 for s in m.sources)
    assert 30 <= m.minutes <= 60
    assert m.lesson == f"{m.level}/{m.theme}.ipynb"
    assert (REPO / "curriculum" / m.lesson).is_file()
    assert m.simulations and set(m.simulations) <= set(APPS)
    assert m.datasets and set(m.datasets) <= set(dataset_names())
    for prereq in m.prerequisites:
        assert LEVELS.index(MODULES[prereq].level) <= LEVELS.index(m.level)
    if m.case_study is not None:
        assert (REPO / "curriculum" / "cases" / m.case_study).is_file()


def test_every_level_builds_on_the_one_below():
    for m in MANIFEST.modules:
        if m.level != "foundation":
            below = {MODULES[p].level for p in m.prerequisites}
            assert below, f"{m.id} should name at least one prerequisite"


def test_every_founding_report_is_cited_somewhere():
    cited = " ".join(s for m in MANIFEST.modules for s in m.sources)
    for title in (
        "A guide to making the case for improvement",
        "Moving improvement from the margins to the mainstream",
        "Five principles for implementing the NHS Impact approach",
        "Embedding a culture of quality improvement",
        "Improving quality in the English NHS",
    ):
        assert title in cited, title


def test_every_module_has_its_assignment_and_no_assignment_is_orphaned():
    source = REPO / "assignments" / "source"
    folders = sorted(p.name for p in source.iterdir() if p.is_dir())
    assert folders == sorted(m.assignment for m in MANIFEST.modules)
    for name in folders:
        assert (source / name / f"{name}.ipynb").is_file()


def broken(change):
    raw = copy.deepcopy(RAW)
    change(raw)
    return [str(p) for p in validate(raw)]


def module(raw, module_id):
    return next(m for m in raw["modules"] if m["id"] == module_id)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda r: module(r, "foundation_pdsa")["outcomes"][0].update(text="Understand aims."),
            "modules[2] (foundation_pdsa).outcomes[0].text: starts with 'understand', which "
            "nobody can observe. Fix: start with an observable verb such as 'Explain'",
        ),
        (
            lambda r: module(r, "foundation_pdsa")["outcomes"][1].update(text="Ponder aims."),
            "starts with 'ponder', not a recognised observable verb",
        ),
        (
            lambda r: module(r, "foundation_pdsa")["outcomes"][1].update(id="foundation_pdsa.7"),
            "outcomes[1].id: is 'foundation_pdsa.7', expected 'foundation_pdsa.2'",
        ),
        (
            lambda r: module(r, "foundation_pdsa").update(outcomes=[]),
            "(foundation_pdsa).outcomes: missing. Fix: list 3-5 learning outcomes",
        ),
        (
            lambda r: module(r, "advanced_pdsa").update(sources=[]),
            "(advanced_pdsa).sources: missing or empty. Fix: cite at least one source in full",
        ),
        (
            lambda r: module(r, "advanced_pdsa").update(sources=["Deming"]),
            "sources[0]: 'Deming' is not a full citation",
        ),
        (
            lambda r: module(r, "advanced_pdsa").update(assignment="pdsa3"),
            "assignment: is 'pdsa3', not the module id 'advanced_pdsa'. Fix: set assignment: "
            "advanced_pdsa",
        ),
        (
            lambda r: module(r, "practitioner_pdsa").pop("assignment"),
            "(practitioner_pdsa).assignment: missing",
        ),
        (
            lambda r: module(r, "foundation_systems").update(minutes=90),
            "minutes: is 90; a lesson should take 30-60 minutes",
        ),
        (
            lambda r: module(r, "foundation_systems").update(level="expert"),
            "level: 'expert' is not a level. Fix: use one of foundation, practitioner, advanced",
        ),
        (
            lambda r: module(r, "foundation_systems").update(prerequisites=["advanced_pdsa"]),
            "advanced_pdsa is at a higher level than this module",
        ),
        (
            lambda r: module(r, "foundation_systems").update(prerequisites=["foundation_magic"]),
            "'foundation_magic' is not a module id",
        ),
        (
            lambda r: (
                module(r, "foundation_pdsa").update(prerequisites=["foundation_codesign"]),
                module(r, "foundation_codesign").update(prerequisites=["foundation_pdsa"]),
            ),
            "prerequisites go round in a circle: foundation_pdsa → foundation_codesign → "
            "foundation_pdsa",
        ),
        (
            lambda r: r["modules"].pop(),
            "modules: no module advanced_codesign. Fix: add the advanced module for the codesign "
            "theme",
        ),
        (
            lambda r: module(r, "foundation_pdsa").update(id="foundation_systems"),
            "id: appears twice",
        ),
        (
            lambda r: module(r, "foundation_pdsa").update(outcome=[]),
            "(foundation_pdsa).outcome: unknown key. Fix: remove it or correct its spelling",
        ),
        (
            lambda r: module(r, "foundation_pdsa").update(case_study="cases/x.ipynb"),
            "case_study: is 'cases/x.ipynb'. Fix: give a notebook file name in curriculum/cases/",
        ),
        (lambda r: r.update(pass_mark=150), "pass_mark: is 150, a percentage between 0 and 100"),
        (lambda r: r["levels"].pop(), "levels: missing advanced"),
    ],
)
def test_a_broken_manifest_says_where_what_and_how_to_fix(change, expected):
    problems = broken(change)
    assert any(expected in p for p in problems), "\n".join(problems)
    assert all(". Fix: " in p for p in problems)


def test_an_academy_may_add_an_extra_module_for_a_topic():
    def add(raw):
        extra = copy.deepcopy(module(raw, "practitioner_measurement"))
        extra["id"] = extra["assignment"] = "practitioner_measurement_funnels"
        for n, outcome in enumerate(extra["outcomes"], 1):
            outcome["id"] = f"practitioner_measurement_funnels.{n}"
        raw["modules"].append(extra)

    assert broken(add) == []


def test_a_module_id_must_match_its_level_and_theme():
    problems = broken(lambda r: module(r, "foundation_pdsa").update(theme="codesign"))
    assert any(
        "does not match its level and theme (expected foundation_codesign" in p for p in problems
    )


def test_yaml_syntax_errors_name_the_line(tmp_path):
    (tmp_path / "curriculum").mkdir()
    lines = (REPO / "curriculum" / "escalator.yaml").read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith("levels:"))
    lines[index + 1] = "  - id: foundation\n   title: [unclosed"
    (tmp_path / "curriculum" / "escalator.yaml").write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ManifestError, match=r"line \d+: is not valid YAML") as info:
        load_manifest(tmp_path)
    assert "quotes" in str(info.value)  # and how to fix it
    assert "\n" not in str(info.value)  # one line for the command line


def test_a_missing_manifest_says_how_to_recover(tmp_path):
    (tmp_path / "curriculum").mkdir()
    with pytest.raises(ManifestError, match=r"file not found.*restore"):
        load_manifest(tmp_path)

"""The catalogue: listing, describing, and what a mistyped name gets you."""

from __future__ import annotations

import pandas as pd
import pytest
from qilab.datasets.generators import GENERATORS
from qilab.datasets.rebuild import orphan_generators

from qilab import datasets
from qilab.errors import QilabError

CURRICULUM = {
    "ed_daily",
    "ward_falls",
    "sepsis_antibiotics",
    "hand_hygiene",
    "surgical_site_infections",
    "pressure_ulcer_events",
    "prescribing_errors",
    "gp_access_collaborative",
    "winter_flow",
    "pincer_collaborative",
    "patient_experience",
    "pdsa_log",
}


def test_at_least_twelve_data_sets_cover_the_curriculum():
    names = set(datasets.names())
    assert len(names) >= 12
    assert names >= CURRICULUM


def test_every_data_set_has_a_generator_and_every_generator_a_data_set():
    assert set(datasets.names()) == set(GENERATORS)
    assert orphan_generators() == []


def test_list_is_a_table_a_learner_can_filter():
    table = datasets.list()
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == [
        "name",
        "title",
        "level",
        "themes",
        "charts",
        "rows",
        "period",
        "columns",
    ]
    assert set(table["name"]) == set(datasets.names())
    levels = ["foundation", "practitioner", "advanced"]
    assert table["level"].map(levels.index).is_monotonic_increasing
    assert table["title"].str.len().gt(10).all()


def test_list_filters_by_level_and_theme():
    foundation = datasets.list(level="foundation")
    assert len(foundation) >= 3
    assert set(foundation["level"]) == {"foundation"}
    pdsa = datasets.list(theme="pdsa")
    assert {"pdsa_log", "gp_access_collaborative"} <= set(pdsa["name"])
    assert pdsa["themes"].str.contains("pdsa").all()


def test_data_sets_use_the_escalators_theme_ids():
    """One vocabulary: a module's theme id finds the data sets for that theme."""
    from qilab.levels import THEMES

    for theme in THEMES:
        assert len(datasets.list(theme=theme)) >= 1, theme
    assert "patient_experience" in set(datasets.list(theme="codesign")["name"])
    assert "lean_lead_times" in set(datasets.list(theme="systems")["name"])


@pytest.mark.parametrize("kwargs", [{"level": "expert"}, {"theme": "statistics"}])
def test_list_rejects_unknown_filters(kwargs):
    with pytest.raises(QilabError, match="use one of"):
        datasets.list(**kwargs)


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [("ward_fals", "ward_falls"), ("falls", "ward_falls"), ("sepsis", "sepsis_antibiotics")],
)
def test_unknown_names_suggest_close_matches(typed, suggested):
    with pytest.raises(datasets.UnknownDatasetError) as caught:
        datasets.load(typed)
    assert isinstance(caught.value, QilabError)
    assert f"'{suggested}'" in str(caught.value)
    assert typed in str(caught.value)


def test_unknown_name_with_no_close_match_points_to_list():
    with pytest.raises(QilabError, match=r"datasets\.list\(\)"):
        datasets.describe("zzzzzz")


def test_names_are_forgiving_about_case_spaces_and_hyphens():
    assert datasets.load("Ward-Falls").attrs["name"] == "ward_falls"


def test_describe_renders_markdown_and_text_and_hides_tutor_notes():
    info = datasets.describe("pincer_collaborative")
    markdown = info._repr_markdown_()
    text = str(info)
    assert "SYNTHETIC DATA" in markdown and "SYNTHETIC DATA" in text
    assert "| `patients_exposed` |" in markdown
    assert "A guide to making the case for improvement" in markdown
    assert "Tutor notes are hidden" in markdown
    assert "What an aggregate hides" not in markdown + text
    assert repr(info) == text
    assert list(info.columns["column"]) == info.dictionary.column_names


def test_describe_shows_tutor_notes_on_request():
    info = datasets.describe("pincer_collaborative", tutor_notes=True)
    assert "What an aggregate hides" in info._repr_markdown_()
    assert "What an aggregate hides" in str(info)


@pytest.mark.parametrize(
    "module",
    ["catalogue", "description", "loading", "reader"],
)
def test_docstring_examples_run(module):
    import doctest
    import importlib

    mod = importlib.import_module(f"qilab.datasets.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

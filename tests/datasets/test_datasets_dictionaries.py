"""Every data dictionary is complete, honest about being synthetic, and cites its sources."""

from __future__ import annotations

import copy
import csv
import re

import pytest
import yaml
from qilab.datasets.catalogue import csv_path, dictionary, yaml_path
from qilab.datasets.dictionary import DictionaryError, parse_dictionary
from qilab.datasets.generators import GENERATORS

from qilab import datasets
from qilab.errors import QilabError

NAMES = datasets.names()

#: The founding reports (../shared/seeds/DIGEST.md), cited by title.
FOUNDING_REPORTS = {
    "Moving improvement from the margins to the mainstream",
    "Five principles for implementing the NHS Impact approach",
    "A guide to making the case for improvement",
    "Embedding a culture of quality improvement",
    "Improving quality in the English NHS",
}


@pytest.mark.parametrize("name", NAMES)
def test_every_csv_column_is_documented_in_order(name):
    with csv_path(name).open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert header == dictionary(name).column_names


@pytest.mark.parametrize("name", NAMES)
def test_dictionary_is_complete(name):
    d = dictionary(name)
    assert d.name == name
    assert "SYNTHETIC" in d.synthetic and "not real patient data" in d.synthetic
    assert len(d.description) > 150
    assert d.licence["data"].startswith("CC0") and d.licence["code"].startswith("MIT")
    assert d.calibration, "say what the data were calibrated on"
    assert len(d.tutor_notes) > 200, "tutor notes: what should a learner find?"
    assert "Generator: qilab.datasets." in d.generation_method
    assert d.period_start <= d.period_end
    for col in d.columns:
        assert col.unit and col.description, col.name
        if col.is_measure:
            assert col.definition and len(col.definition) > 20, col.name
    for event in d.events:
        assert d.period_start <= event.date <= d.period_end, event
    for other in d.related:
        assert other in NAMES


@pytest.mark.parametrize("name", NAMES)
def test_seed_in_dictionary_matches_the_generator(name):
    assert dictionary(name).seed == GENERATORS[name].seed


@pytest.mark.parametrize("name", NAMES)
def test_reports_are_cited_by_title(name):
    for cal in dictionary(name).calibration:
        if cal.kind == "report":
            assert any(cal.source.startswith(title) for title in FOUNDING_REPORTS), cal.source
            assert cal.publisher and cal.year


def test_headline_figures_are_quoted_with_their_caveats():
    pincer = dictionary("pincer_collaborative").calibration[0]
    assert "370" in pincer.figure and "24 %" in pincer.figure and "relative" in pincer.figure
    lean = dictionary("lean_lead_times").calibration[0]
    assert "62 %" in lean.figure
    arrest = dictionary("cardiac_arrest_collaborative")
    aim = next(c for c in arrest.calibration if c.kind == "report")
    assert "AIM, not a result" in aim.figure
    assert "Nothing in this data set is a reported outcome" in arrest.calibration_notes


def test_no_report_is_credited_with_a_figure_it_does_not_give():
    # Where a founding report has no figures, the dictionary must say so, not invent one.
    for name in NAMES:
        for cal in dictionary(name).calibration:
            if cal.kind == "report" and not re.search(r"\d", cal.figure):
                assert cal.figure.startswith("No figures"), (name, cal.source)


# ---- the parser rejects incomplete dictionaries with a message that says how to fix them ----


@pytest.fixture
def raw() -> dict:
    with yaml_path("ward_falls").open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_a_valid_dictionary_parses(raw):
    assert parse_dictionary(raw, "ward_falls.yaml").name == "ward_falls"


def _broken(raw: dict, edit) -> dict:
    copy_ = copy.deepcopy(raw)
    edit(copy_)
    return copy_


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda r: r.pop("licence"), "licence: missing. Fix: add a 'licence:' entry"),
        (
            lambda r: r.update(synthetic="Made-up data."),
            "synthetic: must say 'SYNTHETIC' and 'not real patient data'. Fix: say so plainly",
        ),
        (lambda r: r["columns"][2].pop("definition"), "measure but has no 'definition'"),
        (
            lambda r: r["columns"][1].pop("unit"),
            "columns[1] (occupied_bed_days).unit: missing. Fix: add a 'unit:' line",
        ),
        (lambda r: r["columns"][4].pop("decimals"), "no 'decimals'"),
        (lambda r: r["columns"][0].update(type="timestamp"), "use one of"),
        (
            lambda r: r["curriculum"].update(level="expert"),
            "curriculum.level: 'expert' is not one of foundation, practitioner, advanced",
        ),
        (
            lambda r: r["columns"][0].update(categories=["April"]),
            "columns[0] (month): lists categories but its type is not 'category'. Fix: make it "
            "type 'category' or remove the list",
        ),
        (lambda r: r.update(licnce={}), "licnce: unknown key. Fix: remove it or correct"),
        (lambda r: r["columns"].append(dict(r["columns"][0])), "appears twice"),
        (lambda r: r["period"].update(start="April 2021"), "YYYY-MM-DD"),
        (
            lambda r: r["columns"].append(
                {
                    "name": "answer",
                    "type": "category",
                    "role": "grouping",
                    "unit": "answer",
                    "description": "A yes/no answer",
                    "categories": [False, True],  # what YAML makes of unquoted No / Yes
                }
            ),
            "put quotes around them",
        ),
    ],
)
def test_incomplete_dictionaries_are_rejected(raw, edit, message):
    with pytest.raises(DictionaryError, match=re.escape(message)) as caught:
        parse_dictionary(_broken(raw, edit), "ward_falls.yaml")
    assert isinstance(caught.value, QilabError)
    assert str(caught.value).startswith("ward_falls.yaml: ")
    assert ". Fix: " in str(caught.value)


def test_every_problem_is_reported_at_once_in_document_order(raw):
    def three_mistakes(r):
        r["period"].update(start="April 2021")
        r["columns"][1].pop("unit")
        r.pop("licence")

    with pytest.raises(DictionaryError) as caught:
        parse_dictionary(_broken(raw, three_mistakes), "ward_falls.yaml")
    where = [p.where for p in caught.value.problems]
    assert where == ["period.start", "columns[1] (occupied_bed_days).unit", "licence"]
    assert str(caught.value).endswith("(and 2 more)")

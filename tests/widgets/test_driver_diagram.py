"""Driver diagram: edits, the checker's verdicts, JSON/Markdown round trips, the app."""

from __future__ import annotations

import json

import pytest
from qilab.widgets.driver_diagram import DriverDiagram, DriverDiagramApp, example, render_svg

from qilab.errors import QilabError


def test_example_has_no_errors():
    d = example()
    assert d.is_valid()
    assert [i for i in d.check() if i.severity == "error"] == []


def test_orphan_change_idea_is_caught():
    d = example()
    orphan = d.add("change", "Buy bed alarms")
    errors = [i for i in d.check() if i.severity == "error"]
    assert [i.node for i in errors] == [orphan]
    assert "not linked to any secondary driver" in errors[0].message
    assert not d.is_valid()


def test_removing_a_driver_orphans_what_hung_from_it():
    d = example()
    d.remove("S3")
    assert "C3" in {i.node for i in d.check() if i.severity == "error"}


def test_aim_without_number_or_deadline_gets_advice():
    d = DriverDiagram("Make falls better")
    messages = " ".join(i.message for i in d.check())
    assert "no number" in messages and "no deadline" in messages
    assert "Add at least one primary driver" in messages


def test_links_must_point_one_level_left():
    d = example()
    with pytest.raises(QilabError, match="links to a secondary driver, not to a primary"):
        d.add("change", "Something", links=["P1"])
    with pytest.raises(QilabError, match="no item 'S99'"):
        d.link("C1", "S99")
    with pytest.raises(QilabError, match="wording"):
        d.add("primary", "   ")
    with pytest.raises(QilabError, match="cannot be removed"):
        d.remove("AIM")


def test_json_round_trip_keeps_ids_and_links():
    d = example()
    d.add("change", "Buy bed alarms")
    copy = DriverDiagram.from_json(d.to_json())
    assert copy.to_dict() == d.to_dict()
    new = copy.add("change", "Another idea", ["S1"])
    assert new == "C6"
    assert json.loads(d.to_json())["aim"].startswith("Reduce inpatient falls")
    with pytest.raises(QilabError, match="not a driver diagram"):
        DriverDiagram.from_json("[1, 2")


def test_markdown_reads_left_to_right():
    md = example().to_markdown()
    assert md.startswith("# Driver diagram")
    assert "- **Primary driver P1:**" in md
    assert "    - Change idea C1: Falls risk section" in md


def test_svg_has_a_box_per_item_and_a_text_alternative():
    d = example()
    svg = render_svg(d)
    assert svg.count("<rect") == len(d.nodes)
    assert 'role="img"' in svg and "<title>Change idea C4" in svg


def test_learner_adds_an_orphan_and_the_checker_flags_it(no_error):
    app = DriverDiagramApp()
    app.level.value = "change"
    app.text.value = "Buy bed alarms"
    app.add_button.click()
    assert app.message.kind == "warning" and "not yet linked" in app.message.text
    app.check_button.click()
    assert app.message.kind == "error"
    assert "not linked to any secondary driver" in app.issues.value
    assert "stroke-dasharray" in app.diagram.value  # the orphan is drawn dashed
    app.item.value = "C5"
    app.parent.value = "S5"
    app.link_button.click()
    app.check_button.click()
    no_error(app)
    assert "No gaps found" in app.message.text


def test_learner_builds_links_exports_and_reloads():
    app = DriverDiagramApp(use_example=False)
    app.aim.value = "Cut sepsis antibiotic delays to under 1 hour for 90 % by June"
    app.level.value = "primary"
    app.text.value = "Sepsis recognised early"
    app.add_button.click()
    app.level.value = "secondary"
    app.text.value = "Screening at triage"
    app.links.value = ("P1",)
    app.add_button.click()
    app.level.value = "change"
    app.text.value = "Sepsis prompt on the triage form"
    app.links.value = ("S1",)
    app.add_button.click()
    assert app.model.is_valid()
    assert "Screening at triage (1 change idea)" in app.caption.value
    app.export_button.click()
    assert "Download JSON" in app.export_links.value
    assert "Sepsis prompt" in app.markdown.value
    app.import_text.value = example().to_json()
    app.import_button.click()
    assert app.model.aim.startswith("Reduce inpatient falls")
    assert app.aim.value == app.model.aim
    app.import_text.value = "{not json"
    app.import_button.click()
    assert app.message.kind == "error" and "not a driver diagram" in app.message.text

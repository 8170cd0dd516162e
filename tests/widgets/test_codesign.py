"""Co-design tools: power/interest quadrants, Arnstein's ladder, EBCD emotional maps, apps."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from qilab.widgets.codesign import (
    RUNGS,
    CodesignApp,
    EmotionalMap,
    EmotionalMapApp,
    LadderApp,
    LadderAssessment,
    StakeholderMap,
    StakeholderMapApp,
)

from qilab.errors import QilabError


@pytest.mark.parametrize(
    ("power", "interest", "quadrant"),
    [
        (9, 9, "Manage closely"),
        (9, 1, "Keep satisfied"),
        (1, 9, "Keep informed"),
        (1, 1, "Monitor"),
        (5, 5, "Monitor"),
    ],
)
def test_power_interest_quadrants(power, interest, quadrant):
    m = StakeholderMap()
    m.add("Someone", power, interest)
    assert m.frame()["quadrant"].iloc[0] == quadrant


def test_stakeholder_map_validates_and_exports():
    m = StakeholderMap()
    m.add("Ward sister", 7, 9)
    with pytest.raises(QilabError, match="already on the map"):
        m.add("ward sister", 1, 1)
    with pytest.raises(QilabError, match="0 \\(none\\) to 10"):
        m.add("Chief executive", 11, 3)
    with pytest.raises(QilabError, match="name"):
        m.add(" ", 3, 3)
    assert pd.read_csv(io.StringIO(m.to_csv()))["name"].tolist() == ["Ward sister"]
    assert "## Manage closely" in m.to_markdown() and "- Ward sister" in m.to_markdown()


def test_arnsteins_ladder_has_eight_rungs_in_three_groups():
    assert [r.name for r in RUNGS] == [
        "Manipulation",
        "Therapy",
        "Informing",
        "Consultation",
        "Placation",
        "Partnership",
        "Delegated power",
        "Citizen control",
    ]
    assert [r.group for r in RUNGS].count("Tokenism") == 3


def test_ladder_takes_the_median_answer():
    a = LadderAssessment()
    with pytest.raises(QilabError, match="Answer at least one"):
        a.rung()
    a.answer(0, 4)  # patients chose it: rung 8
    a.answer(1, 2)  # comment on staff's ideas: rung 4
    a.answer(2, 2)  # noted, staff decide: rung 4
    assert a.rung().name == "Consultation"  # one good practice does not lift the project
    assert "co-design event" in a.next_step()
    with pytest.raises(QilabError, match="answers to choose from"):
        a.answer(0, 9)


def test_emotional_map_hotspots_and_exports():
    m = EmotionalMap("Chest pain in ED")
    m.add("Arrival", "anxious", "Nobody said hello")
    m.add("Triage", "reassured")
    m.add("Waiting", "lonely", "Four hours | no updates")
    assert m.hotspots() == ["Arrival", "Waiting"]
    m.move(2, -1)
    assert [t.name for t in m.touchpoints] == ["Arrival", "Waiting", "Triage"]
    assert json.loads(m.to_json())["journey"] == "Chest pain in ED"
    assert pd.read_csv(io.StringIO(m.to_csv()))["score"].tolist() == [-1, -1, 1]
    assert "Four hours \\| no updates" in m.to_markdown()
    with pytest.raises(QilabError, match="Choose an emotion"):
        m.add("Discharge", "meh")


def test_learner_places_a_stakeholder_and_the_chart_updates(no_error):
    app = StakeholderMapApp()
    n = len(app.chart.data["people"])
    app.name.value = "Discharge coordinator"
    app.power.value = 4
    app.interest.value = 8
    app.add_button.click()
    no_error(app)
    assert len(app.chart.data["people"]) == n + 1
    assert "Keep informed" in app.message.text
    assert "Discharge coordinator" in app.chart.description
    app.who.value = "Discharge coordinator"
    app.remove_button.click()
    assert len(app.chart.data["people"]) == n
    app.add_button.click()  # empty name
    assert app.message.kind == "error"
    app.export_button.click()
    assert "stakeholders.csv" in app.export_links.value


def test_learner_answers_the_ladder_questions():
    app = LadderApp()
    assert "Answer the questions" in app.result.value
    for q in app.questions:
        q.index = 1
    assert app.model.rung().number == 3
    assert "rung 3, Informing" in app.result.value
    assert "aria-current=true" in app.ladder.value
    app.export_button.click()
    assert "participation.md" in app.export_links.value


def test_learner_maps_a_journey(no_error):
    app = EmotionalMapApp(use_example=False)
    for name, emotion in [("Arrival", "anxious"), ("Triage", "reassured"), ("Home", "happy")]:
        app.touchpoint.value = name
        app.emotion.value = emotion
        app.add_button.click()
        no_error(app)
    data = app.chart.data["journey"]
    assert list(data["score"]) == [-1, 1, 2]
    assert list(data["feeling"]) == ["Negative", "Positive", "Positive"]
    assert "Low points to start co-design with:</b> Arrival" in app.hotspots.value
    app.step.value = 2
    app.up_button.click()
    assert [t.name for t in app.model.touchpoints] == ["Arrival", "Home", "Triage"]
    app.touchpoint.value = ""
    app.add_button.click()
    assert app.message.kind == "error" and "Name the touchpoint" in app.message.text
    app.export_button.click()
    assert "emotional_map.json" in app.export_links.value


def test_codesign_app_holds_all_three_tools():
    app = CodesignApp()
    assert [app.get_title(i) for i in range(3)] == [
        "Stakeholder map",
        "Ladder of participation",
        "Emotional map",
    ]

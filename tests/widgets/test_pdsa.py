"""PDSA simulator: the cycle's order is enforced, effects behave, the log exports."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from qilab.widgets.pdsa import SCENARIOS, PDSAApp, PDSASimulator

from qilab.errors import QilabError

from .helpers import datasets

STRONG = "Start the summary on the post-take ward round"


def test_baseline_is_simulated_on_creation():
    sim = PDSASimulator(seed=1)
    assert len(sim.data) == 28
    assert sim.baseline_median() == pytest.approx(55, abs=8)


def test_cycle_order_is_plan_do_study_act():
    sim = PDSASimulator(seed=1)
    with pytest.raises(QilabError, match="Plan the test first"):
        sim.do()
    with pytest.raises(QilabError, match="run a cycle first"):
        sim.act("adopt")
    sim.plan(STRONG, prediction=70, days=7)
    cycle = sim.do()
    assert cycle.start_day == 29 and cycle.end_day == 35
    with pytest.raises(QilabError, match="Finish cycle 1"):
        sim.plan(STRONG, prediction=70)
    with pytest.raises(QilabError, match="adopt, adapt or abandon"):
        sim.act("shrug")
    sim.act("adopt")
    assert STRONG in sim.adopted


def test_bad_plans_are_plain_errors():
    sim = PDSASimulator(seed=1)
    with pytest.raises(QilabError, match="percentage between 0 and 100"):
        sim.plan(STRONG, prediction=140)
    with pytest.raises(QilabError, match="between 1 and 60 days"):
        sim.plan(STRONG, prediction=60, days=0)
    with pytest.raises(QilabError, match="not one of this ward"):
        sim.plan("Hire 40 consultants", prediction=60)
    with pytest.raises(QilabError, match="Unknown ward process"):
        PDSASimulator(scenario="moon base")


def test_adopted_change_lasts_and_abandoned_change_does_not():
    adopted, abandoned = [], []
    for seed in range(10):
        for decision, bucket in (("adopt", adopted), ("abandon", abandoned)):
            sim = PDSASimulator(seed=seed)
            sim.plan(STRONG, prediction=70, days=7)
            sim.do()
            sim.act(decision)
            sim.continue_without_test(28)
            bucket.append(sim.data["percent"].iloc[-28:].mean() - sim.baseline_median())
    assert sum(adopted) / 10 > 10
    assert abs(sum(abandoned) / 10) < 5


def test_fading_idea_fades_unless_adopted():
    sim = PDSASimulator(seed=3)
    poster = "Reminder poster in the doctors' office"
    idea = next(i for i in SCENARIOS["discharge"].ideas if i.name == poster)
    assert idea.fade_days
    eff = sim._effect(poster, np.array([0, 20]), lasting=False)
    assert eff[1] < eff[0] / 8 or eff[0] <= 0


def test_log_exports_to_csv_and_markdown():
    sim = PDSASimulator(seed=2, aim="90 % of summaries done before discharge by June", target=90)
    sim.plan(STRONG, prediction=65, days=7, note="Team A | weekdays")
    sim.do()
    sim.act("adapt", "Try on both teams")
    sim.plan(STRONG, prediction=75, days=14)
    sim.do()
    sim.act("adopt")
    log = pd.read_csv(io.StringIO(sim.to_csv()))
    assert list(log["number"]) == [1, 2]
    assert list(log["decision"]) == ["adapt", "adopt"]
    assert {"prediction", "observed", "baseline_median", "act_note"} <= set(log.columns)
    md = sim.to_markdown()
    assert md.startswith("# PDSA log")
    assert "| 1 | Start the summary" in md
    assert "Team A \\| weekdays" in md  # pipes escaped so the table survives
    assert "(target 90 %)" in md


def test_learner_runs_a_ramp_of_cycles_in_the_app(no_error):
    app = PDSAApp(seed=4, aim="Summaries done before discharge: 55 % to 85 % by June")
    assert app.adopt_button.disabled and not app.do_button.disabled
    app.prediction.value = 68
    app.days.value = 5
    app.do_button.click()
    no_error(app)
    assert "Cycle 1" in app.study.value and "prediction of 68 %" in app.study.value
    assert app.do_button.disabled and not app.adopt_button.disabled
    rows = max(datasets(app.chart.spec), key=len)
    assert len([r for r in rows if r.get("y") is not None]) == 33
    assert "PDSA 1" in app.chart.description
    app.act_note.value = "Works on weekdays"
    app.adapt_button.click()
    no_error(app)
    app.days.value = 10
    app.do_button.click()
    app.adopt_button.click()
    app.wait_button.click()
    no_error(app)
    assert "PDSA 2" in app.chart.description
    assert len(app.model.data) == 28 + 5 + 10 + 7
    app.export_button.click()
    assert "Download CSV" in app.export_links.value
    assert app.markdown.value.startswith("# PDSA log")
    assert "Works on weekdays" in app.markdown.value


def test_acting_out_of_turn_shows_a_message():
    app = PDSAApp(seed=1)
    app.adopt_button.disabled = False  # a learner can't, but a stale browser might
    app.adopt_button.click()
    assert app.message.kind == "error"
    assert "run a cycle first" in app.message.text
    app.target.value = 120
    assert "between 0 and 100" in app.message.text


def test_switching_measure_starts_a_new_log():
    app = PDSAApp(seed=1)
    app.do_button.click()
    app.scenario.value = "sepsis"
    assert app.model.spec.measure.startswith("Patients with suspected sepsis")
    assert app.model.cycles == []
    assert "Sepsis grab bag with antibiotics in resus" in app.idea.options

"""Winter stock-and-flow: the obvious fix backfires, the downstream fix lasts, bad input caught."""

from __future__ import annotations

import numpy as np
import pytest
from qilab.widgets.winter import WinterApp, WinterModel, WinterPolicy, WinterSystem, simulate

from qilab.errors import QilabError


def _occupancy(model: WinterModel, run: str, days: slice) -> float:
    return float(getattr(model, run)["occupancy"].iloc[days].mean())


def test_people_are_conserved_in_the_stocks():
    run = simulate(WinterSystem(noise=0.0), WinterPolicy(), seed=0)
    occupied = run["acute"] + run["awaiting_care"]
    assert np.allclose(occupied / run["beds"], run["occupancy"])
    assert (run["occupancy"] <= 1 + 1e-9).all()
    assert (run[["acute", "awaiting_care", "ed_waiting", "diverted"]] >= -1e-9).all().all()
    assert (run["ed_waiting"] <= WinterSystem().ed_space + 1e-9).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_obvious_fix_helps_at_first_then_backfires(seed):
    m = WinterModel(seed=seed)
    m.set_policy(start_day=30, discharge_push=0.2)
    # the first fortnight: beds free up
    assert _occupancy(m, "result", slice(30, 44)) < _occupancy(m, "baseline", slice(30, 44)) - 0.05
    # later: readmissions (delayed) clog social care and the hospital is worse off
    assert _occupancy(m, "result", slice(100, None)) > _occupancy(m, "baseline", slice(100, None))
    comp = m.comparison()
    assert comp.loc["readmissions", "policy"] > comp.loc["readmissions", "no_action"]
    worse = comp.loc["ed_wait_patient_days"] + comp.loc["diverted"]
    assert worse["policy"] > worse["no_action"]


def test_downstream_social_care_fix_lasts():
    m = WinterModel(seed=0)
    m.set_policy(start_day=30, extra_care_packages=2)
    comp = m.comparison()
    assert comp.loc["delayed_bed_days", "policy"] < comp.loc["delayed_bed_days", "no_action"]
    assert comp.loc["days_over_95", "policy"] < comp.loc["days_over_95", "no_action"]


def test_extra_beds_relief_fades_as_admissions_rise():
    m = WinterModel(seed=0)
    m.set_policy(start_day=30, extra_beds=40)
    first = _occupancy(m, "baseline", slice(31, 38)) - _occupancy(m, "result", slice(31, 38))
    later = _occupancy(m, "baseline", slice(60, 75)) - _occupancy(m, "result", slice(60, 75))
    assert first > later  # occupancy creeps back up: a built bed is a filled bed
    assert m.result["admitted"].iloc[60:75].sum() > m.baseline["admitted"].iloc[60:75].sum()


@pytest.mark.parametrize(
    ("system", "policy", "words"),
    [
        ({"beds": 0}, {}, "at least 1 bed"),
        ({"admissions_per_day": -5}, {}, "cannot be negative"),
        ({"care_packages_per_day": -1}, {}, "cannot be negative"),
        ({}, {"extra_beds": -10}, "cannot be negative"),
        ({}, {"discharge_push": 0.9}, "0 % – 40 %"),
    ],
)
def test_bad_values_are_plain_errors(system, policy, words):
    m = WinterModel()
    with pytest.raises(QilabError, match=words):
        m.configure(system, policy)


def test_learner_tries_the_obvious_fix_and_reads_the_verdict(no_error):
    app = WinterApp(seed=1)
    assert "with no policy" in app.chart.description
    before = app.chart.data["series"].copy()
    app.push.value = 20
    no_error(app)
    after = app.chart.data["series"]
    assert not after.equals(before)
    assert set(after["run"]) == {"Do nothing", "With your policy"}
    assert "worse than doing nothing" in app.chart.description
    assert "Patients diverted" in app.table.value
    app.series.value = "readmissions"
    assert app.chart.spec["layer"][0]["encoding"]["y"]["title"] == "Readmissions per day"
    app.reset.click()
    assert app.push.value == 0 and app.model.policy.discharge_push == 0


def test_learner_closes_every_bed_and_gets_a_message():
    app = WinterApp(seed=1)
    app.base_beds.value = 0
    assert app.message.kind == "error"
    assert "at least 1 bed" in app.message.text
    app.base_beds.value = 440
    assert app.message.text == ""

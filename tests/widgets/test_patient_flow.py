"""Patient flow: Little's law holds, queues explode near 100 %, the bottleneck moves."""

from __future__ import annotations

import time

import numpy as np
import pytest
from qilab.widgets.patient_flow import FlowConfig, PatientFlowApp, kingman_wait, simulate
from qilab.widgets.patient_flow.model import fcfs

from qilab.errors import QilabError


def test_fcfs_single_server_matches_the_lindley_recursion():
    rng = np.random.default_rng(1)
    arrive = np.sort(rng.uniform(0, 100, 200))
    service = rng.exponential(0.4, 200)
    start, end = fcfs(arrive, service, servers=1)
    expected, free = [], 0.0
    for a, s in zip(arrive, service, strict=True):
        begin = max(a, free)
        expected.append(begin)
        free = begin + s
    np.testing.assert_allclose(start, expected)
    assert (start >= arrive).all() and np.allclose(end - start, service)


def test_many_servers_never_serve_more_at_once_than_they_have():
    rng = np.random.default_rng(2)
    arrive = np.sort(rng.uniform(0, 24, 300))
    start, end = fcfs(arrive, rng.exponential(1.0, 300), servers=4)
    events = sorted([(t, 1) for t in start] + [(t, -1) for t in end], key=lambda e: (e[0], e[1]))
    busy = np.cumsum([e[1] for e in events])
    assert busy.max() <= 4


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_littles_law_holds(seed):
    result = simulate(FlowConfig(weeks=4, clinicians=18), seed=seed)
    law = result.littles_law()
    assert law["L"] == pytest.approx(law["lambda_W"], rel=0.03)


def _mean_wait(rho: float, seed: int) -> float:
    # One clinician-type stage dominates: triage and beds are given ample capacity.
    cfg = FlowConfig(
        arrivals_per_hour=10,
        triage_nurses=10,
        beds=200,
        weeks=8,
        clinicians=10,
        treatment_minutes=60 * rho,
    )
    stations = simulate(cfg, seed=seed).stations.set_index("station")
    assert stations.loc["Treatment", "planned_utilisation"] == pytest.approx(rho)
    return float(stations.loc["Treatment", "mean_wait_min"])


def test_queues_grow_sharply_as_utilisation_nears_100_percent():
    for seed in (0, 1):
        waits = [_mean_wait(rho, seed) for rho in (0.5, 0.7, 0.85, 0.95)]
        assert waits == sorted(waits)
        assert waits[3] > 4 * waits[2] > 0
        assert waits[1] < 5  # minutes: at 70 % a 10-server stage barely queues


def test_kingman_curve_rises_steeply_and_is_infinite_at_capacity():
    w = kingman_wait(np.array([0.5, 0.8, 0.9, 0.99, 1.0]), servers=1, hours_each=1.0)
    assert w[0] == pytest.approx(1.0)  # M/M/1: rho/(1-rho) service times
    assert w[3] > 10 * w[1] and np.isinf(w[4])


def test_bottleneck_moves_when_capacity_is_added_there():
    cfg = FlowConfig(weeks=1)
    before = simulate(cfg, seed=0)
    assert before.bottleneck == "Treatment"
    after = simulate(FlowConfig(weeks=1, clinicians=22), seed=0)
    assert after.bottleneck == "Ward bed"
    waits = after.stations.set_index("station")["mean_wait_min"]
    assert (
        waits["Treatment"] < before.stations.set_index("station").loc["Treatment", "mean_wait_min"]
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"arrivals_per_hour": -3}, "cannot be negative or zero"),
        ({"clinicians": 0}, "at least 1"),
        ({"beds": 0}, "ward beds must be at least 1"),
        ({"treatment_minutes": 0}, "Treatment time must be more than 0"),
        ({"admitted_share": 1.5}, "between 0 % and 100 %"),
    ],
)
def test_bad_values_are_plain_errors(change, words):
    with pytest.raises(QilabError, match=words):
        simulate(FlowConfig(**change))


def test_one_simulated_week_is_fast():
    simulate(FlowConfig(), seed=0)
    start = time.perf_counter()
    simulate(FlowConfig(), seed=1)
    assert time.perf_counter() - start < 0.2


def test_learner_adds_clinicians_and_sees_the_bottleneck_move(no_error):
    app = PatientFlowApp(seed=0)
    assert app.result.bottleneck == "Treatment"
    assert "Bottleneck: <b>Treatment</b>" in app.headline.value
    queues_before = app.queue_chart.data["queues"].copy()
    app.clinicians.value = 22
    no_error(app)
    assert app.result.bottleneck == "Ward bed"
    assert "Bottleneck: <b>Ward bed</b>" in app.headline.value
    assert "queueing curve for Ward bed" in app.curve_chart.spec["title"]
    assert not app.queue_chart.data["queues"].equals(queues_before)
    assert "Little's law" in app.headline.value
    assert "Ward bed ran at" in app.curve_chart.description


def test_learner_pushes_demand_past_capacity_and_is_warned():
    app = PatientFlowApp(seed=0)
    app.arrivals.value = 14
    assert app.message.kind == "warning"
    assert "keep growing" in app.message.text


def test_capacity_zero_shows_a_message_and_keeps_the_last_result():
    app = PatientFlowApp(seed=0)
    before = app.result
    app.nurses.value = 0
    assert app.message.kind == "error"
    assert "triage nurses must be at least 1" in app.message.text
    assert app.result is before
    app.arrivals.value = 0
    assert "more than 0" in app.message.text
    app.arrivals.value = 10
    app.nurses.value = 2
    assert app.message.text == ""


def test_another_week_changes_the_luck():
    app = PatientFlowApp(seed=0)
    first = app.result.four_hour_share()
    app.another.click()
    assert app.seed == 1
    assert app.result.four_hour_share() != first


# ------------------------------------------------------------------ the two charts' axes


def test_queue_chart_labels_the_days_by_name_not_as_decimals():
    app = PatientFlowApp(seed=0)
    x = app.queue_chart.spec["encoding"]["x"]
    assert x["scale"]["domain"] == [0, 7]
    assert x["axis"]["values"] == list(range(7))  # one tick a midnight, labelled by day name
    assert "'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'" in x["axis"]["labelExpr"]
    rows = app.queue_chart.data["queues"].set_index("hour")
    assert rows.loc[0, "when"].iloc[0] == "Mon 00:00"
    assert rows.loc[30, "when"].iloc[0] == "Tue 06:00"
    assert rows.loc[167, "when"].iloc[0] == "Sun 23:00"
    assert "Monday to Sunday" in app.queue_chart.description


def test_a_two_week_run_gets_fourteen_days_on_its_axis_not_seven():
    app = PatientFlowApp(seed=0, config=FlowConfig(weeks=2))
    x = app.queue_chart.spec["encoding"]["x"]
    assert x["scale"]["domain"] == [0, 14]
    assert app.queue_chart.data["queues"]["day"].max() <= 14
    assert app.queue_chart.data["queues"].set_index("hour").loc[24 * 8, "when"].iloc[0] == (
        "Tue 00:00"
    )


def test_queueing_curve_never_runs_past_100_percent_utilisation():
    app = PatientFlowApp(seed=0)
    app.arrivals.value = 14  # demand 14 × 1.5 h ÷ 16 cubicles = 131 % of capacity
    spec, data = app.curve_chart.spec, app.curve_chart.data
    x_scales = [layer["encoding"]["x"].get("scale") for layer in spec["layer"]]
    assert {"domain": [0, 100], "clamp": True} in x_scales
    assert data["curve"]["utilisation"].max() < 100  # the formula is endless at 100 %
    assert data["point"]["utilisation"].iloc[0] == 100  # the overloaded stage sits at the edge
    text = app.curve_chart.description
    assert "demand at Treatment was 131 % of its capacity" in text
    assert "the orange dot sits at the 100 % edge" in text
    assert "The axis stops at 100 %" in text
    assert f"from 5 % to {data['curve']['utilisation'].max():.0f} %" in text  # as drawn


@pytest.mark.parametrize("variation", [0.5, 1.0, 1.5])
def test_queueing_curve_is_the_formula_the_lesson_cites(variation):
    """Sakasegawa's many-server form of Kingman's formula, computed here from scratch."""
    app = PatientFlowApp(seed=0, config=FlowConfig(variation=variation))
    assert app.result.bottleneck == "Treatment"  # 16 cubicles, 1.5 hours each
    curve = app.curve_chart.data["curve"]
    rho = curve["utilisation"].to_numpy() / 100
    c, hours = 16, 1.5
    wq = rho ** (np.sqrt(2 * (c + 1)) - 1) / (c * (1 - rho)) * (1 + variation**2) / 2 * hours
    np.testing.assert_allclose(curve["wait"], 60 * wq, rtol=1e-9)
    assert rho.min() == pytest.approx(0.05) and len(curve) >= 40


@pytest.mark.parametrize("rho", [0.8, 0.9])
def test_the_simulated_waits_agree_with_the_curve(rho):
    """The orange dot and the grey curve tell one story: 8 simulated weeks, 3 seeds, vs formula."""
    waits = []
    for seed in range(3):
        cfg = FlowConfig(
            arrivals_per_hour=10,
            triage_nurses=10,
            beds=200,
            weeks=8,
            clinicians=16,
            treatment_minutes=60 * 1.6 * rho,
        )
        waits.append(simulate(cfg, seed=seed).stations.set_index("station").loc["Treatment"])
    simulated = np.mean([w["mean_wait_min"] for w in waits])
    predicted = 60 * float(kingman_wait(rho, 16, 1.6 * rho))
    assert simulated == pytest.approx(predicted, rel=0.25)

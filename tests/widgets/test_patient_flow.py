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

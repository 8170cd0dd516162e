"""Red beads: draws are the system's, the p chart sees a stable process, praise changes nothing."""

from __future__ import annotations

import numpy as np
import pytest
from qilab.widgets.red_beads import GOAL, RedBeadExperiment, RedBeadsApp

from qilab.errors import QilabError

from .helpers import datasets


def _week(seed: int, days: int = 4) -> RedBeadExperiment:
    exp = RedBeadExperiment(seed=seed)
    for _ in range(days):
        exp.run_day()
    return exp


def test_draws_follow_the_box_not_the_worker():
    exp = _week(1, days=400)
    assert len(exp.draws) == 6 * 400
    # 20 % red in a paddle of 50: on average 10 red beads for every worker
    assert exp.draws["red"].mean() == pytest.approx(10, abs=0.2)
    by_worker = exp.draws.groupby("worker")["red"].mean()
    assert (by_worker.sub(10).abs() < 0.6).all()


def test_stable_system_gives_a_quiet_p_chart_for_most_seeds():
    quiet = sum(not _week(seed).p_chart().signal for seed in range(120))
    assert quiet / 120 >= 0.85


def test_changing_the_box_is_a_real_signal():
    exp = _week(3, days=4)
    exp.change_system(0.40)
    for _ in range(4):
        exp.run_day()
    assert exp.p_chart().signal


def test_changing_the_box_keeps_the_old_days_limits_and_flags_only_new_days():
    """Seen in the app: limits recalculated over both boxes flagged ordinary earlier days."""
    for seed in range(20):
        before = _week(seed, days=4)
        flagged_before = before.p_chart().data["sigma_signal"].to_numpy().copy()
        before.change_system(0.45)
        for _ in range(3):
            before.run_day()
        after = before.p_chart().data
        old = len(flagged_before)
        assert (after["sigma_signal"].to_numpy()[:old] == flagged_before).all(), seed
        assert after["cl"].iloc[old:].eq(after["cl"].iloc[0]).all()  # old limits extended


def test_praise_and_blame_are_recorded_with_what_happened_next():
    exp = _week(4, days=2)
    best = exp.reward_best()
    today = exp.draws[exp.draws["day"] == 2]
    assert today.set_index("worker").loc[best, "red"] == today["red"].min()
    exp.run_day()
    outcome = exp.action_outcomes().iloc[0]
    assert outcome["worker"] == best and outcome["red_next_day"] is not None


def test_bad_settings_are_plain_errors():
    with pytest.raises(QilabError, match="paddle"):
        RedBeadExperiment(paddle=0)
    with pytest.raises(QilabError, match="between 0 % and 100 %"):
        RedBeadExperiment(red_share=1.5)
    with pytest.raises(QilabError, match="Run a day first"):
        RedBeadExperiment().reward_best()


def test_learner_runs_days_and_the_chart_grows(no_error):
    app = RedBeadsApp(seed=7)
    rows = max(datasets(app.chart.spec), key=len)
    assert len(rows) == 6
    app.run_day.click()
    app.run_day.click()
    no_error(app)
    rows = max(datasets(app.chart.spec), key=len)
    assert len(rows) == 18
    assert "P chart, 18 points" in app.chart.description
    assert f"The target is {100 * GOAL // 50}" in app.chart.description
    assert "Day 3" in app.today.value


def test_learner_praises_and_blames_then_sees_regression_to_the_mean(no_error):
    app = RedBeadsApp(seed=7, days=2)
    app.reward.click()
    assert "merit award" in app.message.text
    app.run_day.click()
    app.punish.click()
    app.run_day.click()
    no_error(app)
    assert "What happened after praise and blame" in app.outcomes.value
    assert len(app.model.action_outcomes()) == 2


def test_changing_the_box_tells_the_learner_it_is_a_system_change():
    app = RedBeadsApp(seed=1)
    app.share.value = 35
    assert "changed the system" in app.message.text
    app.run_day.click()
    assert np.isclose(app.model.draws["red_share"].iloc[-1], 0.35)


def test_the_simulation_and_the_data_set_are_one_model():
    """The red_beads data set is four days of this simulation: same workers, same draws."""
    from qilab.datasets import load
    from qilab.datasets.generators import GENERATORS

    data = load("red_beads")
    exp = _week(GENERATORS["red_beads"].seed or 0)
    assert exp.workers == list(dict.fromkeys(data["worker"].astype(str)))
    assert exp.draws["worker"].tolist() == data["worker"].astype(str).tolist()
    assert exp.draws["red"].tolist() == data["red_beads"].tolist()
    assert (data["beads_drawn"] == exp.paddle).all()

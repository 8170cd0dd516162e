"""Control chart explorer: the truth built in, the rules qic applies, the words shown."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from qilab.widgets.control_chart import (
    ControlChartExplorer,
    Explorer,
    ProcessSettings,
    available_methods,
    generate,
)
from qilab.widgets.control_chart.model import true_mean

from qilab.errors import QilabError

from .helpers import datasets


def test_generated_process_has_the_special_cause_where_asked():
    s = ProcessSettings(n_points=40, level=50, noise=5, pattern="shift", at=21, size=2)
    mean = true_mean(s)
    assert (mean[:20] == 50).all() and (mean[20:] == 60).all()
    trend = true_mean(ProcessSettings(n_points=40, pattern="trend", at=11, size=2, noise=5))
    assert trend[10] == 50 and trend[-1] == pytest.approx(60) and np.all(np.diff(trend) >= 0)
    outlier = true_mean(ProcessSettings(n_points=40, pattern="outlier", at=5, size=4, noise=5))
    assert outlier[4] == 70 and (np.delete(outlier, 4) == 50).all()


def test_same_seed_same_luck_with_and_without_the_shift():
    base = generate(ProcessSettings(pattern="none"), seed=4)
    shifted = generate(ProcessSettings(pattern="shift", at=20, size=2), seed=4)
    diff = shifted["y"] - base["y"]
    assert np.allclose(diff[:19], 0) and np.allclose(diff[19:], 10)


@pytest.mark.parametrize("chart", ["c", "p"])
def test_count_and_percentage_processes_are_whole_numbers(chart):
    d = generate(ProcessSettings(chart=chart, level=20, pattern="none"), seed=1)
    assert (d["y"] == d["y"].round()).all() and (d["y"] >= 0).all()


def test_big_shift_is_usually_found_and_stable_process_usually_quiet():
    found = quiet = 0
    for seed in range(40):
        ex = Explorer(seed=seed, settings=ProcessSettings(pattern="shift", at=16, size=3))
        found += ex.verdict()[0] == "true alarm"
        ex.update(pattern="none")
        quiet += ex.verdict()[0] == "correctly quiet"
    assert found >= 36
    assert quiet >= 30


def test_methods_offered_are_those_qic_accepts():
    methods = available_methods()
    assert {"anhoej", "ihi"} <= set(methods)


def test_rules_table_names_each_rule_with_its_numbers():
    ex = Explorer(seed=3, settings=ProcessSettings(pattern="shift", at=11, size=1.5, n_points=40))
    table = ex.rules_table()
    assert {"Point outside the control limits", "Unusually long run on one side"} <= set(
        table["rule"]
    )
    ex.update(method="ihi")  # on a control chart: Provost & Murray's rules
    rules = list(ex.rules_table()["rule"])
    assert any(r.startswith("Shift: 8 or more") for r in rules)
    assert any(r.startswith("Near a limit: 2 of 3") for r in rules)
    assert any(r.startswith("Hugging the centre line: 15") for r in rules)
    ex.update(chart="run")  # on a run chart: the IHI run-chart rules
    assert any(r.startswith("Shift: 6 or more") for r in ex.rules_table()["rule"])
    if "mdc" in available_methods():
        ex.update(method="mdc")
        assert any("Run of 7" in r for r in ex.rules_table()["rule"])


def test_bad_settings_leave_the_explorer_unchanged():
    ex = Explorer(seed=1)
    before = ex.settings
    with pytest.raises(QilabError, match="cannot be negative"):
        ex.update(noise=-1)
    with pytest.raises(QilabError, match="above 0"):
        ex.update(chart="c", level=0)
    if "mdc" in available_methods():
        with pytest.raises(QilabError, match="XmR"):
            ex.update(chart="p", method="mdc")
    assert ex.settings == before


def test_learner_moves_the_shift_slider_and_everything_redraws(no_error):
    app = ControlChartExplorer(seed=1)
    spec_before = app.chart.spec
    desc_before = app.chart.description
    app.size.value = 0.0
    no_error(app)
    assert app.chart.spec != spec_before
    assert app.chart.description != desc_before
    app.size.value = 4.0
    no_error(app)
    rows = max(datasets(app.chart.spec), key=len)
    ys = [r["y"] for r in rows if r.get("y") is not None]
    assert max(ys) > 65  # the shifted points are on the chart
    assert "True alarm" in app.verdict.value
    assert "Which rules fired" in app.rules.value


def test_learner_switches_rules_chart_type_and_freezes_a_baseline(no_error):
    app = ControlChartExplorer(seed=2)
    app.method.value = "ihi"
    no_error(app)
    assert "Provost & Murray control-chart rules" in str(app.chart.spec.get("title"))
    assert "Shift: 8 or more" in app.rules.value
    assert "Provost &amp; Murray" in app.chart.description or "Provost & Murray" in str(
        app.chart.description
    )

    app.chart_type.value = "p"
    no_error(app)
    assert "mdc" not in [v for _, v in app.method.options]
    assert app.noise.disabled
    assert app.level.description.startswith("Level (% of patients)")
    assert app.chart.description.startswith("P chart")
    app.freeze_on.value = True
    app.freeze.value = 15
    no_error(app)
    assert app.model.settings.freeze == 15
    assert "first 15 points" in app.chart.description


def test_new_random_process_changes_the_data_not_the_settings():
    app = ControlChartExplorer(seed=5)
    y0 = app.model.data["y"].copy()
    app.new_process.click()
    assert app.model.seed == 6
    assert not np.allclose(app.model.data["y"], y0)
    assert "number 6" in app.seed_label.value


def test_impossible_level_shows_a_message_not_a_traceback():
    app = ControlChartExplorer(seed=1)
    app.chart_type.value = "c"
    app.level.value = 0
    assert app.message.kind == "error"
    assert "average count" in app.message.text
    app.level.value = 10
    assert app.message.text == ""


def _engine_trend(ex: Explorer) -> bool:
    """Did the engine itself find a trend (read from res.data, not from the explorer)?"""
    d = ex.result.data
    if "mdc_rule" in d:
        return bool(d["mdc_rule"].astype(str).str.contains("Trend").any())
    return bool(d["trend_signal"].any())


TREND_AT = 22  # a steep trend over the last 9 of 30 points


@pytest.mark.parametrize("method", ["mdc", "ihi"])
def test_the_trend_row_fires_exactly_when_the_engines_trend_fires(method):
    """The explorer's trend row once looked for a label the engine never writes; now both read
    the labels from one definition, so the row and the engine agree on every process."""
    assert method in available_methods()  # both rule sets ship with qilab.measure
    fired = 0
    for seed, size in itertools.product(range(6), (0.0, 5.0, 40.0)):
        settings = ProcessSettings(pattern="trend", at=TREND_AT, size=size, method=method)
        ex = Explorer(seed=seed, settings=settings)
        table = ex.rules_table()
        trend_rows = table[table["rule"].str.contains("Trend")]
        assert len(trend_rows) >= 1
        row_fired = bool(trend_rows["fired"].any())
        assert row_fired == _engine_trend(ex), (seed, size, table)
        fired += row_fired
        if row_fired:
            assert any("Trend" in e for e in ex.explanations())
    assert fired >= 3  # the comparison covered charts where the trend really fired


def test_a_trend_the_engine_marks_is_shown_as_a_trend_on_the_chart(no_error):
    settings = ProcessSettings(pattern="trend", at=TREND_AT, size=5.0, method="ihi")
    seed = next(s for s in range(60) if _engine_trend(Explorer(seed=s, settings=settings)))
    app = ControlChartExplorer(seed=seed)
    app.method.value = "ihi"
    app.pattern.value = "trend"
    app.at.value = TREND_AT
    app.size.value = 5.0
    no_error(app)
    d = app.model.result.data
    assert d["trend_signal"].any()
    rows = max(datasets(app.chart.spec), key=len)
    why = {r["x"]: r.get("signal") for r in rows if r.get("x") is not None}
    for x in d.loc[d["trend_signal"] & ~d["sigma_signal"] & ~d["shift_signal"], "x"]:
        assert why[x] == "part of a trend"
    assert "Trend: 6 consecutive points" in app.rules.value

"""Deming's funnel: closed forms match the rules, rule 2 doubles the variance, the app responds."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from qilab.widgets.funnel import FunnelApp, FunnelExperiment, drops

from qilab.errors import QilabError


def _iterate(errors: np.ndarray, rule: int) -> np.ndarray:
    """Deming's rules applied drop by drop, as a learner would at the table."""
    funnel, out = 0.0, []
    for e in errors:
        z = funnel + e
        out.append(z)
        if rule == 2:
            funnel = funnel - z
        elif rule == 3:
            funnel = -z
        elif rule == 4:
            funnel = z
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=40),
    st.sampled_from([1, 2, 3, 4]),
)
def test_closed_forms_match_the_rules_drop_by_drop(errors, rule):
    e = np.array(errors)
    np.testing.assert_allclose(drops(e, rule), _iterate(e, rule), atol=1e-9)


def test_rule_2_doubles_the_variance_of_rule_1():
    exp = FunnelExperiment(seed=11)
    exp.drop(200_000)
    assert exp.variance_ratio(2) == pytest.approx(2.0, rel=0.03)


def test_rules_3_and_4_grow_without_bound():
    exp = FunnelExperiment(seed=5)
    exp.drop(2000)
    early = FunnelExperiment(seed=5)
    early.drop(200)
    for rule in (3, 4):
        # random walks: variance grows roughly in proportion to the number of drops
        assert exp.variance_ratio(rule) > 50
        assert exp.variance(rule) > 3 * early.variance(rule)


def test_same_seed_same_marbles():
    a, b = FunnelExperiment(seed=3), FunnelExperiment(seed=3)
    a.drop(10)
    b.drop(10)
    np.testing.assert_array_equal(a.errors, b.errors)


def test_bad_values_are_plain_errors():
    with pytest.raises(QilabError, match="more than 0"):
        FunnelExperiment(noise=-1)
    with pytest.raises(QilabError, match="rule 5"):
        drops(np.zeros(3), 5)


def test_learner_drops_marbles_and_switches_rules(no_error):
    app = FunnelApp(seed=2, drops=50)
    assert len(app.chart.data["drops"]) == 50
    app.rule.value = 2
    no_error(app)
    assert set(app.chart.data["drops"]["rule_name"]) == {"Rule 2"}
    assert "Rule 2" in app.chart.spec["title"]
    app.per_click.value = 100
    app.drop_button.click()
    assert app.model.n == 150
    assert len(app.chart.data["drops"]) == 150
    assert "150 marbles" in app.chart.description
    app.compare.value = True
    assert set(app.chart.data["drops"]["rule_name"]) == {"Rule 1", "Rule 2", "Rule 3", "Rule 4"}
    assert "facet" in app.chart.spec
    assert "Variance compared with rule 1" in app.stats.value


def test_negative_wobble_shows_a_message_not_a_traceback():
    app = FunnelApp(seed=2)
    before = app.model.n
    app.noise.value = -2
    assert app.message.kind == "error"
    assert "more than 0" in app.message.text
    assert app.model.n == before  # nothing changed
    app.noise.value = 2
    assert app.message.text == ""


@pytest.mark.parametrize("compare", [False, True])
def test_the_target_cross_the_caption_mentions_is_drawn(compare):
    """Seen in the app: the single-rule view's caption pointed to a cross that was not drawn."""
    import vl_convert

    from qilab.theme import COLOURS

    app = FunnelApp(seed=2)
    app.compare.value = compare
    app.drop_button.click()
    assert "the cross" in app.chart.description
    svg = vl_convert.vegalite_to_svg(app.chart.spec)
    assert svg.count(COLOURS["target"]) >= (4 if compare else 1)

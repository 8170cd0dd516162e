"""Case controls validate what they receive; charts use one shared Vega under `qilab cases`."""

from __future__ import annotations

import json
import math
import re

import altair as alt
import pandas as pd
import pytest

from qilab.cases import live, prerender
from qilab.cases.live import ControlValueError, check_choice, check_number
from qilab.cases.vega import URL_ENV
from qilab.offline import served_esm


@pytest.fixture(autouse=True)
def altair_debug_mode_restored():
    """live.setup() under qilab cases turns Altair's per-object validation off for the whole
    process (a kernel); the other tests here and elsewhere keep it."""
    from altair.utils import schemapi

    before = schemapi.DEBUG_MODE
    yield
    schemapi.DEBUG_MODE = before


def bars(value):
    frame = pd.DataFrame({"x": [value], "label": [str(value)]})
    return alt.Chart(frame).mark_bar().encode(x="x:Q"), f"A bar of {value}."


@pytest.mark.parametrize(
    "value", ["Trust Z", 3, None, ["Trust A"], "Trust A; import os", "<script>"]
)
def test_a_choice_never_offered_is_refused(value):
    with pytest.raises(ControlValueError, match="not one of the choices"):
        check_choice(value, ["Trust A", "Trust B"])


@pytest.mark.parametrize("value", [math.nan, math.inf, 10**9, -15, 7, "30", True, None])
def test_a_number_off_the_slider_is_refused(value):
    with pytest.raises(ControlValueError):
        check_number(value, 0, 120, 15)


def test_valid_moves_redraw_and_crafted_values_keep_the_last_good_chart():
    panel = live.slider_chart("Batch every:", 0, 120, 15, 60, bars)
    assert panel.good == 60
    panel.control.value = 90
    assert panel.good == 90 and panel.chart.spec["datasets"]
    assert "A bar of 90." in panel.caption.value and panel.message.value == ""
    spec = panel.chart.spec
    # A crafted comm message can bypass the slider: the handler must refuse it.
    panel.on_change({"new": 7})
    assert panel.good == 90 and panel.chart.spec == spec
    assert "not a step of 15" in panel.message.value and 'role="alert"' in panel.message.value
    panel.on_change({"new": "<img src=x onerror=alert(1)>"})
    assert "<img" not in panel.message.value and "&lt;img" in panel.message.value
    panel.control.value = 30  # a good value clears the message
    assert panel.good == 30 and panel.message.value == ""


def test_a_failing_chart_builder_shows_a_message_not_a_traceback():
    calls = []

    def fragile(name):
        calls.append(name)
        if name == "Trust B":
            raise ZeroDivisionError("deep inside")
        return bars(len(name))

    panel = live.choice_chart("Trust:", ["Trust A", "Trust B"], fragile)
    spec = panel.chart.spec
    panel.control.value = "Trust B"
    assert calls == ["Trust A", "Trust B"]
    assert panel.chart.spec == spec and panel.good == "Trust A"
    assert "could not be redrawn (ZeroDivisionError)" in panel.message.value
    assert "deep inside" not in panel.message.value


def test_show_and_table_escape_their_text():
    box = live.show(bars(1)[0], "Caption <b>")
    assert "Caption &lt;b&gt;" in box.children[1].value
    table = live.table(pd.DataFrame({"Change": ["<script>x</script>"]}), "Log & more")
    assert "<script>x" not in table.data and "Log &amp; more" in table.data


def test_under_qilab_cases_charts_load_the_served_bundle_not_their_own(monkeypatch):
    original = alt.JupyterChart._esm
    try:
        monkeypatch.delenv(URL_ENV, raising=False)
        live.setup()
        offline = alt.JupyterChart._esm
        assert len(offline) > 500_000, "outside `qilab cases` charts keep Altair's offline bundle"
        monkeypatch.setenv(URL_ENV, "/qilab/vega-embed.js")
        live.setup()
        chart = live.chart_widget(bars(2)[0])
        assert chart._esm == served_esm("/qilab/vega-embed.js")
        assert len(chart._esm) < 20_000
        assert "https://" not in chart._esm and "http://" not in chart._esm
    finally:
        alt.JupyterChart._esm = original


def test_widgets_carry_their_static_rendering_only_under_qilab_cases(monkeypatch):
    """The page shows a chart before Voila's front end starts (qilab.cases.prerender); a lesson
    in JupyterLab keeps plain widget outputs (nothing extra saved in the notebook)."""
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    original = alt.JupyterChart._esm
    shell.display_formatter.formatters.pop(prerender.PRERENDER_TYPE, None)
    try:
        monkeypatch.delenv(URL_ENV, raising=False)
        live.setup()
        panel = live.slider_chart("Batch every", 0, 120, 15, 60, bars)
        assert prerender.PRERENDER_TYPE not in shell.display_formatter.format(panel)[0]

        monkeypatch.setenv(URL_ENV, "/qilab/vega-embed.js")
        live.setup()
        data = shell.display_formatter.format(panel)[0]
        assert "application/vnd.jupyter.widget-view+json" in data, "the live widget is kept"
        static = data[prerender.PRERENDER_TYPE]
        # The chart as it stands (its spec and description), and the control shown disabled.
        spec = json.loads(re.search(r"<script[^>]*>(.*?)</script>", static, re.S).group(1))
        assert spec["description"] == panel.chart.chart.description
        assert 'type="range" disabled' in static and 'value="60"' in static
        assert "loading" in static
        # The state at display time: move the slider, and the rendering follows.
        panel.control.value = 30
        again = shell.display_formatter.format(panel)[0][prerender.PRERENDER_TYPE]
        assert 'value="30"' in again and again != static
    finally:
        alt.JupyterChart._esm = original
        shell.display_formatter.formatters.pop(prerender.PRERENDER_TYPE, None)


def test_case_kernels_skip_altairs_per_object_checks_but_still_refuse_a_bad_chart(monkeypatch):
    """Under qilab cases, Altair no longer validates each object as it is made (most of a
    visitor kernel's start), but a chart is still validated whole when it is drawn."""
    from altair.utils import schemapi

    original = alt.JupyterChart._esm
    try:
        monkeypatch.setenv(URL_ENV, "/qilab/vega-embed.js")
        live.setup()
        assert schemapi.DEBUG_MODE is False
        frame = pd.DataFrame({"x": [1]})
        # Made without complaint (no per-object check): binning "often" is not Vega-Lite ...
        bad = alt.Chart(frame).mark_bar().encode(x=alt.X("x:Q", bin="often"))
        with pytest.raises(schemapi.SchemaValidationError, match="often"):
            live.chart_widget(bad)  # ... and refused when drawn
    finally:
        alt.JupyterChart._esm = original

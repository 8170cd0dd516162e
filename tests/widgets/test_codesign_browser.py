"""The emotional map's touchpoints read in full in Chromium (they were cut to 160 px with "…")."""

from __future__ import annotations

from pathlib import Path

import pytest
from chart_render import draw, themed
from qilab.widgets.codesign import EmotionalMapApp

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / ".qilab" / "test-artifacts" / "charts"


def test_long_touchpoint_names_are_not_cut_short(page):
    app = EmotionalMapApp(use_example=False)
    names = [
        "Ambulance arrives",
        "Waiting on a trolley in the corridor",  # about 230 px at the theme's 13 px labels
        "Moved to the ward at 2 am without notice",
        "Home",
    ]
    for name, emotion in zip(names, ["scared", "lonely", "confused", "happy"], strict=True):
        app.touchpoint.value = name
        app.emotion.value = emotion
        app.add_button.click()
        assert app.message.kind != "error", app.message.text
    (chart,) = draw(page.page, [themed(app.chart.widget.spec)], SHOTS / "emotional-map.png")
    assert chart.error is None, chart.error
    labels = chart.axis("Touchpoint in the journey").labels
    assert labels == [f"{i}. {name}" for i, name in enumerate(names, start=1)]
    assert chart.truncated() == [] and chart.clipped == []

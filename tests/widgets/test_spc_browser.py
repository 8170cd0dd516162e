"""The simulations' SPC charts number their points whole in Chromium (draw 1 … 6, not 1.4).

They draw from their own fast template (``widgets/_spc.py``), so the rule in
:mod:`qilab.measure.chart` does not reach them by itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chart_render import draw, themed
from qilab.widgets import RedBeadsApp

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / ".qilab" / "test-artifacts" / "charts"


def test_the_red_beads_draws_are_numbered_whole(page):
    """The red beads P chart of six draws (foundation/systems) read 1.0, 1.4 … 5.8."""
    app = RedBeadsApp(seed=0)
    (chart,) = draw(page.page, [themed(app.chart.widget.spec)], SHOTS / "red-beads-draws.png")
    assert chart.error is None, chart.error
    ticks = chart.axis("Draw (six workers per day)").numbers()
    assert ticks and all(t == int(t) for t in ticks), ticks
    assert "rules" in " ".join(chart.texts)  # it still names the rule set it applied

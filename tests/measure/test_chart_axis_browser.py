"""Numbered points read as whole numbers in Chromium: draw 1 … 6, never 1.4 or 2.2.

The red beads lesson's P chart of six draws labelled its axis 1.0, 1.4, 1.8 … 5.8 (Vega's
ticks for a short numeric axis), a number scale where a doctor expects the draws' numbers.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from chart_render import draw, themed

from qilab.measure import qic

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / ".qilab" / "test-artifacts" / "charts"


def test_numbered_points_tick_at_whole_numbers_and_measured_x_keeps_its_decimals(page):
    draws = pd.DataFrame({"draw": range(1, 7), "red": [8, 10, 6, 9, 11, 6], "n": [50] * 6})
    numbered = qic("red", n="n", x="draw", data=draws, chart="p", multiply=100, xlab="Draw")
    measured = qic([3, 4, 3, 5, 4, 4], x=[0.5, 0.7, 0.9, 1.1, 1.3, 1.5], xlab="Dose (mg)")
    specs = [themed(numbered.chart().to_dict()), themed(measured.chart().to_dict())]
    one, two = draw(page.page, specs, SHOTS / "numbered-x-axis.png")
    assert one.error is None and two.error is None, (one.error, two.error)

    ticks = one.axis("Draw").numbers()
    assert ticks and all(t == int(t) for t in ticks), one.axis("Draw").labels
    assert set(ticks) <= {1, 2, 3, 4, 5, 6}
    assert any(t != int(t) for t in two.axis("Dose (mg)").numbers())  # a real scale stays one

"""The winter simulation's chart as a doctor first meets it, drawn in Chromium.

With every lever at zero the policy *is* doing nothing, so the two lines coincide. The solid
policy line used to be drawn last and hid the dashed "Do nothing" line under it: the legend
named two lines and a person saw one. The dashed line is now drawn over the solid one (both
show where they coincide) and the description says why they overlap.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chart_render import themed
from qilab.widgets.winter.view import WinterApp

from qilab.offline import inline_script, vega_bundle

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / ".qilab" / "test-artifacts" / "charts"

# Each line as drawn, in SVG order (the last is on top): its stroke and its dash pattern.
_LINES = """async (spec) => {
  document.body.innerHTML = '<div id="chart"></div>';
  await vegaEmbed('#chart', spec, {renderer: 'svg', actions: false});
  return [...document.querySelectorAll('#chart g.mark-line path')].map(
    (p) => ({stroke: p.getAttribute('stroke'), dash: p.getAttribute('stroke-dasharray') || ''}));
}"""


def lines_drawn(page, app: WinterApp) -> list[dict[str, str]]:
    page.page.set_content(
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<script>{inline_script(vega_bundle())}</script></head><body></body></html>"
    )
    return page.page.evaluate(_LINES, themed(app.chart.widget.spec))


@pytest.mark.parametrize("series", ["occupancy", "ed_waiting"])
def test_doing_nothing_shows_over_an_identical_policy(page, series):
    app = WinterApp(seed=1)
    app.series.value = series
    runs = app.chart.data["series"]
    policy = runs[runs["run"] == "With your policy"]["value"].to_numpy()
    nothing = runs[runs["run"] == "Do nothing"]["value"].to_numpy()
    assert (policy == nothing).all()  # no lever set: the same winter twice

    lines = lines_drawn(page, app)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(SHOTS / f"winter-no-policy-{series}.png"), full_page=True)
    assert len(lines) == 2
    assert lines[-1]["dash"] not in ("", "1,0")  # on top: the dashed "Do nothing" line
    assert lines[0]["dash"] in ("", "1,0")  # under it: the solid policy line
    assert "lie on top of each other" in app.chart.description
    assert page.external_requests() == []


def test_a_policy_separates_the_lines_and_both_are_drawn(page):
    app = WinterApp(seed=1)
    app.push.value = 20
    runs = app.chart.data["series"]
    policy = runs[runs["run"] == "With your policy"]["value"].to_numpy()
    nothing = runs[runs["run"] == "Do nothing"]["value"].to_numpy()
    assert (policy != nothing).any()
    lines = lines_drawn(page, app)
    assert len(lines) == 2 and {line["stroke"] for line in lines} == {"#0072B2", "#8C8C8C"}
    assert "lie on top of each other" not in app.chart.description

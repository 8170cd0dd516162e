"""The server draws a case page's static charts (qilab.cases.prerender.with_drawn_charts).

What a visitor's browser then meets is checked in tests/cases/test_voila.py (charts shown with
JavaScript switched off); here, what the page's HTML holds.
"""

from __future__ import annotations

import json
import logging
import re

import altair as alt
import pandas as pd
import vl_convert
from altair.utils._importers import vl_version_for_vl_convert

from qilab.cases import live
from qilab.cases.prerender import chart_svg, prerender_html, with_drawn_charts
from qilab.cases.static_widgets import SPEC_TYPE, StaticRenderer


def panel_html(description: str = "Falls per 1,000 bed days, by month (synthetic).") -> str:
    frame = pd.DataFrame({"month": [1, 2, 3], "falls": [6.1, 5.2, 4.0]})
    chart = alt.Chart(frame, description=description, title="Falls").mark_line()
    return prerender_html(live.show(chart.encode(x="month:O", y="falls:Q"), "Falls fell."))


def test_every_chart_arrives_drawn_as_vega_draws_it_and_named_for_a_screen_reader():
    static = panel_html()
    spec_text = re.search(
        rf'<script type="{re.escape(SPEC_TYPE)}"[^>]*>(.*?)</script>', static
    ).group(1)
    spec = json.loads(spec_text)

    drawn = with_drawn_charts(static)

    assert SPEC_TYPE not in drawn, "nothing is left for the browser to draw"
    box, svg = re.search(
        r'(<div class="qilab-chart[^>]*>)(<svg .*?</svg>)</div>', drawn, re.S
    ).groups()
    expected = vl_convert.vegalite_to_svg(spec, vl_version=vl_version_for_vl_convert())
    assert svg == expected
    assert 'role="graphics-document"' in box
    assert 'aria-label="Falls per 1,000 bed days, by month (synthetic)."' in box
    assert 'class="marks"' in svg and "Falls" in svg
    # Three points on the line, as the data has; the caption and the rest of the panel kept.
    assert len(re.findall(r'aria-roledescription="line mark"', svg)) == 1
    assert "Falls fell." in drawn
    assert drawn.count('class="qilab-chart') == static.count('class="qilab-chart')


def test_a_description_cannot_break_out_of_the_chart_name():
    """Case text is the author's, not a visitor's; still, a quote or tag in a chart's
    description must stay text (the page is open to anyone who can reach it)."""
    drawn = with_drawn_charts(panel_html('Falls "up" <script>alert(1)</script> & down'))

    box = re.search(r'<div class="qilab-chart[^>]*>', drawn).group(0)
    assert 'aria-label="Falls &quot;up&quot; &lt;script&gt;alert(1)&lt;/script&gt; &amp; down"' in (
        box
    )
    assert "<script>alert" not in drawn


def test_a_chart_vl_convert_cannot_draw_is_left_for_the_browser(caplog):
    broken = StaticRenderer({}).chart({"mark": "no-such-mark", "data": {"values": [{"x": 1}]}})
    page = f"<p>Before</p>{broken}<p>After</p>"

    with caplog.at_level(logging.WARNING, logger="qilab.cases.prerender"):
        assert with_drawn_charts(page) == page
    assert "left for the browser to draw" in caplog.text


def test_each_chart_is_drawn_once_for_every_visitor():
    """A case's first rendering is the same for every visitor: its charts are drawn once."""
    chart_svg.cache_clear()
    for _ in range(3):
        with_drawn_charts(panel_html())
    info = chart_svg.cache_info()
    assert (info.misses, info.hits) == (1, 2)

"""A simulation as a learner meets it in a Voila case study: a real browser, no internet."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import voila

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SMOKE = Path(__file__).parent / "voila_smoke.ipynb"
MINUTE = 60_000


def test_moving_a_slider_redraws_the_control_chart(tmp_path, page):
    with voila(tmp_path, SMOKE) as server:
        tab = page.page
        tab.goto(server.url(""))
        chart = tab.locator(".qilab-chart svg, .qilab-chart canvas").first
        chart.wait_for(timeout=2 * MINUTE)
        caption = tab.locator(".qilab-chart-caption")
        before_text = caption.inner_text()
        before_image = chart.screenshot()
        assert "I chart" in before_text

        readout = tab.locator(".qilab-control-size .widget-readout")
        assert readout.inner_text().strip() == "2.00"
        tab.locator(".qilab-control-size .noUi-handle").focus()
        tab.keyboard.press("ArrowRight")  # a learner using the keyboard

        tab.wait_for_function(
            "(old) => document.querySelector('.qilab-chart-caption').innerText !== old",
            arg=before_text,
            timeout=MINUTE,
        )
        assert readout.inner_text().strip() == "2.25"
        tab.wait_for_timeout(500)
        assert chart.screenshot() != before_image, "the chart did not redraw"

        # Voila shows no code and no tracebacks; nothing was fetched from the internet.
        assert tab.locator(".jp-CodeCell .jp-InputArea").count() == 0
        assert "Traceback" not in tab.content()
        assert page.errors == []
        assert page.external_requests() == []

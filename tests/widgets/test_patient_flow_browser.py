"""The patient flow app's two charts as a doctor sees them, drawn in Chromium.

The queue chart's time axis reads Mon … Sun (it read 0.0 … 7.0), and the queueing curve's
utilisation axis stops at 100 % even when demand is past capacity (it ran to 120 %). The specs
are the app's own, taken after the learner's change; :mod:`chart_render` draws them offline.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from chart_render import draw, themed
from qilab.widgets.patient_flow import FlowConfig, PatientFlowApp

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / ".qilab" / "test-artifacts" / "charts"


def test_days_read_by_name_and_utilisation_stops_at_100_percent(page):
    app = PatientFlowApp(seed=0)
    app.arrivals.value = 14  # 131 % of the cubicles' capacity: the queue never clears
    specs = [themed(app.queue_chart.spec), themed(app.curve_chart.spec)]
    queue, curve = draw(page.page, specs, SHOTS / "patient-flow-overloaded.png")
    assert queue.error is None and curve.error is None, (queue.error, curve.error)

    days = queue.axis("Day of the simulated week")
    assert days.labels == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert days.numbers() == []  # no 0.0 … 7.0

    utilisation = curve.axis("Utilisation of the bottleneck (%)")
    assert max(utilisation.numbers()) == 100
    assert min(utilisation.numbers()) == 0
    assert "131 % of its capacity" in curve.description  # the reason the dot sits at the edge
    assert queue.truncated() == curve.truncated() == []
    assert page.external_requests() == []


def test_two_weeks_name_fourteen_days(page):
    app = PatientFlowApp(seed=0, config=FlowConfig(weeks=2))
    (queue,) = draw(page.page, [themed(app.queue_chart.spec)], SHOTS / "patient-flow-2wk.png")
    labels = queue.axis("Day of the simulated week").labels
    assert labels == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] * 2

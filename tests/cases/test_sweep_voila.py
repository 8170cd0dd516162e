"""The browser sweep in Voila: every case page, as a visitor to ``qilab cases`` meets it.

Each case is opened from the real ``qilab cases`` server (the session's ``cases_server``) and
checked as the JupyterLab sweep checks lessons (``tests/sweep.py``): every chart drawn, at least
300 px wide, with data marks and a text description; no traceback or widget error.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sweep import open_in_voila

from qilab.cases import load_cases

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.sweep]

SHOTS = Path(__file__).resolve().parent.parent.parent / ".qilab" / "test-artifacts" / "sweep"


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c.slug)
def test_each_case_in_voila_shows_every_chart_and_no_error(cases_server, page, case):
    report = open_in_voila(
        page.page,
        f"{cases_server.base}/voila/render/{case.slug}.ipynb",
        f"case-{case.slug}",
        _shots(),
    )
    problems = report.problems()
    assert not problems, f"{case.slug}:\n" + "\n".join(problems)
    assert report.charts, f"{case.slug} shows no chart"
    assert page.errors == []
    assert page.external_requests() == []


def _shots() -> Path:
    folder = SHOTS / "voila"
    folder.mkdir(parents=True, exist_ok=True)
    return folder

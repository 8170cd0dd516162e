"""`qilab cases build`: every case runs headlessly and becomes a self-contained, offline page."""

from __future__ import annotations

import re

import pytest

from qilab.cases import load_cases
from qilab.offline import vega_bundle as bundle

pytestmark = pytest.mark.slow

CASES = load_cases()
URL = re.compile(r"https?://[^\s\"'<>)\\]+")
MINUTE = 60_000


def external_urls(page: str) -> list[str]:
    """http(s) URLs in a page outside comments and citation links (``<a href>``).

    The vendored Vega bundle (whose strings name its own project pages and XML namespaces) and
    SVG namespace declarations are inert too; anything else could make the browser fetch.
    """
    page = page.replace(bundle(), "")
    page = re.sub(r"/\*.*?\*/", "", page, flags=re.S)  # CSS (and JS block) comments
    page = re.sub(r"<!--.*?-->", "", page, flags=re.S)
    page = page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    page = re.sub(r'<a\s[^>]*href="https?://[^"]*"', "<a", page)
    return URL.findall(page)


def test_every_case_notebook_runs_headlessly_and_becomes_a_page(built_site):
    assert sorted(built_site.pages) == sorted(c.slug for c in CASES)
    for case in CASES:
        page = built_site.pages[case.slug].read_text()
        assert f"<title>{case.title}</title>".replace("'", "&#39;") in page or case.title in page
        assert "Traceback" not in page
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in page, "no stderr output"
        assert "live.setup()" not in page, "code is hidden in the static pages"
        assert page.count("application/vnd.qilab.vega-lite+json") >= 1


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.slug)
def test_pages_reference_nothing_outside_this_machine(built_site, case):
    page = built_site.pages[case.slug].read_text()
    assert external_urls(page) == []
    assert (
        "require.js" not in page
        and "unpkg" not in page
        and "cdn" not in page.lower().replace(bundle().lower(), "")
    )


def test_pages_share_one_vega_bundle_file_instead_of_inlining_it(built_site):
    from qilab.cases.export import BUNDLE_FILE

    shared = built_site.out / BUNDLE_FILE
    assert shared.read_text() == bundle()
    for case in CASES:
        page = built_site.pages[case.slug].read_text()
        assert re.search(rf'<script[^>]*src="{BUNDLE_FILE}"', page), "the page loads the bundle"
        assert len(page.encode()) < len(bundle().encode()) / 2, "the bundle is not inlined"
        assert bundle()[:2000] not in page


def test_gallery_links_every_page(built_site):
    index = built_site.index.read_text()
    for case in CASES:
        assert f'href="{case.slug}.html"' in index
    assert external_urls(index) == []


@pytest.mark.browser
def test_static_page_draws_its_charts_offline_and_they_answer_the_mouse(site_server, page):
    tab = page.page
    tab.goto(f"{site_server}/pincer-prescribing-safety.html")
    specs = tab.locator("script[type='application/vnd.qilab.vega-lite+json']").count()
    tab.wait_for_function(
        f"document.querySelectorAll('.qilab-chart svg.marks').length === {specs}", timeout=MINUTE
    )
    # Interactive without a kernel: hovering a point shows Vega's tooltip with its values.
    point = tab.locator(".qilab-chart svg.marks path[aria-roledescription='point']").first
    point.scroll_into_view_if_needed()
    point.hover()
    tooltip = tab.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible", timeout=MINUTE)
    assert tooltip.inner_text().strip()
    assert tab.locator("select[disabled]").count() >= 1, "controls show their value, disabled"
    tab.locator("a.qilab-back").click()
    tab.wait_for_selector("li.qilab-case", timeout=MINUTE)
    assert tab.locator("li.qilab-case").count() == len(CASES)
    assert page.errors == []
    assert page.external_requests() == []


def test_cases_build_where_an_event_loop_is_already_running(tmp_path):
    """A tutor may build from a notebook (its kernel runs an event loop), and the browser tests
    drive Playwright's sync API in the same process: asyncio.run() refused both."""
    import asyncio
    import concurrent.futures
    import dataclasses

    import nbformat

    from qilab.cases.export import execute_cases

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
    nbformat.write(nb, tmp_path / "tiny.ipynb")
    case = dataclasses.replace(CASES[0], slug="tiny", folder=tmp_path)

    async def inside_a_running_loop() -> dict:
        return execute_cases([case], timeout=60)

    # In a thread of its own: in the full suite a browser test's sync Playwright already runs a
    # loop in pytest's thread (itself the case this guards), where asyncio.run would refuse.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        executed = pool.submit(asyncio.run, inside_a_running_loop()).result()
    assert executed["tiny"].cells[0].outputs[0]["text"].strip() == "42"

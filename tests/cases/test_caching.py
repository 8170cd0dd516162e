"""HTTP caching of `qilab cases` as a browser meets it: real server, headless Chromium.

Static files (Voila's front end, widget extensions, the Vega bundle, template styles) are
served under URLs that name their content and marked ``immutable``, so a second visit, or the
next visitor on the same computer, fetches none of them again; the page itself and every API
answer carry a visit's kernel id and ``_xsrf`` token and must never be kept (``no-store``).
"""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.request
import uuid

import pytest
from servers import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SLUG = "batching-blood-tests"
#: A live chart (Voila's widget, not the page's static rendering of it): the kernel answered.
CHART = ".jp-OutputArea-output .qilab-chart svg.marks"
MINUTE = 60_000
IMMUTABLE = "public, max-age=31536000, immutable"
VERSIONED_STATIC = re.compile(r"/voila/static/v-[0-9a-f]{16}/")

#: Every resource the page loaded over HTTP, as the browser's own Resource Timing saw it.
RESOURCES = """() => performance.getEntriesByType('resource')
  .filter(e => e.name.startsWith('http'))
  .map(e => ({url: e.name, transfer: e.transferSize, body: e.decodedBodySize}))"""


def wait_until_warm(server: Server, slug: str, timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{server.base}/qilab/status") as response:
            if json.load(response)["cases"][slug]["ready"] >= 1:
                return
        time.sleep(1)
    raise AssertionError(f"no preheated kernel for {slug} after {timeout:.0f}s")


def kind_of(path: str) -> str:
    """Which caching rule a URL path falls under."""
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/voila/render/"):
        return "page"
    if VERSIONED_STATIC.match(path):
        return "voila front end"
    if path.startswith("/voila/labextensions/"):
        return "extension"
    if path.startswith("/voila/templates/"):
        return "template asset"
    if path.startswith("/qilab/vega-embed.js"):
        return "vega bundle"
    return "other"


def visit(tab, server: Server) -> dict[str, str]:
    """Open the case and wait for a chart; the kernel id the page was given."""
    wait_until_warm(server, SLUG)
    tab.goto(f"{server.base}/voila/render/{SLUG}.ipynb", timeout=MINUTE * 5)
    tab.locator(CHART).first.wait_for(state="visible", timeout=MINUTE * 5)
    config = json.loads(tab.locator("#jupyter-config-data").text_content())
    return config


def test_static_files_are_cached_for_good_and_pages_and_apis_never(cases_server, page):
    tab = page.page
    seen: list[tuple[str, str, str]] = []  # (path with query, Cache-Control, resource type)

    def record(response) -> None:
        if response.url.startswith(cases_server.base):
            path = response.url[len(cases_server.base) :]
            control = response.headers.get("cache-control", "")
            seen.append((path, control, response.request.resource_type))

    tab.on("response", record)
    first = visit(tab, cases_server)
    tab.remove_listener("response", record)

    by_kind: dict[str, list[tuple[str, str]]] = {}
    for path, control, _ in seen:
        by_kind.setdefault(kind_of(path), []).append((path, control))
    assert {"page", "api", "voila front end", "extension", "template asset", "vega bundle"} <= set(
        by_kind
    ), sorted(by_kind)
    # The page and the kernel API name this visit's kernel: never stored by the browser.
    for kind in ("page", "api"):
        for path, control in by_kind[kind]:
            assert "no-store" in control, (path, control)
    # Everything static is named by its content and kept for good.
    for kind in ("voila front end", "extension", "template asset", "vega bundle"):
        for path, control in by_kind[kind]:
            assert control == IMMUTABLE, (path, control)
    # Voila's chunks (about 70) only ever come from the digest URL, never the bare one.
    assert len(by_kind["voila front end"]) > 50
    assert not [p for p, _ in by_kind.get("other", []) if p.startswith("/voila/static/")]

    # A second visit in the same browser: a new kernel, but no static file over the network.
    second = visit(tab, cases_server)
    assert second["kernelId"] != first["kernelId"]
    resources = tab.evaluate(RESOURCES)
    static = [r for r in resources if kind_of(r["url"][len(cases_server.base) :]) != "api"]
    assert len(static) > 80, len(static)
    fetched = [r["url"] for r in static if r["transfer"] != 0 or r["body"] == 0]
    assert fetched == [], f"fetched again on the second visit: {fetched}"
    # ... while the page itself was fetched afresh, and draws its charts.
    navigation = tab.evaluate("performance.getEntriesByType('navigation')[0].transferSize")
    assert navigation > 0
    assert tab.locator(CHART).count() >= 2
    assert page.errors == []
    assert page.external_requests() == []


def headers_of(server: Server, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"{server.base}{path}") as response:
            return response.status, response.headers.get("Cache-Control", "")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Cache-Control", "")


def test_only_urls_naming_their_content_are_immutable(cases_server):
    with urllib.request.urlopen(f"{cases_server.base}/") as response:
        gallery = response.read().decode()
        assert response.headers["Cache-Control"] == "no-cache"
    # The gallery prefetches the digest URLs the case pages use, so the cache is warm.
    voila_js = re.search(r'href="(/voila/static/v-[0-9a-f]{16}/voila\.js)"', gallery)
    vega = re.search(r'href="(/qilab/vega-embed\.js\?v=[0-9a-f]{16})"', gallery)
    assert voila_js and vega, gallery
    assert headers_of(cases_server, voila_js.group(1)) == (200, IMMUTABLE)
    assert headers_of(cases_server, vega.group(1)) == (200, IMMUTABLE)
    # A digest that is not the running Voila's is refused, never served as if current.
    assert headers_of(cases_server, "/voila/static/v-0123456789abcdef/voila.js")[0] in {403, 404}
    stale = headers_of(cases_server, "/qilab/vega-embed.js?v=0123456789abcdef")
    assert stale == (200, "no-cache")
    # An extension file without a hash in its name is revalidated, not kept for good.
    assert headers_of(cases_server, "/voila/labextensions/anywidget/package.json") == (
        200,
        "no-cache",
    )
    # API answers, error pages and the status page: never stored, or always asked again.
    assert headers_of(cases_server, f"/api/kernels/{uuid.uuid4()}") == (404, "no-store")
    assert headers_of(cases_server, "/voila/render/not-a-case.ipynb") == (404, "no-store")
    assert headers_of(cases_server, "/qilab/status") == (200, "no-cache")


@pytest.mark.parametrize(
    "tail",
    ["../../../../pyproject.toml", "..%2F..%2F..%2F..%2Fpyproject.toml", "%2e%2e/%2e%2e/%2e%2e/"],
)
def test_the_digest_url_serves_nothing_outside_voilas_static_folder(cases_server, tail):
    """An attacker tries to walk out of the new digest route, as out of Voila's own."""
    with urllib.request.urlopen(f"{cases_server.base}/") as response:
        gallery = response.read().decode()
    prefix = re.search(r'href="(/voila/static/v-[0-9a-f]{16}/)voila\.js"', gallery)
    assert prefix, gallery
    host, port = cases_server.base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    connection.request("GET", prefix.group(1) + tail)  # sent as written: no normalising
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    connection.close()
    assert response.status in {400, 403, 404}, (response.status, body[:300])
    assert "[build-system]" not in body

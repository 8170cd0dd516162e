"""Fixtures for the case-study tests: one static build and one `qilab cases` server per session.

Both are expensive (every case notebook runs), so each is made once and shared; the tests only
read from them.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator

import pytest
from servers import Server, qilab_cases

from qilab.cases import build_site
from qilab.cases.export import BuildReport


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> BuildReport:
    """`qilab cases build` of every case: runs each notebook headlessly with nbclient."""
    return build_site(tmp_path_factory.mktemp("cases-build") / "site")


@pytest.fixture(scope="session")
def site_server(built_site: BuildReport) -> Iterator[str]:
    """The static build served on localhost, as an academy's intranet would (no internet)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built_site.out))
    handler.log_message = lambda *args: None  # type: ignore[method-assign]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="session")
def cases_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real `qilab cases`, one preheated kernel per case, for the whole session."""
    with qilab_cases(tmp_path_factory.mktemp("cases-server"), pool_size=1) as server:
        yield server

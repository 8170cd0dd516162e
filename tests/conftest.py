"""Fixtures shared by the whole suite: the repository, a real Chromium, a real JupyterLab."""

from __future__ import annotations

import os
import re
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_server import new_database, throwaway_server
from servers import Server, course_copy, qilab_lab

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
#: The flags every browser test runs Chromium with (no sandbox as root; no calls home).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

# Behave like an activated virtual environment, as make.py does (nbgrader calls alembic by name).
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright (never a downloaded browser build)."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: browser tests need Debian's chromium. "
            "`python3 make.py test` installs it (as root), or `sudo apt-get install chromium`."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class PageRecorder:
    """A browser page that remembers every request and every JavaScript error."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def external_requests(self) -> list[str]:
        """Requests that left this machine (data: and blob: URLs never do)."""
        return [
            url
            for url in self.requests
            if urllib.parse.urlsplit(url).scheme not in {"data", "blob", "about"}
            and urllib.parse.urlsplit(url).hostname not in LOCAL_HOSTS
        ]


ARTIFACTS = REPO / ".qilab" / "test-artifacts"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.stash[FAILED] = report.failed


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[PageRecorder]:
    """A fresh browser page; on failure its screenshot goes to .qilab/test-artifacts/."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    recorder = PageRecorder(context.new_page())
    try:
        yield recorder
    finally:
        if request.node.stash.get(FAILED, False):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "-", request.node.name)
            shot = ARTIFACTS / f"{name}.png"
            recorder.page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failing page: {shot}")
        context.close()


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``qilab lab`` itself, on a free port, for the whole session, on a copy of the course (it
    releases the assignments into the copy's .qilab/, never the checkout's)."""
    tmp = tmp_path_factory.mktemp("lab")
    with qilab_lab(tmp, root=course_copy(tmp / "course")) as server:
        yield server


#: Fixtures that start a browser, a server, PostgreSQL or a real nbgrader run, by the marker a test
#: using them must carry, so that ``python3 make.py test --fast`` (``-m "not slow and not
#: browser"``) never needs any of them and stays a loop of seconds.
HEAVY_FIXTURES = {
    "browser": "browser",
    "page": "browser",
    "lab_server": "slow",
    "cases_server": "slow",
    "site_server": "slow",
    "built_site": "slow",
    "postgres_server": "slow",
    "postgres_url": "slow",
    "graded_course": "slow",
}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on a free localhost port; yields its base URL."""
    with throwaway_server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the throw-away server."""
    return new_database(postgres_server)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse to run a test that uses a heavy fixture without the marker the fast loop needs."""
    unmarked = [
        f"{item.nodeid} uses {fixture!r}: mark it @pytest.mark.{marker}"
        for item in items
        for fixture, marker in HEAVY_FIXTURES.items()
        if fixture in getattr(item, "fixturenames", ())
        and item.get_closest_marker(marker) is None
        and not (marker == "slow" and item.get_closest_marker("browser"))
    ]
    if unmarked:
        raise pytest.UsageError("tests not marked for the fast loop:\n  " + "\n  ".join(unmarked))

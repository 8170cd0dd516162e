"""The Voila application behind ``qilab cases``: standalone Voila, locked down, with a gallery.

Only imported when serving (Voila and Tornado are slow to import). Compared with plain
``voila FOLDER``, this app

* answers ``/`` with the case gallery instead of Voila's folder listing, removes the
  folder-browsing and contents API routes, and renders only the notebooks listed in
  ``cases.yaml`` (anything else under ``/voila/render/`` is a 404, never a redirect);
* answers malformed template-asset paths (``..``) with 404 instead of Voila's 500;
* reports at ``/qilab/status`` how many preheated kernels are ready per case (for operators,
  the benchmark and the tests: counts only, no kernel ids);
* opens the browser on the gallery or on the case asked for.

Everything else (no code execution from the page, no tracebacks, time limits, preheated pools,
culling) is Voila configuration set in :mod:`qilab.cases.server`.
"""

from __future__ import annotations

import json
import threading
import webbrowser
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Unicode
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from .catalogue import Case, load_cases
from .gallery import gallery_html
from .server import render_path
from .vega import BUNDLE_PATH, bundle

#: Voila routes a visitor never needs: the folder browser and the contents API.
REMOVED_HANDLERS = (TornadoVoilaTreeHandler, VoilaContentsHandler)


class ListedCaseHandler(TornadoVoilaHandler):
    """Voila's notebook renderer, for the notebooks of listed cases only."""

    listed: frozenset[str] = frozenset()

    def prepare(self) -> Any:
        path = self.path_args[0] if self.path_args else ""
        if path not in self.listed:
            raise web.HTTPError(404)
        return super().prepare()


class StrictTemplateStaticHandler(TemplateStaticFileHandler):
    """Template assets (``<template>/static/<file>``); anything else is a plain 404."""

    def parse_url_path(self, path: str) -> str:
        parts = path.split("/")
        if len(parts) < 3 or parts[1] != "static" or ".." in parts or "" in parts:
            raise web.HTTPError(404)
        return super().parse_url_path(path)


class GalleryHandler(JupyterHandler):
    """The gallery page, rendered once when the server starts."""

    def initialize(self, page: str) -> None:
        self.page = page

    @web.authenticated
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(self.page)


def pool_status(kernel_manager: Any, cases: list[Case]) -> dict[str, dict[str, int]]:
    """Per case: preheated kernels whose notebook has finished running, and those still starting."""
    pools = getattr(kernel_manager, "_pools", {})
    status = {}
    for case in cases:
        ready = starting = 0
        for item in pools.get(case.notebook.name, []):
            done = item.done() and not item.cancelled() and item.exception() is None
            if done and item.result()["task"].done():
                ready += 1
            else:
                starting += 1
        status[case.slug] = {"ready": ready, "starting": starting}
    return status


class StatusHandler(JupyterHandler):
    """``/qilab/status``: is the server warm? Counts of preheated kernels per case."""

    def initialize(self, cases: list[Case]) -> None:
        self.cases = cases

    @web.authenticated
    def get(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-cache")
        self.finish(json.dumps({"cases": pool_status(self.kernel_manager, self.cases)}))


class VegaHandler(JupyterHandler):
    """The Vega bundle every chart on a case page shares (see :mod:`qilab.cases.vega`)."""

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        self.set_header("Cache-Control", "public, max-age=86400")
        self.finish(bundle())


class CasesVoila(Voila):
    """Standalone Voila serving ``curriculum/cases`` behind a gallery."""

    name = "qilab-cases"
    open_path = Unicode("", config=True, help="Page to open in the browser, e.g. a case.")

    def init_handlers(self) -> list:
        cases = load_cases(Path(self.root_dir))
        bundle()  # build the shared Vega bundle now, not on the first visitor's page load
        listed = type(
            "Listed", (ListedCaseHandler,), {"listed": frozenset(c.notebook.name for c in cases)}
        )
        swap = {TornadoVoilaHandler: listed, TemplateStaticFileHandler: StrictTemplateStaticHandler}
        handlers = [
            (h[0], swap.get(h[1], h[1]), *h[2:])
            for h in super().init_handlers()
            if h[1] not in REMOVED_HANDLERS
        ]
        page = gallery_html(
            cases,
            lambda case: url_path_join(self.base_url, render_path(case)),
            footer="Close a case's tab when you finish: its kernel is then freed for others.",
            prefetch=[
                url_path_join(self.base_url, BUNDLE_PATH),
                url_path_join(self.base_url, "voila/static/voila.js"),
            ],
        )
        return [
            (url_path_join(self.server_url, r"/?"), GalleryHandler, {"page": page}),
            (url_path_join(self.server_url, r"/qilab/status"), StatusHandler, {"cases": cases}),
            (url_path_join(self.server_url, BUNDLE_PATH), VegaHandler),
            *handlers,
        ]

    def launch_browser(self) -> None:
        url = url_path_join(self.connection_url, self.open_path)
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

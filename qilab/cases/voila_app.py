"""The Voila application behind ``qilab cases``: standalone Voila, locked down, with a gallery.

Only imported when serving (Voila and Tornado are slow to import). Compared with plain
``voila FOLDER``, this app

* answers ``/`` with the case gallery instead of Voila's folder listing, removes the
  folder-browsing and contents API routes, and renders only the notebooks listed in
  ``cases.yaml`` (anything else under ``/voila/render/`` is a 404, never a redirect);
* answers malformed template-asset paths (``..``) with 404 instead of Voila's 500;
* reports at ``/qilab/status`` how many preheated kernels are ready per case, and how many
  kernels are live (for operators, the benchmark and the tests: counts only, no kernel ids);
* admits a visitor only while there is room (:meth:`CasesKernelManager.admit`), otherwise
  answers with a "busy, try again in a minute" page (503, ``Retry-After``);
* sends a visitor who arrives while the case's pool has no ready kernel the case's page at
  once, and the live page when a kernel started for them is ready (:mod:`qilab.cases.waiting`;
  ``/qilab/ticket/<ticket>`` tells the waiting page when);
* sets the ``_xsrf`` cookie on a case page, so Voila's shutdown call when the page closes is
  accepted;
* refuses any request whose ``Host`` is not one of the configured names (403: DNS rebinding);
* answers ``/logout`` with a plain page (jupyter_server's own needs a template Voila lacks);
* opens the browser on the gallery or on the case asked for;
* caches static files in the browser for good under URLs that name their content, and never
  pages or API responses (:mod:`qilab.cases.caching`).

Everything else (no code execution from the page, no tracebacks, time limits, preheated pools,
culling, freeing a visitor's kernel) is Voila configuration set in :mod:`qilab.cases.server`,
with the kernel manager of :mod:`qilab.cases.kernels` and the websocket of
:mod:`qilab.cases.websocket`.
"""

from __future__ import annotations

import html
import ipaddress
import json
import re
import threading
import webbrowser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.base.handlers import FileFindHandler, JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from tornado.log import app_log
from tornado.websocket import WebSocketHandler
from traitlets import Unicode
from voila.app import Voila
from voila.static_file_handler import TemplateStaticFileHandler
from voila.tornado.contentshandler import VoilaContentsHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.tornado.treehandler import TornadoVoilaTreeHandler

from qilab.offline import vega_bundle

from . import caching, waiting
from .catalogue import Case, load_cases
from .gallery import gallery_html
from .server import render_path
from .vega import BUNDLE_PATH

#: The lab extension's source folder: scripts the case pages share with JupyterLab.
LAB_SCRIPTS = Path(__file__).resolve().parent.parent / "labextension" / "src"

#: Voila routes a visitor never needs: the folder browser and the contents API.
REMOVED_HANDLERS = (TornadoVoilaTreeHandler, VoilaContentsHandler)


#: Query arguments of a case page that are ignored: Voila's template and theme overrides.
IGNORED_ARGUMENTS = frozenset({"template", "theme"})

BUSY_RETRY_S = 60
BUSY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Busy: try again in a minute</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body {{ font-family: system-ui, sans-serif; max-width: 40em; margin: 4em auto;
padding: 0 1em; line-height: 1.5; color: #1A1A1A; }}</style></head>
<body><main><h1>The case studies are busy</h1>
<p>Every place on this server is taken by other visitors just now. Please try again in a
minute: <a href="">reload this page</a>, or go back to <a href="{gallery}">the gallery</a>.</p>
<p>Places are freed as soon as other visitors close their case studies.</p></main></body></html>
"""

LOGGED_OUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head>
<body><main><h1>Signed out</h1><p>You have left the QI Lab case studies.
<a href="{gallery}">Back to the gallery</a>.</p></main></body></html>
"""


def host_allowed(host_header: str, allowed: frozenset[str]) -> bool:
    """Is the ``Host`` header one of *allowed* (or a loopback address)? The port is ignored.

    A DNS-rebinding page reaches the server under the attacker's own host name, so only names
    the operator chose are accepted; an address typed directly must be loopback or listed.

    Examples
    --------
    >>> host_allowed("localhost:8866", frozenset({"localhost"}))
    True
    >>> host_allowed("evil.example:8866", frozenset({"localhost"}))
    False
    >>> host_allowed("[::1]:8866", frozenset())
    True
    """
    match = re.match(r"^(.*?)(:\d+)?$", host_header.strip().lower())
    host = match.group(1) if match else ""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host in allowed:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{code} {reason}</title></head>
<body><main><h1>{code} {reason}</h1><p><a href="/">The case studies gallery</a></p></main>
</body></html>
"""


class HostCheck:
    """Mixed into every handler: refuse (403) a ``Host`` that is not an allowed name.

    Every response but a static file's is ``no-store`` unless its handler says otherwise:
    pages and API answers carry a visit's kernel id and ``_xsrf`` token.

    It also replaces jupyter_server's ``check_host`` (which accepts only loopback addresses,
    not a listed LAN address), so both agree, and its error pages, whose template needs static
    files Voila does not serve (so every error became an error while writing the error).
    """

    allowed_hosts: frozenset[str] = frozenset()

    def check_host(self) -> bool:
        ok = host_allowed(self.request.host, self.allowed_hosts)  # type: ignore[attr-defined]
        if not ok:
            app_log.warning("Refused a request for Host %r", self.request.host)  # type: ignore[attr-defined]
        return ok

    def prepare(self) -> Any:
        # A JupyterHandler's own prepare calls check_host (and can then render its 403 page).
        if not isinstance(self, JupyterHandler) and not self.check_host():
            raise web.HTTPError(403)
        if not isinstance(self, (web.StaticFileHandler, WebSocketHandler)):
            self.set_header("Cache-Control", caching.NO_STORE)  # type: ignore[attr-defined]
        return super().prepare()  # type: ignore[misc]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = html.escape(self._reason)  # type: ignore[attr-defined]
        self.set_header("Content-Type", "text/html; charset=utf-8")  # type: ignore[attr-defined]
        self.set_header("Cache-Control", caching.NO_STORE)  # type: ignore[attr-defined]
        self.finish(ERROR_PAGE.format(code=status_code, reason=reason))  # type: ignore[attr-defined]


class ListedCaseHandler(TornadoVoilaHandler):
    """Voila's notebook renderer, for the notebooks of listed cases only, while there is room.

    A visitor arriving while the case's pool has no ready kernel gets the case's page at once
    and a ticket for a kernel starting for them; the page comes back with the ticket when that
    kernel is ready (:mod:`qilab.cases.waiting`). Coming back needs no new admission: the
    ticket's kernel was counted when the ticket was issued. Only a ticket claimed here, for
    this case, skips admission; anything else (a forged, spent or other case's ticket, or one
    whose kernel failed or was shut down) is a new visit.
    """

    listed: frozenset[str] = frozenset()
    _admitted = False
    _claimed: Any = None  # the pool place of the ticket this request claimed

    def get_argument(self, name: str, *args: Any, **kwargs: Any) -> Any:
        # Visitors may not choose another template or theme (allow_*_override is "NO"); Voila
        # would still serve such a request from a kernel started for it, outside the pool.
        if name in IGNORED_ARGUMENTS:
            return None
        return super().get_argument(name, *args, **kwargs)

    async def prepare(self) -> None:
        result = super().prepare()  # jupyter_server's: Host check, who the visitor is
        if result is not None:
            await result
        path = self.path_args[0] if self.path_args else ""
        if path not in self.listed:
            raise web.HTTPError(404)
        manager = self.kernel_manager
        ticket = self.get_query_argument(waiting.TICKET_ARG, "")
        if ticket and self.current_user is not None and hasattr(manager, "claim"):
            self._claimed = manager.claim(ticket, path)  # taken once, here, or not at all
        admit = getattr(manager, "admit", None)
        if self._claimed is None and admit is not None and not admit():
            counts = manager.counts()
            self.log.warning("Busy: refused a visitor to %s (%s)", path, counts)
            self.set_status(503)
            self.set_header("Retry-After", str(BUSY_RETRY_S))
            self.set_header("Cache-Control", "no-store")
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(BUSY_PAGE.format(gallery=html.escape(self.base_url)))
            return
        self._admitted = admit is not None and self._claimed is None
        # Voila's page posts this cookie's value when it closes, asking for its kernel's
        # shutdown; without the cookie, that request is refused (403 '_xsrf' missing).
        self.xsrf_token  # noqa: B018 - reading it sets the cookie

    @web.authenticated
    async def get(self, path: str | None = None) -> None:
        manager = self.kernel_manager
        if self._claimed is not None:
            manager.put_first_in_pool(path, self._claimed)  # Voila hands it out next
            self._claimed = None
            self.log.info("A waiting visitor to %s comes back for their kernel", path)
            await super().get(path)
            return
        page_for_waiting = getattr(manager, "page_for_waiting_visitor", None)
        page = page_for_waiting(path) if page_for_waiting is not None else None
        if page is None:
            await super().get(path)
            return
        ticket = manager.reserve(path)
        self.log.info("Visitor to %s waits for a kernel (%s)", path, manager.counts())
        query = parse_qsl(self.request.query, keep_blank_values=True)
        query = [(k, v) for k, v in query if k != waiting.TICKET_ARG] + [
            (waiting.TICKET_ARG, ticket)
        ]
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            waiting.waiting_page(
                page,
                poll_url=url_path_join(self.base_url, TICKET_PATH, ticket),
                live_url=f"{self.request.path}?{urlencode(query)}",
            )
        )

    def _release(self) -> None:
        if self._admitted:
            self._admitted = False
            self.kernel_manager.release()

    def on_finish(self) -> None:
        self._release()
        super().on_finish()

    def on_connection_close(self) -> None:
        self._release()
        super().on_connection_close()


#: Where a waiting page asks whether its kernel is ready (``/qilab/ticket/<ticket>``).
TICKET_PATH = "qilab/ticket"


class TicketHandler(JupyterHandler):
    """``/qilab/ticket/<ticket>``: is the kernel reserved for a waiting page ready?

    ``{"ready": true|false}``, or 404 for a ticket the server does not hold (claimed, dropped,
    or the server restarted): the page then reloads as a new visit. Asking is the ticket's
    heartbeat (:meth:`qilab.cases.waiting.Tickets.is_ready`).
    """

    @web.authenticated
    def get(self, ticket: str) -> None:
        tickets = getattr(self.kernel_manager, "tickets", None)
        ready = tickets.is_ready(ticket) if tickets is not None else None
        if ready is None:
            raise web.HTTPError(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"ready": ready}))


class LogoutHandler(JupyterHandler):
    """``/logout``: forget the visitor's login cookie and say so (never a 500)."""

    @allow_unauthenticated
    def get(self) -> None:
        self.identity_provider.clear_login_cookie(self)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(LOGGED_OUT_PAGE.format(gallery=html.escape(self.base_url)))


class StrictTemplateStaticHandler(TemplateStaticFileHandler):
    """Template assets (``<template>/static/<file>``); anything else is a plain 404.

    Voila links them with ``?v=<content hash>``: such a response is ``immutable``.
    """

    def set_extra_headers(self, path: str) -> None:
        named = "v" in self.request.arguments
        self.set_header("Cache-Control", caching.IMMUTABLE if named else caching.REVALIDATE)

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
        counts: dict[str, int] = getattr(self.kernel_manager, "counts", dict)()
        status = {"cases": pool_status(self.kernel_manager, self.cases), "kernels": counts}
        self.finish(json.dumps(status))


class VegaHandler(JupyterHandler):
    """The Vega bundle every chart on a case page shares (see :mod:`qilab.cases.vega`).

    Pages link it as ``?v=<digest>``; under the current digest it is ``immutable``, otherwise
    (kernels' charts name the bare path) revalidated.
    """

    def initialize(self, digest: str) -> None:
        self.digest = digest

    def get(self) -> None:
        self.set_header("Content-Type", "application/javascript; charset=utf-8")
        named = self.get_query_argument("v", "") == self.digest
        self.set_header("Cache-Control", caching.IMMUTABLE if named else caching.REVALIDATE)
        self.finish(vega_bundle())


class CasesVoila(Voila):
    """Standalone Voila serving ``curriculum/cases`` behind a gallery."""

    name = "qilab-cases"
    open_path = Unicode("", config=True, help="Page to open in the browser, e.g. a case.")

    def setup_template_dirs(self) -> None:
        super().setup_template_dirs()
        # The qilab-cases template includes the lab extension's DOM-only scripts (one copy).
        self.template_paths.append(str(LAB_SCRIPTS))

    def _host_checked(self, handler: type) -> type:
        hosts = frozenset(self.tornado_settings.get("local_hostnames", ["localhost"]))
        return type(handler.__name__, (HostCheck, handler), {"allowed_hosts": hosts})

    def init_settings(self) -> dict:
        # Before Voila makes its kernel manager, which renders preheated pages with this hook.
        # Build the shared Vega bundle now, not on the first visitor's page load.
        vega_digest = caching.text_digest(vega_bundle())
        vega_url = url_path_join(self.base_url, BUNDLE_PATH) + f"?v={vega_digest}"
        static_path = caching.versioned_static_path(caching.static_digest(self.static_paths))
        self.voila_configuration.page_config_hook = caching.page_config_hook(static_path, vega_url)
        self._cached_urls = (vega_digest, vega_url, static_path)
        return super().init_settings()

    def init_handlers(self) -> list:
        cases = load_cases(Path(self.root_dir))
        vega_digest, vega_url, static_path = self._cached_urls
        listed = type(
            "Listed", (ListedCaseHandler,), {"listed": frozenset(c.notebook.name for c in cases)}
        )
        swap = {
            TornadoVoilaHandler: listed,
            TemplateStaticFileHandler: StrictTemplateStaticHandler,
            FileFindHandler: caching.HashedExtensionHandler,
        }
        handlers = [
            (h[0], swap.get(h[1], h[1]), *h[2:])
            for h in super().init_handlers()
            if h[1] not in REMOVED_HANDLERS
        ]
        page = gallery_html(
            cases,
            lambda case: url_path_join(self.base_url, render_path(case)),
            footer=(
                "Close a case's tab when you finish: the computer running it is freed for "
                "others within seconds."
            ),
            prefetch=[vega_url, url_path_join(self.base_url, static_path, "voila.js")],
        )
        start_watching = getattr(self.kernel_manager, "start_watching", None)
        if start_watching is not None:
            start_watching()
        return [
            (h[0], self._host_checked(h[1]), *h[2:])
            for h in [
                (url_path_join(self.server_url, r"/?"), GalleryHandler, {"page": page}),
                (url_path_join(self.server_url, r"/qilab/status"), StatusHandler, {"cases": cases}),
                (url_path_join(self.server_url, TICKET_PATH, r"([\w-]+)"), TicketHandler),
                (url_path_join(self.server_url, BUNDLE_PATH), VegaHandler, {"digest": vega_digest}),
                (
                    url_path_join(self.server_url, static_path, "(.*)"),
                    caching.ImmutableStaticHandler,
                    {"paths": self.static_paths, "default_filename": None},
                ),
                *handlers,
            ]
        ]

    def launch_browser(self) -> None:
        url = url_path_join(self.connection_url, self.open_path)
        if self.token:
            url += f"?token={self.token}"
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()

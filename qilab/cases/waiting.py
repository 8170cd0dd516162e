"""Visitors beyond a case's preheated pool: the page at once, its controls when a kernel is ready.

A preheated kernel has already run its case's notebook, so its visitor's page arrives at once.
When a room opens a case together, the first visitor takes the pool's kernel and every other
one needs a kernel that still has to run the notebook: about a second of CPU each, so nine of
them on a two-core server keep the whole room looking at blank pages for seconds
(``benchmarks/README.md``).

Yet a case's page is the same for every visitor until someone moves a control: the notebook is
deterministic, and its charts are drawn by the server (:mod:`qilab.cases.prerender`). So a
visitor arriving while the pool has no ready kernel is sent that page at once, copied from a
kernel that rendered it (:func:`waiting_page`), with its controls marked as loading. Meanwhile
the kernel Voila would have made them wait for starts, reserved for them under a *ticket*
(:class:`Tickets`). The page asks ``/qilab/ticket/<ticket>`` every half second whether that
kernel is ready, then reloads itself as the live page from it (``?qilab-ticket=``), keeping its
scroll position (``prerender.js``). Until then the visitor reads the case and its charts.

A ticket is an unguessable capability for one kernel, claimed once. Its page's polls are its
heartbeat: a ticket not asked about for ``leave_grace`` seconds (the tab was closed) is dropped
and its kernel shut down. The page copied for waiting visitors has its kernel's id removed
(with it, a visitor could connect to someone else's kernel).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

#: The query argument of the live page a waiting page reloads into.
TICKET_ARG = "qilab-ticket"

#: Seconds between a waiting page's questions (also in ``prerender.js``).
POLL_S = 0.5

#: Where the ``qilab-cases`` template leaves room for a waiting page's ticket (it must match
#: the template's ``qilab-ticket`` script exactly).
TICKET_SLOT = '<script id="qilab-ticket" type="application/json">null</script>'


def started_kernel(item: asyncio.Future) -> str | None:
    """The id of the kernel this pool place started, or None (still starting, or failed)."""
    if not item.done() or item.cancelled() or item.exception() is not None:
        return None
    return item.result()["kernel_id"]


def pool_item_ready(item: asyncio.Future) -> bool:
    """Has this pool place's kernel started *and* finished running its notebook?

    Voila's pool places are tasks whose result is ``{"task": render task, "kernel_id": ...}``.
    """
    if started_kernel(item) is None:
        return False
    render = item.result()["task"]
    return render.done() and not render.cancelled() and render.exception() is None


def item_failed(item: asyncio.Future) -> bool:
    """Can this pool place never serve a visitor? Its kernel failed to start, or its page to
    render (a kernel that never answered: Voila gives up after its start-up timeout)."""
    if not item.done():
        return False
    if started_kernel(item) is None:
        return True
    render = item.result()["task"]
    return render.done() and (render.cancelled() or render.exception() is not None)


def rendered_page(item: asyncio.Future) -> str:
    """The whole page a ready pool place rendered (see :func:`pool_item_ready`)."""
    rendered, _rest = item.result()["task"].result()
    return "".join(rendered)


def page_for_waiting(page: str, kernel_id: str) -> str:
    """*page*, rendered by kernel *kernel_id*, without that kernel's id (see the module notes).

    Raises ``ValueError`` if the page has no room for a ticket (a template without the slot).

    Examples
    --------
    >>> page = f'{TICKET_SLOT}<script>{{"kernelId": "k-123"}}</script>'
    >>> page_for_waiting(page, "k-123").removeprefix(TICKET_SLOT)
    '<script>{"kernelId": ""}</script>'
    """
    if TICKET_SLOT not in page:
        raise ValueError("The case template has no qilab-ticket slot for a waiting page.")
    return page.replace(kernel_id, "")


def waiting_page(page: str, *, poll_url: str, live_url: str) -> str:
    """A copy of a page for waiting (:func:`page_for_waiting`), told where to ask and go.

    Examples
    --------
    >>> waiting = waiting_page(TICKET_SLOT, poll_url="/qilab/ticket/t1", live_url="/c?t=1")
    >>> json.loads(waiting.split(">", 1)[1].split("<", 1)[0])["poll"]
    '/qilab/ticket/t1'
    """
    # The JSON goes inside a <script>: escape "<" so no value can close the element.
    ticket = json.dumps({"poll": poll_url, "live": live_url, "every_ms": int(POLL_S * 1000)})
    slot = TICKET_SLOT.replace(">null<", ">" + ticket.replace("<", "\\u003c") + "<")
    return page.replace(TICKET_SLOT, slot, 1)


@dataclass
class Ticket:
    """A kernel starting for one waiting visitor: a Voila pool place, taken out of the pool."""

    notebook: str
    item: asyncio.Future
    asked_at: float = field(default_factory=time.monotonic)


class Tickets:
    """The tickets of waiting visitors (see the module notes).

    Examples
    --------
    >>> loop = asyncio.new_event_loop()
    >>> place = loop.create_future()
    >>> tickets = Tickets()
    >>> ticket = tickets.issue("case.ipynb", place)
    >>> tickets.is_ready(ticket), tickets.starting()
    (False, 1)
    >>> tickets.claim(ticket, "other.ipynb") is None  # a ticket opens its own case only
    True
    >>> tickets.claim(ticket, "case.ipynb") is place, tickets.claim(ticket, "case.ipynb")
    (True, None)
    >>> loop.close()
    """

    def __init__(self) -> None:
        self._tickets: dict[str, Ticket] = {}

    def __len__(self) -> int:
        return len(self._tickets)

    def __contains__(self, ticket: object) -> bool:
        return ticket in self._tickets

    def issue(self, notebook: str, item: asyncio.Future) -> str:
        """Reserve pool place *item* (already out of the pool) for a visitor; their ticket."""
        ticket = secrets.token_urlsafe(18)
        self._tickets[ticket] = Ticket(notebook, item)
        return ticket

    def is_ready(self, ticket: str) -> bool | None:
        """Can *ticket* be claimed now? ``None`` for an unknown ticket. Counts as a heartbeat.

        A place that failed is "ready" too: the page comes back, its claim fails, and the
        visitor is served as a new visit, never left waiting for a kernel that will not come.
        """
        entry = self._tickets.get(ticket)
        if entry is None:
            return None
        entry.asked_at = time.monotonic()
        return pool_item_ready(entry.item) or item_failed(entry.item)

    def claim(self, ticket: str, notebook: str) -> asyncio.Future | None:
        """Take *ticket*'s pool place (once), if it is for *notebook* (it may have failed:
        :func:`item_failed`)."""
        entry = self._tickets.get(ticket)
        if entry is None or entry.notebook != notebook:
            return None
        del self._tickets[ticket]
        return entry.item

    def forget_kernel(self, kernel_id: str) -> None:
        """Drop the ticket of a kernel that was shut down (its page is then told 404)."""
        for ticket, entry in list(self._tickets.items()):
            if started_kernel(entry.item) == kernel_id:
                del self._tickets[ticket]

    def starting(self) -> int:
        """Tickets whose kernel has not started yet (not yet among the server's kernels)."""
        return sum(1 for entry in self._tickets.values() if not entry.item.done())

    def abandoned(self, grace: float, now: float | None = None) -> list[Any]:
        """Drop tickets nobody asked about for *grace* seconds; their kernel ids (to shut down).

        A ticket whose kernel is still starting waits until it has started (nothing to shut
        down yet).
        """
        now = time.monotonic() if now is None else now
        gone = []
        for ticket, entry in list(self._tickets.items()):
            if now - entry.asked_at >= grace and entry.item.done():
                del self._tickets[ticket]
                kernel_id = started_kernel(entry.item)
                if kernel_id is not None:
                    gone.append(kernel_id)
        return gone

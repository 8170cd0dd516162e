"""Kernel bookkeeping for ``qilab cases``: free a visitor's kernel when they leave, cap the rest.

Voila (``VoilaKernelManager``) keeps a pool of preheated kernels per case and hands one to each
visitor; jupyter_server culls kernels idle for ``cull_idle_timeout``. Three gaps remain, closed
here in the kernel manager class Voila is configured to build on
(``VoilaConfiguration.multi_kernel_manager_class``):

* **Leaving.** Voila's page asks for its kernel's shutdown on ``beforeunload``, but a closed
  laptop lid, a crashed tab or a lost network never says goodbye. So a visitor's kernel is shut
  down ``leave_grace`` seconds after its page's last websocket closes (a reload reconnects well
  within that).
* **Handed out, not yet connected.** Voila protects pooled kernels from the culler, but a kernel
  just handed to a visitor still carries the idle clock of its time in the pool, so the culler
  could shut it down before the page connected. Here a kernel that has never had a page
  connected is never culled; it is shut down only if no page connects within
  ``connect_timeout`` seconds of its hand-out (or of its last output): a plain ``GET`` that
  never runs the page's script (a crawler, an attacker) does not hold a kernel for long.
* **A room arriving together.** Each kernel Voila starts to refill a pool runs the case's
  notebook: about a second of CPU. Started while a room's visitors are still arriving, ten of
  them take that CPU from the pages being served. So a refill waits until no visitor has
  arrived for ``refill_quiet`` seconds (at most ``refill_wait_max``); a refill that a visitor
  is already waiting for (taken from the pool before it was ready) starts at once.
* **Visitors beyond the pool.** A visitor arriving while their case's pool has no ready kernel
  is sent the case's page at once, and a kernel is reserved for them under a ticket
  (:mod:`qilab.cases.waiting`): :meth:`CasesKernelManager.page_for_waiting_visitor`,
  :meth:`~CasesKernelManager.reserve`, :meth:`~CasesKernelManager.claim` and
  :meth:`~CasesKernelManager.put_first_in_pool`.
* **Too many visitors.** :meth:`CasesKernelManager.admit` refuses a new visitor when the visitor
  kernels (live, being prepared for a request, or reserved for a waiting page) would exceed
  ``max_visitor_kernels``; the handler then shows a "busy" page instead of starting yet
  another kernel.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from tornado.ioloop import PeriodicCallback
from traitlets import Float, Int, TraitError

from .waiting import (
    Tickets,
    item_failed,
    page_for_waiting,
    pool_item_ready,
    rendered_page,
    started_kernel,
)


class CasesKernelManager(AsyncMappingKernelManager):
    """jupyter_server's kernel manager, plus leave/connect timers and an admission cap.

    Voila wraps this class with its preheating pool (``self._pools`` then exists); the methods
    here read the pool to tell pooled kernels (never touched) from visitors' kernels.
    """

    leave_grace = Float(
        10.0, config=True, help="Seconds after a page's last connection closes before shutdown."
    )
    connect_timeout = Float(
        120.0, config=True, help="Seconds a visitor's kernel waits for its page to connect."
    )
    max_visitor_kernels = Int(
        8, config=True, help="Visitor kernels (not counting preheated ones) allowed at once."
    )
    watch_interval = Float(1.0, config=True, help="Seconds between checks of visitor kernels.")
    refill_quiet = Float(
        3.0, config=True, help="Seconds with no visitor arriving before a pool is refilled."
    )
    refill_wait_max = Float(
        15.0, config=True, help="Longest a pool refill waits for visitors to stop arriving."
    )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._ever_connected: set[str] = set()
        self._left_at: dict[str, float] = {}
        self._handed_out_at: dict[str, float] = {}
        self._pending = 0  # requests admitted whose page is still being prepared
        self._last_arrival = float("-inf")  # monotonic time of the last visitor's request
        self._watcher: PeriodicCallback | None = None
        self.tickets = Tickets()
        self._waiting_pages: dict[str, str] = {}  # notebook -> its page, for waiting visitors
        self._shutting: set[asyncio.Future] = set()

    # -- which kernels are whose --------------------------------------------------------------

    def pooled_kernel_ids(self) -> set[str]:
        """Kernels waiting in a preheated pool (not yet given to anyone)."""
        pools = getattr(self, "_pools", {}).values()
        started = (started_kernel(item) for pool in pools for item in pool)
        return {kernel_id for kernel_id in started if kernel_id is not None}

    def pool_items(self) -> int:
        """Pool places, ready or still starting."""
        return sum(len(pool) for pool in getattr(self, "_pools", {}).values())

    def visitor_kernel_ids(self) -> set[str]:
        """Live kernels that were given to (or started for) a visitor."""
        return set(self.list_kernel_ids()) - self.pooled_kernel_ids()

    def counts(self) -> dict[str, int]:
        """Counts for ``/qilab/status``: no kernel ids, which would let a visitor connect."""
        visitors = self.visitor_kernel_ids()
        return {
            "kernels": len(self.list_kernel_ids()),
            "pooled": len(self.pooled_kernel_ids()),
            "visitors": len(visitors),
            "preparing": self._pending,
            "waiting": len(self.tickets),
            "max_visitors": self.max_visitor_kernels,
        }

    # -- admission ----------------------------------------------------------------------------

    def admit(self) -> bool:
        """Reserve room for one more visitor, or say no (the caller shows the busy page).

        A request being prepared counts until it finishes, even once its kernel is live: that
        over-counts for the seconds a page takes to render, which only errs towards "busy".
        """
        self._last_arrival = time.monotonic()
        taken = len(self.visitor_kernel_ids()) + self._pending + self.tickets.starting()
        if taken >= self.max_visitor_kernels:
            return False
        self._pending += 1
        return True

    def release(self) -> None:
        """The admitted request has finished (its kernel, if any, now counts as a visitor's)."""
        self._pending = max(0, self._pending - 1)

    # -- visitors beyond the pool (qilab.cases.waiting) ------------------------------------------

    def remember_waiting_pages(self) -> None:
        """Keep a copy of each case's page, from the first of its kernels to have rendered it."""
        for notebook, pool in getattr(self, "_pools", {}).items():
            if notebook in self._waiting_pages:
                continue
            for item in pool:
                if pool_item_ready(item):
                    page = rendered_page(item)
                    try:
                        self._waiting_pages[notebook] = page_for_waiting(
                            page, item.result()["kernel_id"]
                        )
                    except ValueError:
                        self.log.warning("No page for waiting visitors to %s", notebook)
                        self._waiting_pages[notebook] = ""
                    break

    def page_for_waiting_visitor(self, notebook: str) -> str | None:
        """The page to send at once to a visitor of *notebook*, if its pool has no ready kernel.

        ``None`` means Voila serves the visitor as usual: from a ready preheated kernel, or
        (a case without a pool, or whose page no kernel has rendered yet) from a kernel started
        for them.
        """
        self.remember_waiting_pages()  # before the ready kernel is handed out
        pool = getattr(self, "_pools", {}).get(notebook)
        if not pool or pool_item_ready(pool[0]):
            return None
        return self._waiting_pages.get(notebook) or None

    def reserve(self, notebook: str) -> str:
        """Take the next kernel of *notebook*'s pool for a waiting visitor; their ticket.

        The pool is refilled as when Voila hands a kernel out; the kernel taken, no longer a
        pool place, starts at once (:meth:`until_visitors_stop_arriving`).
        """
        item = self._pools[notebook].pop(0)  # type: ignore[attr-defined]
        self.fill_if_needed(notebook_name=notebook)  # type: ignore[attr-defined]
        return self.tickets.issue(notebook, item)

    def claim(self, ticket: str, notebook: str) -> asyncio.Future | None:
        """Take *ticket* (once) if it is for *notebook* and its kernel can serve; its pool place.

        ``None`` if the ticket is unknown, for another case, or its kernel failed (shut down
        now) or was shut down: the request is then a new visit.
        """
        item = self.tickets.claim(ticket, notebook)
        if item is None:
            return None
        kernel_id = started_kernel(item)
        if item_failed(item):
            self.log.warning("The kernel started for a waiting visitor to %s failed", notebook)
            if kernel_id is not None:
                task = asyncio.ensure_future(self._shut(kernel_id, "its page failed to render"))
                self._shutting.add(task)  # held until done (the loop keeps only weak refs)
                task.add_done_callback(self._shutting.discard)
            return None
        if kernel_id is not None and kernel_id not in self:
            return None  # shut down meanwhile
        return item

    def put_first_in_pool(self, notebook: str, item: asyncio.Future) -> None:
        """Put a claimed pool place first in *notebook*'s pool, for Voila to hand out next.

        Call it just before Voila takes a pool place (nothing may run in between).
        """
        self._pools.setdefault(notebook, []).insert(0, item)  # type: ignore[attr-defined]

    # -- refilling the pools --------------------------------------------------------------------

    def _waits_in_pool(self, task: asyncio.Task | None) -> bool:
        """Whether *task* is a pool place no visitor has taken yet (Voila's pools hold tasks)."""
        return task is not None and any(
            item is task for pool in getattr(self, "_pools", {}).values() for item in pool
        )

    async def until_visitors_stop_arriving(self) -> None:
        """If this is a pool refill, wait while visitors are arriving (see the module's notes).

        Returns at once for a kernel a visitor asked for, or waits on: its page is waiting.
        """
        task = asyncio.current_task()
        deadline = time.monotonic() + self.refill_wait_max
        while (
            self._waits_in_pool(task)
            and time.monotonic() - self._last_arrival < self.refill_quiet
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.1)

    async def start_kernel(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        await self.until_visitors_stop_arriving()
        return await super().start_kernel(*args, **kwargs)

    # -- connections --------------------------------------------------------------------------

    def notify_connect(self, kernel_id: str) -> None:
        super().notify_connect(kernel_id)
        self._ever_connected.add(kernel_id)
        self._left_at.pop(kernel_id, None)

    def notify_disconnect(self, kernel_id: str) -> None:
        super().notify_disconnect(kernel_id)
        if self._kernel_connections.get(kernel_id, 0) <= 0:
            self._left_at[kernel_id] = time.monotonic()

    # -- culling and shutting down ------------------------------------------------------------

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """jupyter_server's idle cull, never for a pooled kernel or one awaiting its page."""
        if kernel_id in self.pooled_kernel_ids() or kernel_id not in self._ever_connected:
            return
        await super().cull_kernel_if_idle(kernel_id)

    # jupyter_client declares shutdown_kernel as (*args, **kwargs) through its run_sync wrapper;
    # the real signature is (kernel_id, now=False, restart=False), which this keeps.
    async def shutdown_kernel(  # type: ignore[override]
        self, kernel_id: str, *args: Any, **kwargs: Any
    ) -> None:
        await super().shutdown_kernel(kernel_id, *args, **kwargs)
        self._forget(kernel_id)

    def _forget(self, kernel_id: str) -> None:
        self.tickets.forget_kernel(kernel_id)  # its waiting page then visits anew
        self._ever_connected.discard(kernel_id)
        self._left_at.pop(kernel_id, None)
        self._handed_out_at.pop(kernel_id, None)

    def start_watching(self) -> None:
        """Check visitor kernels every ``watch_interval`` seconds (call once the loop exists)."""
        if self._watcher is None:
            self._watcher = PeriodicCallback(self._check_visitors, self.watch_interval * 1000)
            self._watcher.start()

    async def _check_visitors(self) -> None:
        self.remember_waiting_pages()
        for kernel_id in self.tickets.abandoned(self.leave_grace):
            await self._shut(kernel_id, "its waiting page stopped asking for it")
        now = time.monotonic()
        pooled = self.pooled_kernel_ids()
        for kernel_id in pooled:
            # A kernel warming up for the pool is not yet known to be pooled (its pool entry is
            # still pending), so it was timed as a visitor's: its hand-out clock must start
            # when it leaves the pool, or one pooled for longer than connect_timeout was shut
            # down the moment a visitor got it, before their page could connect.
            self._handed_out_at.pop(kernel_id, None)
        for kernel_id in set(self.list_kernel_ids()) - pooled:
            since = self._handed_out_at.setdefault(kernel_id, now)
            if self._kernel_connections.get(kernel_id, 0) > 0:
                continue
            if getattr(self._kernels.get(kernel_id), "execution_state", "") == "busy":
                continue  # still running the notebook for its page (cells have a time limit)
            if kernel_id in self._ever_connected:
                left = self._left_at.get(kernel_id)
                if left is not None and now - left >= self.leave_grace:
                    await self._shut(kernel_id, "its page closed %.0f s ago" % (now - left))
            elif now - max(since, self._last_output(kernel_id, now)) >= self.connect_timeout:
                await self._shut(kernel_id, "no page connected to it")

    def _last_output(self, kernel_id: str, now: float) -> float:
        """Monotonic time of the kernel's last message (a page still rendering is busy)."""
        kernel = self._kernels.get(kernel_id)
        try:
            last = getattr(kernel, "last_activity", None)
        except TraitError:  # a kernel still starting has none yet (and traitlets says so)
            return now
        if last is None:
            return now
        from jupyter_server._tz import utcnow

        return now - (utcnow() - last).total_seconds()

    async def _shut(self, kernel_id: str, why: str) -> None:
        if kernel_id not in self:
            self._forget(kernel_id)
            return
        self.log.info("Shutting down visitor kernel %s: %s.", kernel_id, why)
        try:
            await self.shutdown_kernel(kernel_id)
        except Exception:  # already gone, or failed: the log says which; try again next time
            self.log.warning("Could not shut down kernel %s", kernel_id, exc_info=True)

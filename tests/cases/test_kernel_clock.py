"""The visitor-kernel clocks of ``qilab cases`` (qilab.cases.kernels), tick by tick.

The real server's behaviour is in test_visitors.py; this pins the bookkeeping on a clock the
test moves, for the case that made a page arrive without its charts in a loaded CI run: a kernel
that warmed up for the pool, waited there longer than ``connect_timeout``, and was shut down
the moment a visitor was given it ("no page connected to it"), before their page connected.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import pytest

from qilab.cases import kernels


class Clocked(kernels.CasesKernelManager):
    """The manager with its pool and kernels replaced by what the test says."""

    def __init__(self) -> None:
        super().__init__(connect_timeout=120.0, leave_grace=10.0)
        self.live: list[str] = []
        self.pooled: set[str] = set()
        self.shut: list[tuple[str, str]] = []

    def list_kernel_ids(self) -> list[str]:
        return list(self.live)

    def pooled_kernel_ids(self) -> set[str]:
        return set(self.pooled)

    async def _shut(self, kernel_id: str, why: str) -> None:
        self.shut.append((kernel_id, why))
        self.live.remove(kernel_id)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(kernels.time, "monotonic", lambda: now[0])
    return now


def idle_kernel(last_seconds_ago: float) -> SimpleNamespace:
    last = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=last_seconds_ago)
    return SimpleNamespace(execution_state="idle", last_activity=last)


def run(coroutine):
    """Run *coroutine* to its end in its own thread: in the full suite Playwright's loop may
    already run in this one."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def check(manager: Clocked) -> None:
    run(manager._check_visitors())


def test_a_kernel_pooled_for_long_gets_the_full_connect_time_once_handed_out(clock):
    manager = Clocked()
    manager.live = ["k1"]
    manager._kernels["k1"] = SimpleNamespace(execution_state="busy", last_activity=None)
    check(manager)  # warming up for the pool: its pool entry is not done yet
    manager.pooled = {"k1"}
    clock[0] += 600  # ten minutes in the pool
    manager._kernels["k1"] = idle_kernel(600)
    check(manager)
    manager.pooled = set()  # a visitor's page request takes it
    clock[0] += 1
    check(manager)
    assert manager.shut == [], "shut down before its page could connect"
    clock[0] += 118
    manager._kernels["k1"] = idle_kernel(719)
    check(manager)
    assert manager.shut == [], "shut down before connect_timeout"
    clock[0] += 2
    manager._kernels["k1"] = idle_kernel(721)
    check(manager)
    assert manager.shut == [("k1", "no page connected to it")]


def test_a_kernel_whose_page_never_connects_is_freed_after_connect_timeout(clock):
    manager = Clocked()
    manager.live = ["k2"]
    manager._kernels["k2"] = idle_kernel(0)
    check(manager)  # handed out now
    clock[0] += 119
    check(manager)
    assert manager.shut == []
    clock[0] += 2
    manager._kernels["k2"] = idle_kernel(121)
    check(manager)
    assert manager.shut == [("k2", "no page connected to it")]


# -- refilling a pool while a room arrives (CasesKernelManager.until_visitors_stop_arriving) ----


def refill_times(manager: kernels.CasesKernelManager, taken_after: float | None) -> float:
    """Seconds a pool refill waited before starting its kernel: a visitor arrives, then Voila
    puts the refill task in the pool as it does (``loop.create_task`` on its ``_initialize``);
    with *taken_after*, a later visitor takes that place from the pool after that long."""

    async def scenario() -> float:
        manager._pools = {"case.ipynb": []}
        manager.admit()
        manager.release()
        began = asyncio.get_running_loop().time()

        async def initialize() -> float:
            await manager.until_visitors_stop_arriving()
            return asyncio.get_running_loop().time() - began

        task = asyncio.get_running_loop().create_task(initialize())
        manager._pools["case.ipynb"].append(task)
        if taken_after is not None:
            await asyncio.sleep(taken_after)
            manager.admit()
            manager.release()
            manager._pools["case.ipynb"].remove(task)  # as Voila's get_rendered_notebook does
        return await task

    return run(scenario())


def test_a_pool_refill_waits_until_visitors_stop_arriving():
    """Ten visitors opening a case together are served first; the pool refills after them."""
    manager = kernels.CasesKernelManager(refill_quiet=0.6, refill_wait_max=5.0)
    assert 0.6 <= refill_times(manager, taken_after=None) < 2.0


def test_a_refill_a_visitor_is_waiting_for_starts_at_once():
    """A visitor who found the pool empty waits on the refill: it must not wait for quiet."""
    manager = kernels.CasesKernelManager(refill_quiet=30.0, refill_wait_max=60.0)
    assert refill_times(manager, taken_after=0.2) < 1.0


def test_a_refill_waits_no_longer_than_its_limit_while_visitors_keep_arriving():
    manager = kernels.CasesKernelManager(refill_quiet=30.0, refill_wait_max=0.5)
    assert 0.5 <= refill_times(manager, taken_after=None) < 2.0


def test_a_kernel_started_for_a_visitor_never_waits():
    """No pool (or preheating off): the visitor's own request starts the kernel at once."""
    manager = kernels.CasesKernelManager(refill_quiet=30.0)

    async def scenario() -> float:
        manager.admit()
        began = asyncio.get_running_loop().time()
        await manager.until_visitors_stop_arriving()
        return asyncio.get_running_loop().time() - began

    assert run(scenario()) < 0.2

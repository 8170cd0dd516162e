"""Visitors beyond the pool (qilab.cases.waiting): tickets and the page sent while they wait.

The server-level behaviour (a burst served at once, the reload into the live page, a closed
waiting page freeing its kernel, a ticket used twice) is in ``test_visitors.py``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qilab.cases import waiting
from qilab.cases.kernels import CasesKernelManager

TEMPLATE = (
    Path(waiting.__file__).parent / "jupyter" / "voila" / "templates" / "qilab-cases"
).joinpath("index.html.j2")


def place(loop: asyncio.AbstractEventLoop, kernel_id: str, rendered: list[str] | None):
    """A Voila pool place: its kernel started (and its page rendered, unless *rendered* None)."""
    render = loop.create_future()
    if rendered is not None:
        render.set_result((rendered, None))
    item = loop.create_future()
    item.set_result({"task": render, "kernel_id": kernel_id, "renderer": None})
    return item, render


@pytest.fixture
def loop():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_the_template_leaves_room_for_a_ticket_exactly_as_the_server_fills_it():
    assert TEMPLATE.read_text().count(waiting.TICKET_SLOT) == 1


def test_a_waiting_page_carries_no_kernel_id_and_a_ticket_no_value_can_break_out_of():
    page = f"<head>{waiting.TICKET_SLOT}</head><body>" + '{"kernelId": "k-1"} k-1</body>'
    scrubbed = waiting.page_for_waiting(page, "k-1")
    assert "k-1" not in scrubbed
    sent = waiting.waiting_page(scrubbed, poll_url="/qilab/ticket/t", live_url="/c?a=</script>")
    slot = re.search(r'id="qilab-ticket" type="application/json">(.*?)</script>', sent).group(1)
    assert json.loads(slot)["live"] == "/c?a=</script>"
    assert json.loads(slot)["every_ms"] == int(waiting.POLL_S * 1000)
    with pytest.raises(ValueError, match="no qilab-ticket slot"):
        waiting.page_for_waiting("<html></html>", "k-1")


def test_a_ticket_is_ready_only_once_its_kernel_has_rendered_the_page(loop):
    item, render = place(loop, "k-1", None)
    tickets = waiting.Tickets()
    ticket = tickets.issue("case.ipynb", item)
    assert tickets.is_ready(ticket) is False and tickets.starting() == 0
    assert waiting.started_kernel(item) == "k-1"
    render.set_result((["<html>"], None))
    assert tickets.is_ready(ticket) is True
    assert tickets.is_ready("forged") is None


def test_a_ticket_opens_its_own_case_once(loop):
    tickets = waiting.Tickets()
    item, _ = place(loop, "k-1", ["<html>"])
    ticket = tickets.issue("case.ipynb", item)
    assert tickets.claim(ticket, "other.ipynb") is None
    assert tickets.claim(ticket, "case.ipynb") is item
    assert tickets.claim(ticket, "case.ipynb") is None and len(tickets) == 0


def test_a_kernel_that_failed_to_start_or_render_never_keeps_its_visitor_waiting(loop):
    no_kernel = loop.create_future()
    no_kernel.set_exception(RuntimeError("kernel died"))
    no_page, render = place(loop, "k-1", None)
    render.set_exception(RuntimeError("Kernel didn't respond in 60 seconds"))
    tickets = waiting.Tickets()
    for failed in (no_kernel, no_page):
        ticket = tickets.issue("case.ipynb", failed)
        assert tickets.is_ready(ticket) is True, "the page comes back and is served anew"
        assert waiting.item_failed(failed)
    assert waiting.started_kernel(no_page) == "k-1" and waiting.started_kernel(no_kernel) is None


def test_a_failed_ticket_is_not_handed_out_and_its_kernel_is_shut_down(loop):
    manager = CasesKernelManager()
    manager._pools = {"case.ipynb": []}
    shut: list[str] = []

    async def record(kernel_id: str, why: str) -> None:
        shut.append(kernel_id)

    manager._shut = record
    item, render = place(loop, "k-1", None)
    render.set_exception(RuntimeError("Kernel didn't respond in 60 seconds"))

    async def claim():
        ticket = manager.tickets.issue("case.ipynb", item)
        claimed = manager.claim(ticket, "case.ipynb")
        await asyncio.sleep(0)
        return claimed

    # In its own thread: in the full suite Playwright's loop may already run in this one.
    with ThreadPoolExecutor(1) as thread:
        claimed = thread.submit(loop.run_until_complete, claim()).result()
    assert claimed is None
    assert manager._pools["case.ipynb"] == [] and shut == ["k-1"]


def test_a_ticket_whose_kernel_was_shut_down_is_forgotten(loop):
    """Found by attack: a ticket outlived its kernel (shut down after connect_timeout) and,
    answering "ready" for ever, let its holder skip admission."""
    manager = CasesKernelManager()
    item, _ = place(loop, "k-1", ["<html>"])
    ticket = manager.tickets.issue("case.ipynb", item)
    manager._forget("k-1")  # what shutting the kernel down does
    assert manager.tickets.is_ready(ticket) is None  # its page is told 404 and visits anew
    assert manager.claim(ticket, "case.ipynb") is None


def test_a_ticket_nobody_asks_about_is_dropped_with_its_kernel(loop):
    tickets = waiting.Tickets()
    starting = loop.create_future()
    item, _ = place(loop, "k-1", None)
    asked = tickets.issue("case.ipynb", item)
    tickets.issue("case.ipynb", starting)
    for entry in tickets._tickets.values():
        entry.asked_at -= 60  # a minute since either page asked
    tickets.is_ready(asked)  # the page asks again: its heartbeat
    assert tickets.abandoned(10.0) == [] and len(tickets) == 2  # the other is still starting
    later = time.monotonic() + 10.5
    assert tickets.abandoned(10.0, now=later) == ["k-1"]
    starting.set_result({"task": None, "kernel_id": "k-2"})
    assert tickets.abandoned(10.0, now=later) == ["k-2"] and len(tickets) == 0


def test_tickets_count_against_the_visitor_cap_before_their_kernel_has_started(loop):
    manager = CasesKernelManager(max_visitor_kernels=2)
    manager.tickets.issue("case.ipynb", loop.create_future())
    manager.tickets.issue("case.ipynb", loop.create_future())
    assert manager.admit() is False
    assert manager.counts()["waiting"] == 2


def test_a_case_s_page_is_kept_for_waiting_visitors_from_a_kernel_that_rendered_it(loop):
    manager = CasesKernelManager()
    page = f"<head>{waiting.TICKET_SLOT}</head>" + '<script>{"kernelId": "k-1"}</script>'
    ready, _ = place(loop, "k-1", [page])
    starting, _ = place(loop, "k-2", None)
    manager._pools = {"case.ipynb": [ready, starting]}
    # The pool's first kernel is ready: that visitor is served live, as Voila would.
    assert manager.page_for_waiting_visitor("case.ipynb") is None
    manager._pools["case.ipynb"].pop(0)
    kept = manager.page_for_waiting_visitor("case.ipynb")
    assert kept is not None and "k-1" not in kept and '"kernelId": ""' in kept
    assert manager.page_for_waiting_visitor("unpooled.ipynb") is None

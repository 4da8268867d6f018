"""Several workers at once (``monk worker`` may run more than once): every event is counted exactly
once and every draft ends equal to a recompute, however their batches interleave. On SQLite the
write lock already serializes them; on PostgreSQL they claim with ``SKIP LOCKED`` and fold into the
same rollups concurrently."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from monk.invoicing.matching import ClaimCursor, claim, match_pending
from monk.invoicing.service import finalize_due
from monk.kit.clock import FrozenClock
from monk.worker.runner import Worker
from tests.conftest import Api
from tests.e2e import scenario as s
from tests.waiting import until, until_blocked_on_lock

CUSTOMERS = ["big", "mid", "small"]
EVENTS = {"big": 240, "mid": 60, "small": 9}


async def test_concurrent_workers_count_every_event_once(api: Api, worker: Worker) -> None:
    tokens = await s.meter(api, "TOKENS", "tokens", "SUM", key="n", groupKeys=["model"])
    p = await s.plan(api, "tokens", [(await s.usage_price(api, "Tokens", tokens["id"], "0.01"))["id"]])
    ids = {}
    for name in CUSTOMERS:
        ids[name] = (await s.customer(api, name.title(), name))["id"]
        await s.contract(api, ids[name], p["id"], "2026-01-01")
    await s.send(api, [{"eventName": "tokens", "externalCustomerId": name, "idempotencyKey": f"{name}-{i}",
                        "timestamp": "2026-01-15T10:00:00Z", "properties": {"n": 1 + i % 7, "model": f"m{i % 3}"}}
                       for name in CUSTOMERS for i in range(EVENTS[name])])
    settings = worker.settings.model_copy(update={"worker_batch_size": 7})
    workers = [Worker(worker.sessions, clock=worker.clock, settings=settings) for _ in range(4)]

    async def run(w: Worker) -> None:
        while await w.match_once():  # each batch awaits the database, so the workers interleave
            pass

    await asyncio.gather(*(run(w) for w in workers))
    assert await worker.drain() == 0  # nothing was left pending
    for name in CUSTOMERS:
        up = (await api.get(f"/v1/customers/{ids[name]}/upcoming-invoice")).json()["data"]
        by_model = {li["dimensions"]["model"] if li.get("dimensions") else li["name"]: li["quantity"]
                    for li in up["lineItems"] if li["name"].startswith("Tokens")}
        expected = {f"m{m}": sum(1 + i % 7 for i in range(EVENTS[name]) if i % 3 == m) for m in range(3)}
        assert {k: int(v) for k, v in by_model.items()} == expected, (name, up["lineItems"])


async def _late_event_setup(api: Api, worker: Worker, clock: FrozenClock) -> dict:
    calls = await s.meter(api, "CALLS", "call")
    p = await s.plan(api, "calls", [(await s.usage_price(api, "Calls", calls["id"], "1"))["id"]])
    cust = await s.customer(api, "Late", "late")
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01")
    await s.send(api, [{"eventName": "call", "externalCustomerId": "late", "idempotencyKey": "early",
                        "timestamp": "2026-01-10T00:00:00Z"}])
    await worker.drain()
    clock.set(datetime(2026, 2, 1, 2, 0, tzinfo=UTC))  # the February invoice (January's usage) is due
    await s.send(api, [{"eventName": "call", "externalCustomerId": "late", "idempotencyKey": "late",
                        "timestamp": "2026-01-20T00:00:00Z"}])
    return c


def _usage(invoice: dict) -> list[tuple[object, str]]:
    return [(li["quantity"], li["servicePeriod"]["start"][:10]) for li in invoice["lineItems"] if li["isMetered"]]


@pytest.mark.parametrize("first", ["matching", "finalization"])
async def test_late_usage_lands_wholly_before_or_after_finalization(
        api: Api, worker: Worker, clock: FrozenClock, database_url: str, first: str) -> None:
    """Matching a late event and finalizing its invoice at the same moment: whichever takes the
    contract first finishes first; the other then sees its result (no change to a finalized invoice)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time")
    c = await _late_event_setup(api, worker, clock)
    now, grace = clock.now(), timedelta(seconds=worker.settings.finalize_grace_seconds)

    async def matching() -> None:
        async with worker.sessions() as session:
            assert await match_pending(session, now=now, batch_size=100) == 1
            holding.set()
            await hold.wait()
            await session.commit()

    async def finalization() -> None:
        async with worker.sessions() as session:
            await finalize_due(session, now=now, grace=grace)
            holding.set()
            await hold.wait()
            await session.commit()

    hold, holding = asyncio.Event(), asyncio.Event()
    runs = {"matching": matching, "finalization": finalization}
    leader = asyncio.create_task(runs[first]())
    await until(holding.is_set, 10, what="the leader holds the contract")
    follower = asyncio.create_task(runs["finalization" if first == "matching" else "matching"]())
    await until_blocked_on_lock(database_url)  # the follower waits for the contract
    assert not follower.done() and not leader.done()
    hold.set()
    await asyncio.gather(leader, follower)
    feb, mar = (await s.invoices(api, c["id"]))[1:3]
    assert feb["status"] == "Sent"
    if first == "matching":  # finalized with the late event in it
        assert _usage(feb) == [(2, "2026-01-01")] and _usage(mar) == [(0, "2026-02-01")]
    else:  # finalized without it; the late event is billed on the next open invoice
        assert _usage(feb) == [(1, "2026-01-01")]
        assert sorted(_usage(mar)) == [(0, "2026-02-01"), (1, "2026-01-01")], mar["lineItems"]


async def test_a_plan_change_does_not_wait_for_events_a_worker_holds(
        api: Api, worker: Worker, clock: FrozenClock, database_url: str) -> None:
    """The worker locks a batch's events, then their contracts; a plan change locks the contract,
    then re-pends the customer's events. The plan change skips the events a worker holds (that
    worker matches them after the change commits, under the new phases) instead of waiting for
    them, which would deadlock with the worker."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time")
    calls = await s.meter(api, "CALLS", "call")
    cheap, dear = [(await s.plan(api, code, [(await s.usage_price(api, code.title(), calls["id"], unit))["id"]]))["id"]
                   for code, unit in (("cheap", "1"), ("dear", "2"))]
    cust = await s.customer(api, "Switcher", "switcher")
    c = await s.contract(api, cust["id"], cheap, "2026-01-01")
    clock.set(datetime(2026, 1, 16, tzinfo=UTC))
    sent = [{"eventName": "call", "externalCustomerId": "switcher", "idempotencyKey": f"e{i}",
             "timestamp": f"2026-01-16T00:{10 + i:02d}:00Z"} for i in range(5)]  # within the hour ahead
    await s.send(api, sent)
    await worker.drain()
    await s.send(api, sent[2:])  # resent: pending again, and matched before
    async with worker.sessions() as held:
        assert len(await claim(held, 100, ClaimCursor())) == 3  # a worker holds the three resent events
        r = await asyncio.wait_for(api.post(f"/v1/contracts/{c['id']}/change-plan", {
            "planId": dear, "changeOption": "immediate"}), timeout=10)
        assert r.status_code == 200, r.text
        await held.rollback()
    await worker.drain()
    up = (await api.get(f"/v1/customers/{cust['id']}/upcoming-invoice")).json()["data"]
    assert sum(li["quantity"] for li in up["lineItems"] if li["isMetered"]) == 5, up["lineItems"]

"""The worker claims pending events customer by customer (invoicing/matching.py ``claim``): one
customer's backlog does not hold back another customer's events, and every customer with pending
events is served within one rotation. Matching results are the same as first-in-first-out."""

from __future__ import annotations

import time
from collections import Counter

from monk.worker.runner import Worker
from tests.conftest import Api
from tests.e2e import scenario as s


def _ev(i: int, customer: str, *, by_id: bool = False) -> dict[str, object]:
    who = {"customerId": customer} if by_id else {"externalCustomerId": customer}
    return {"eventName": "call", "idempotencyKey": f"{customer}-{i}", "timestamp": "2026-01-15T10:00:00Z", **who}


async def _setup(api: Api, names: list[str]) -> dict[str, dict]:
    calls = await s.meter(api, "CALLS", "call")
    p = await s.plan(api, "calls", [(await s.usage_price(api, "Calls", calls["id"], "1"))["id"]])
    customers = {}
    for name in names:
        customers[name] = await s.customer(api, name.title(), name)
        await s.contract(api, customers[name]["id"], p["id"], "2026-01-01")
    return customers


async def _pending(api: Api) -> Counter[str]:
    """Pending events per customer reference (external id, or id when sent by id)."""
    listed = (await api.get("/v1/events", limit=100)).json()["events"]
    return Counter(e["externalCustomerId"] or e["customerId"] for e in listed if e["status"] == "pending")


def _small_batches(worker: Worker, size: int) -> Worker:
    settings = worker.settings.model_copy(update={"worker_batch_size": size})
    return Worker(worker.sessions, clock=worker.clock, settings=settings)


async def test_a_backlog_does_not_hold_back_other_customers(api: Api, worker: Worker) -> None:
    customers = await _setup(api, ["aaa", "zzz", "byid"])
    await s.send(api, [_ev(i, "aaa") for i in range(25)])  # the oldest: a backlog of 25
    await s.send(api, [_ev(0, "zzz"), _ev(0, customers["byid"]["id"], by_id=True)])
    small = _small_batches(worker, 10)
    assert await small.match_once() == 10  # the first batch: "aaa" alone fills it
    assert await small.match_once() == 10  # the next starts after "aaa": the two others, then "aaa"
    assert await _pending(api) == Counter({"aaa": 7})
    assert await small.drain() == 7
    assert await _pending(api) == Counter()
    for name, count in (("aaa", 25), ("zzz", 1), ("byid", 1)):
        up = (await api.get(f"/v1/customers/{customers[name]['id']}/upcoming-invoice")).json()["data"]
        assert [li["quantity"] for li in up["lineItems"] if li["name"] == "Calls"] == [count]


async def test_every_customer_is_served_within_one_rotation(api: Api, worker: Worker) -> None:
    names = ["c1", "c2", "c3", "c4", "c5"]
    await _setup(api, names)
    await s.send(api, [_ev(i, name) for name in names for i in range(7)])
    small = _small_batches(worker, 3)
    for _ in names:
        assert await small.match_once() == 3
    assert all(n == 4 for n in (await _pending(api)).values()) and len(await _pending(api)) == 5
    assert await small.drain() == 20
    assert await _pending(api) == Counter()


async def test_a_partial_batch_lingers_and_a_full_one_does_not(api: Api, worker: Worker) -> None:
    """Keeping up (a batch that was not full), the worker waits ``worker_linger_seconds`` before it
    claims again, so a stream of single events is matched in batches; working off a backlog (full
    batches) it claims again at once."""
    await _setup(api, ["aaa"])
    await s.send(api, [_ev(i, "aaa") for i in range(25)])
    settings = worker.settings.model_copy(update={"worker_batch_size": 10, "worker_linger_seconds": 0.4})
    lingering = Worker(worker.sessions, clock=worker.clock, settings=settings)
    calls: list[tuple[int, float, float]] = []
    match_once = lingering.match_once

    async def timed() -> int:
        started = time.monotonic()
        n = await match_once()
        calls.append((n, started, time.monotonic()))
        return n

    lingering.match_once = timed  # type: ignore[method-assign]
    await lingering._match_all()
    assert [n for n, _, _ in calls] == [10, 10, 5, 0]
    gaps = [calls[i + 1][1] - calls[i][2] for i in range(3)]
    assert gaps[0] < 0.2 and gaps[1] < 0.2  # after a full batch: at once
    assert gaps[2] >= 0.4  # after the partial batch: it lingered

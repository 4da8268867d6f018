"""Webhook delivery under faults: a server killed with deliveries in flight loses none of them, two
dispatchers over one backlog never send an attempt twice, and a dispatcher whose lease expired records
nothing over the one that took the delivery over.

Delivery is at least once: an attempt cut short (its worker killed, its lease expired) is sent again,
always under the delivery's one ``X-Monk-Delivery-Id``; the delivery log records only attempts made
under a live lease. A real receiver on loopback verifies every signature with its own HMAC code."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from monk.kit.clock import FrozenClock
from monk.kit.db import create_engine, session_factory
from monk.models import WebhookEndpoint
from monk.webhooks.dispatch import Dispatcher
from monk.webhooks.outbox import emit
from tests.conftest import Api
from tests.e2e import scenario as s
from tests.faults.conftest import Server, new_key, start_server
from tests.waiting import until
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver

# The server's dispatcher in the SIGKILL test: a 2 s attempt timeout makes a lease last 2 × 2 + 5 = 9 s
# (what a killed attempt waits before it is sent again), and it looks for due deliveries every 0.2 s.
FAST_LEASES = {"MONK_WEBHOOK_TIMEOUT_SECONDS": "2", "MONK_WEBHOOK_POLL_SECONDS": "0.2"}


async def _log(api: Api, **filters: Any) -> tuple[list[dict[str, Any]], int]:
    """Every delivery of the delivery log (all pages) matching ``filters``, and the total it reports."""
    rows: list[dict[str, Any]] = []
    while True:
        r = await api.get("/v1/webhooks/deliveries", limit=100, offset=len(rows), **filters)
        assert r.status_code == 200, r.text
        body = r.json()
        rows += body["data"]
        if not body["hasMore"]:
            return rows, body["total"]


async def _start(url: str, tmp_path: Path) -> Server:
    """``monk serve`` with its worker and dispatcher (``FAST_LEASES``), started from a thread so the
    receiver in this event loop keeps answering while the server comes up."""
    return await asyncio.to_thread(start_server, url, tmp_path, worker=True, extra_env=FAST_LEASES)


async def test_a_server_killed_with_deliveries_in_flight_loses_none(
        database_url: str, tmp_path: Path, receiver: Receiver) -> None:
    """SIGKILL while the receiver holds requests: after a restart on the same database every
    ``customer.created`` arrives, verified, each customer's under one delivery id (the attempts cut
    short are sent again with it), and the log shows every delivery succeeded."""
    n = 40
    key = await new_key(database_url)
    server = await _start(database_url, tmp_path)
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as client:
            api = Api(client, key)
            await subscribe(api, receiver, "/slow", ["customer.created"])
            receiver.delay["/slow"] = 0.5  # each attempt stays in flight a while
            customers = [await s.customer(api, f"Customer {i}", f"cust-{i}") for i in range(n)]
        ids = {c["id"] for c in customers}
        await until(lambda: len(receiver.received) >= 8 and len(receiver.holding) >= 2, 10,
                    what="some deliveries answered and some in flight at the receiver")
        # No await between the snapshot and the kill: a request still held has not been answered,
        # so the killed server cannot have recorded its attempt.
        cut_short = {r.delivery_id for r in receiver.holding}
        server.kill()
        assert server.proc.returncode is not None and server.proc.returncode < 0  # killed, not exited
        assert len(receiver.received) < n, "every delivery was sent before the kill"

        server = await _start(database_url, tmp_path)

        def arrived() -> set[str]:
            return {r.json["id"] for r in receiver.at("/slow") if r.verified and r.event == "customer.created"}

        await until(lambda: arrived() >= ids, 60, what=f"all {n} customer.created received", interval=0.1)
        async with httpx.AsyncClient(base_url=server.base, timeout=10) as client:
            api = Api(client, key)

            async def all_succeeded() -> bool:
                return (await _log(api, status="succeeded"))[1] == n

            await until(all_succeeded, 30, what=f"{n} deliveries succeeded", interval=0.2)
            log, total = await _log(api)
    finally:
        if server.proc.poll() is None:
            server.kill()

    requests = receiver.at("/slow")
    assert all(r.verified and r.event == "customer.created" for r in requests)
    delivery_ids: dict[str, set[str]] = defaultdict(set)
    sent: dict[str, int] = defaultdict(int)
    for r in requests:
        delivery_ids[r.json["id"]].add(r.delivery_id)
        sent[r.delivery_id] += 1
    assert set(delivery_ids) == ids
    assert all(len(d) == 1 for d in delivery_ids.values()), "a resend carried another delivery id"
    assert cut_short and all(sent[d] >= 2 for d in cut_short), "an attempt cut short was not sent again"
    assert total == n and len(log) == n
    assert {d["status"] for d in log} == {"succeeded"}
    assert {d["resourceId"]: {d["id"]} for d in log} == delivery_ids


async def test_two_dispatchers_over_one_backlog_send_each_delivery_once(
        database_url: str, app: Any, api: Api, receiver: Receiver, clock: FrozenClock) -> None:
    """Two dispatchers, each with its own engine (as two processes would be), drain 300 deliveries at
    once on PostgreSQL: every delivery is sent exactly once and recorded once, and both took part.

    Both taking part is guaranteed: each one's first claim finds due rows the other has not locked
    (``SKIP LOCKED``; a claim locks at most ``MONK_WEBHOOK_CONCURRENCY`` = 64 of the 300). SQLite has one
    writer at a time (a claim excludes every other), so the test is PostgreSQL's."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL: concurrent claims with row locks")
    n = 300
    endpoint = await subscribe(api, receiver, "/hooks", ["customer.created"])
    async with app.state.sessions() as session:
        found = await session.get(WebhookEndpoint, endpoint["id"])
        assert found is not None
        for i in range(n):  # the backlog, written as the customers API would write it, in one transaction
            await emit(session, org_id=found.org_id, mode=found.mode, event_type="customer.created",
                       resource_id=f"cust-{i}", payload={"id": f"cust-{i}"}, now=clock.now())
        await session.commit()

    # 16 attempts at a time to the endpoint per dispatcher: more claims overlap than with the default 4.
    settings = app.state.settings.model_copy(update={"webhook_endpoint_concurrency": 16})
    engines = [create_engine(database_url) for _ in range(2)]
    dispatchers = [Dispatcher(session_factory(e), clock=clock, settings=settings, rng=random.Random(i))
                   for i, e in enumerate(engines)]
    try:
        made = await asyncio.gather(*(d.drain() for d in dispatchers))
    finally:
        for d in dispatchers:
            await d.close()
        for e in engines:
            await e.dispose()

    requests = receiver.at("/hooks")
    assert all(r.verified for r in requests)
    per_delivery: dict[str, int] = defaultdict(int)
    for r in requests:
        per_delivery[r.delivery_id] += 1
    assert len(per_delivery) == n and set(per_delivery.values()) == {1}, "a delivery was sent twice"
    assert sum(made) == sum(d.attempts for d in dispatchers) == n
    assert all(m > 0 for m in made), f"one dispatcher did all the work: {made}"
    log, total = await _log(api)
    assert total == n and {d["id"] for d in log} == set(per_delivery)
    assert {(d["status"], d["attemptCount"], len(d["attempts"])) for d in log} == {("succeeded", 1, 1)}


async def test_a_late_result_under_an_expired_lease_is_discarded(
        app: Any, api: Api, receiver: Receiver, clock: FrozenClock) -> None:
    """Dispatcher A claims a delivery and stalls past its lease; B takes the delivery over and records
    its attempt; A's attempt then still reaches the receiver (same delivery id) but is not recorded."""
    await subscribe(api, receiver, "/hooks", ["customer.created"])
    alice = await s.customer(api, "Alice Apps", "alice")
    settings = app.state.settings.model_copy(update={"webhook_timeout_seconds": 1.0})
    a = Dispatcher(app.state.sessions, clock=clock, settings=settings, rng=random.Random(1))
    b = Dispatcher(app.state.sessions, clock=clock, settings=settings, rng=random.Random(2))
    try:
        [claim] = await a.claim()
        assert await b.drain() == 0  # leased: not due for B
        clock.advance(timedelta(seconds=2 * 1.0 + 5 + 1))  # past the lease (twice the timeout plus 5 s)
        assert await b.drain() == 1
        await a.deliver(claim)
    finally:
        await a.close()
        await b.close()

    assert (a.attempts, b.attempts) == (0, 1)
    first, late = receiver.at("/hooks")
    assert first.delivery_id == late.delivery_id == claim.delivery_id
    assert first.verified and late.verified and late.json["id"] == alice["id"]
    log, _ = await _log(api, resourceId=alice["id"])
    [d] = log
    assert (d["id"], d["status"], d["attemptCount"]) == (claim.delivery_id, "succeeded", 1)
    assert [x["statusCode"] for x in d["attempts"]] == [200]

"""Properties of the whole loop, through the HTTP API: the order of events and how they are split
into batches never change an invoice, and recomputing gives the same invoice."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monk.app import create_app
from monk.kit.clock import FrozenClock
from monk.settings import Settings
from monk.worker.runner import Worker
from tests.conftest import Api
from tests.e2e import scenario as s

counter = itertools.count()

event_st = st.tuples(
    st.integers(0, 7),  # idempotency key (collisions are resends)
    st.integers(1, 31),  # day of January
    st.integers(0, 500),  # quantity
    st.sampled_from(["US", "EU"]),
)


def _stable_shuffle(events: list[tuple], order: list[int]) -> list[tuple]:
    """Reorder ``events`` by ``order`` while keeping the versions of one key in their original order
    (the last version must win whatever the order of the other keys)."""
    ranked = sorted(range(len(events)), key=lambda i: order[i % len(order)] if order else 0)
    by_key: dict[int, list[tuple]] = {}
    for e in events:
        by_key.setdefault(e[0], []).append(e)
    out = []
    for i in ranked:
        out.append(by_key[events[i][0]].pop(0))
    return out


async def _scenario(url: str, events: list[tuple], order: list[int], cut: int) -> None:
    clock = FrozenClock(datetime(2026, 1, 1, tzinfo=UTC))
    app = create_app(Settings(database_url=url, rate_limit_per_minute=0), clock=clock, run_worker=False)
    n = next(counter)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            api = Api(client, "")
            api.key = await api.new_key(["*"])
            meter = await s.meter(api, f"TOKENS_{n}", f"tokens_{n}", "SUM", key="tokens", groupKeys=["region"])
            price = await s.usage_price(api, f"Tokens {n}", meter["id"], "0.013")
            plan = await s.plan(api, f"p{n}", [price["id"]])
            contracts = []
            for who in ("a", "b"):
                cust = await s.customer(api, who, f"{who}{n}")
                contracts.append((await s.contract(api, cust["id"], plan["id"], "2026-01-01", "2026-03-01"))["id"])
            clock.set(datetime(2026, 1, 31, 23, tzinfo=UTC))  # January's usage invoice is still open

            def body(who: str, e: tuple) -> dict:
                return {"eventName": f"tokens_{n}", "externalCustomerId": f"{who}{n}",
                        "idempotencyKey": f"{who}-k{e[0]}",
                        "timestamp": datetime(2026, 1, e[1], tzinfo=UTC).isoformat(),
                        "properties": {"tokens": e[2], "region": e[3]}}

            worker = Worker(app.state.sessions, clock=clock, settings=app.state.settings)
            await s.send(api, [body("a", e) for e in events])  # one batch, original order
            await worker.drain()
            shuffled = _stable_shuffle(events, order)
            for part in (shuffled[:cut], shuffled[cut:]):  # two batches, another order, worker between
                if part:
                    await s.send(api, [body("b", e) for e in part])
                    await worker.drain()
            a, b = [await s.invoices(api, c) for c in contracts]
            assert [s.lines(i) for i in a] == [s.lines(i) for i in b]
            assert [i["totalCents"] for i in a] == [i["totalCents"] for i in b]
            for inv in a:
                assert inv["totalCents"] == sum(li["totalAmountCents"] for li in inv["lineItems"])
            await worker.drain()
            assert await s.invoices(api, contracts[0]) == a  # recomputing changes nothing
    finally:
        await app.state.engine.dispose()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(event_st, min_size=1, max_size=25), order=st.lists(st.integers(), max_size=25),
       cut=st.integers(0, 25))
def test_order_and_batching_never_change_an_invoice(database_url: str, events: list[tuple], order: list[int],
                                                    cut: int) -> None:
    asyncio.run(_scenario(database_url, events, order, cut))

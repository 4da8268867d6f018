"""Several workers at once (``monk worker`` may run more than once): every event is counted exactly
once and every draft ends equal to a recompute, however their batches interleave. On SQLite the
write lock already serializes them; on PostgreSQL they claim with ``SKIP LOCKED`` and fold into the
same rollups concurrently."""

from __future__ import annotations

import asyncio

from monk.worker.runner import Worker
from tests.conftest import Api
from tests.e2e import scenario as s

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

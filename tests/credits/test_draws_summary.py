"""``credit_draws`` summarises each invoice's draws per block (what settling reads instead of the
invoice's whole history of ledger entries): it always equals the ledger, and migration 0015 builds it
from an existing ledger exactly."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import command

from monk.kit.clock import FrozenClock
from monk.kit.migrate import alembic_config
from tests.conftest import Api
from tests.e2e import scenario as s


async def _draws(worker: Any) -> list[tuple[str, str, Decimal, int]]:
    async with worker.sessions() as session:
        rows = (await session.execute(sa.text(
            "SELECT invoice_id, block_id, units, seq FROM credit_draws ORDER BY invoice_id, seq"))).all()
    return [(i, b, Decimal(str(u)).normalize(), q) for i, b, u, q in rows]


async def test_the_summary_equals_the_ledger_and_migration_0015_rebuilds_it(
        api: Api, worker: Any, clock: FrozenClock, database_url: str) -> None:
    clock.set(datetime(2026, 3, 3, tzinfo=UTC))
    m = await s.meter(api, "API_CALL", "call_count")
    plan = await s.plan(api, "payg", [(await s.usage_price(api, "API Calls", m["id"], "0.25"))["id"]])
    alice = await s.customer(api, "Alice Apps", "alice")
    c = await s.contract(api, alice["id"], plan["id"], "2026-03-01", "2026-06-01")
    for cents, expires in ((300, "2026-10-01T00:00:00Z"), (1000, "2026-12-31T00:00:00Z")):
        r = await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant",
                           {"amountCents": cents, "expiresAt": expires})
        assert r.status_code == 201, r.text
    for batch in range(3):  # three settlements: $2.50, $5.00, $7.50 of usage
        await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice",
                            "idempotencyKey": f"c{batch}-{i}", "timestamp": "2026-03-02T10:00:00Z"}
                           for i in range(10)])
        await worker.drain()
    await s.send(api, [{"eventName": "other", "externalCustomerId": "alice", "idempotencyKey": f"c2-{i}",
                        "timestamp": "2026-03-02T10:00:00Z"} for i in range(10)])  # back down to $5.00
    await worker.drain()
    entries = (await api.get(f"/v1/contracts/{c['id']}/credits/ledger", limit=100)).json()["data"]["entries"]
    net: dict[tuple[str, str], Decimal] = {}
    for e in entries:
        if e["type"] in ("usage", "reversal"):
            key = (e["invoiceId"], e["grantEntryId"])
            net[key] = net.get(key, Decimal(0)) - Decimal(e["amountCents"])
    before = await _draws(worker)
    assert {(i, b): u for i, b, u, _ in before} == net
    assert sum(net.values()) == 500  # $3.00 from the first block, $2.00 from the second

    config = alembic_config(database_url)
    await asyncio.to_thread(command.downgrade, config, "0014")
    await asyncio.to_thread(command.upgrade, config, "head")
    assert await _draws(worker) == before

"""Everything that moves a wallet, at once, on PostgreSQL (SQLite runs one write transaction at a time):
several workers matching usage, a promotional grant and a paid top-up through the API, the credit
upkeep writing off a block that expires now, and the finalization of the invoice that is due. Each
takes the contract's lock in its own transaction; however they interleave, no cent is spent twice or
lost: the ledger sums to the balance, each block is its grant plus its entries and stays within
[0, original], each invoice's credits are what its entries drew and never above its metered charges."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from monk.kit.clock import FrozenClock
from monk.worker.runner import Worker
from tests.conftest import Api
from tests.credits.wallet_checks import check_invariants, ledger
from tests.e2e import scenario as s

SETUP_AT = datetime(2026, 3, 20, tzinfo=UTC)
RACE_AT = datetime(2026, 4, 1, 1, 30, tzinfo=UTC)  # the April 1 invoice is due (1 h grace); "soon" has expired
ROUNDS = range(4)
RACE_TIMEOUT = 120  # seconds: every task ends (no transaction left waiting on another)


async def _wallet_with_blocks(api: Api, worker: Worker, clock: FrozenClock, tag: str = "") -> dict[str, Any]:
    """A contract (March 1 to June 1, tokens at $0.01) with three blocks (one expiring at 01:00 on
    April 1), March usage already drawn, and pending usage of March (late) and April."""
    clock.set(SETUP_AT)
    m = await s.meter(api, f"TOKENS{tag.upper()}", f"tokens{tag}", "SUM", "count")
    plan = await s.plan(api, f"payg{tag}", [(await s.usage_price(api, "Tokens", m["id"], "0.01"))["id"]])
    cust = await s.customer(api, "Race", f"race{tag}")
    c = await s.contract(api, cust["id"], plan["id"], "2026-03-01", "2026-06-01")
    await worker.drain()
    for body in ({"amountCents": 3000, "expiresAt": "2026-04-01T01:00:00Z", "description": "soon"},
                 {"amountCents": 5000, "expiresAt": "2026-12-31T00:00:00Z", "description": "year"}):
        assert (await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant", body)).status_code == 201
    r = await api.post(f"/v1/contracts/{c['id']}/credits/purchase", {"amountCents": 4000, "priceCents": 3000,
                                                                     "description": "paid"})
    assert r.status_code == 201, r.text
    await _send(api, tag, [("m0", "2026-03-10T00:00:00Z", 2000)])
    await worker.drain()
    clock.set(RACE_AT)
    await _send(api, tag, [(f"late-{i}", f"2026-03-{20 + i}T00:00:00Z", 700 + 100 * i) for i in range(8)]
                + [(f"apr-{i}", "2026-04-01T00:30:00Z", 400 + 50 * i) for i in range(8)]
                + [("m0", "2026-03-10T00:00:00Z", 900)])  # a resend lowering March's first event
    return c


async def _send(api: Api, tag: str, events: list[tuple[str, str, int]]) -> None:
    await s.send(api, [{"eventName": f"tokens{tag}", "externalCustomerId": f"race{tag}", "idempotencyKey": tag + key,
                        "timestamp": at, "properties": {"count": n}} for key, at, n in events])


def _deadlock(error: BaseException) -> bool:
    """A task that lost a PostgreSQL deadlock (a worker's transaction, or an API request's 500)."""
    return "deadlock detected" in str(error) or ("INTERNAL_ERROR" in str(error) and "500" in str(error))


async def race(api: Api, worker: Worker, clock: FrozenClock, round_: int,
               tag: str = "") -> tuple[str, list[tuple[str, BaseException]]]:
    """Set up the wallet, run everything at once (an interleaving picked by ``round_``), drain the
    worker; returns the contract id and the tasks that failed, with their errors."""
    c = await _wallet_with_blocks(api, worker, clock, tag)
    rng = random.Random(round_)
    settings = worker.settings.model_copy(update={"worker_batch_size": rng.choice([1, 2, 3, 5])})
    now = clock.now()

    async def after(n: int, work: Callable[[], Awaitable[Any]]) -> Any:
        for _ in range(n):  # yield to the others a few times: a different interleaving each round
            await asyncio.sleep(0)
        return await work()

    async def matching() -> None:
        w = Worker(worker.sessions, clock=clock, settings=settings)
        while await w.match_once():
            pass

    async def grant() -> None:
        r = await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant",
                           {"amountCents": 2500, "expiresAt": "2026-12-31T00:00:00Z", "description": "race grant"})
        assert r.status_code == 201, r.text

    async def purchase() -> None:
        r = await api.post(f"/v1/contracts/{c['id']}/credits/purchase", {"amountCents": 3500, "priceCents": 3000,
                                                                              "description": "race purchase"})
        assert r.status_code == 201, r.text

    async def upkeep() -> None:
        await Worker(worker.sessions, clock=clock, settings=settings).credit_upkeep(now)

    async def finalization() -> None:  # the worker's pass: usage periods started, then due invoices finalized
        await Worker(worker.sessions, clock=clock, settings=settings).finalize_once()

    tasks = [matching, matching, matching, grant, purchase, upkeep, finalization]
    rng.shuffle(tasks)
    results = await asyncio.wait_for(asyncio.gather(*(after(rng.randrange(6), t) for t in tasks),
                                                    return_exceptions=True), RACE_TIMEOUT)
    await worker.drain()
    return c["id"], [(t.__name__, r) for t, r in zip(tasks, results, strict=True) if isinstance(r, BaseException)]


@pytest.mark.parametrize("round_", ROUNDS)
async def test_concurrent_wallet_changes_never_spend_a_cent_twice(
        api: Api, worker: Worker, clock: FrozenClock, database_url: str, round_: int) -> None:
    """Whatever ran and whatever lost a deadlock (see the test below), the wallet adds up."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time")
    contract_id, failed = await race(api, worker, clock, round_)
    assert all(_deadlock(e) for _, e in failed), failed
    balance, invoices = await check_invariants(api, contract_id)
    wallet = (await api.get(f"/v1/contracts/{contract_id}/credits/balance")).json()["data"]
    status = {b["description"]: b["status"] for b in wallet["blocks"]}
    lost = {name for name, _ in failed}
    assert status.pop("soon") == "expired" and len(status) == 4 - len(lost & {"grant", "purchase"}), wallet
    entries = await ledger(api, contract_id)
    granted = 12000 + (0 if "grant" in lost else 2500) + (0 if "purchase" in lost else 3500)
    assert sum(e["amountCents"] for e in entries if e["type"] == "grant") == granted
    spent = -sum(e["amountCents"] for e in entries if e["type"] in ("usage", "reversal"))
    expired = -sum(e["amountCents"] for e in entries if e["type"] == "expiration")
    assert granted == balance + spent + expired
    assert spent == sum(i[2] for i in invoices) > 0


async def test_concurrent_wallet_changes_all_succeed(
        api: Api, worker: Worker, clock: FrozenClock, database_url: str) -> None:
    """Every task of every round succeeds: none loses a deadlock (a grant or a purchase would answer 500).
    Two fixes made it so: the wallet's lock is FOR NO KEY UPDATE like every rebuild's (a FOR UPDATE
    queued foreign-key checks of a transaction inserting an invoice behind it), and the bulk move of
    drafts to In Progress skips rows a rebuild holds instead of waiting on them."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one write transaction at a time")
    failed = []
    for round_ in ROUNDS:
        failed += (await race(api, worker, clock, round_, tag=f"r{round_}"))[1]
    assert not failed, [(name, str(e)[:300]) for name, e in failed]

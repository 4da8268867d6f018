"""Properties of the wallet under random histories, through the HTTP API and the worker, on SQLite and
PostgreSQL: promotional grants and paid top-ups (amounts, expiries), usage events in the open period,
resends that lower usage, and worker drains in random batches. Whatever the history:

* the ledger (every page) sums to the balance, and replayed per block it gives each block's remainder;
* no block holds less than nothing or more than it was granted;
* an invoice's credits never exceed its metered charges and equal what its ledger entries drew;
* the same grants and events in another order and batching end with the same balance and invoices,
  and the credits applied are what the model says: min(usage, credits granted).

The ``api`` fixture (one database) lives for the whole test, so each example uses its own customers
and contracts; the clock stays on March 20 while the history runs (no block expires in between), then
moves past an expiry and past the April 1 invoice's finalization, where the invariants must still hold.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.credits.wallet_checks import check_invariants
from tests.e2e import scenario as s

NOW = datetime(2026, 3, 20, tzinfo=UTC)
EXPIRIES = ["2026-03-25T00:00:00Z", "2026-04-10T00:00:00Z", "2026-05-15T00:00:00Z", "2026-12-31T00:00:00Z"]
LATER = [datetime(2026, 3, 25, 6, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC)]
SEQ = itertools.count()


@dataclass(frozen=True)
class Op:
    """One step of a history: ``grant`` / ``purchase`` (cents, expiry, price) or ``usage`` (key, count,
    day of March, event name: a resend of a key carries a lower count or another name)."""

    kind: str
    cents: int = 0
    expiry: str = ""
    price: int | None = None
    key: str = ""
    count: int = 0
    day: int = 1
    name: str = "tokens"


@st.composite
def histories(draw: st.DrawFn) -> list[Op]:
    """Grants, purchases, usage events and resends lowering them (each after its original)."""
    ops: list[Op] = []
    counts: dict[str, int] = {}
    for i in range(draw(st.integers(2, 8))):
        kind = draw(st.sampled_from(["grant", "grant", "purchase", "usage", "usage", "usage", "resend"]))
        if kind == "resend" and not [k for k, c in counts.items() if c > 0]:
            kind = "usage"
        if kind in ("grant", "purchase"):
            cents = draw(st.integers(1, 5000))
            price = draw(st.integers(cents // 2, cents)) if kind == "purchase" else None
            ops.append(Op(kind, cents=cents, expiry=draw(st.sampled_from(EXPIRIES)), price=price))
        elif kind == "usage":
            counts[f"u{i}"] = draw(st.integers(1, 4000))
            ops.append(Op("usage", key=f"u{i}", count=counts[f"u{i}"], day=draw(st.integers(1, 19))))
        else:
            key = draw(st.sampled_from(sorted(k for k, c in counts.items() if c > 0)))
            original = next(o for o in ops if o.key == key)
            if draw(st.booleans()):
                counts[key] = draw(st.integers(0, counts[key] - 1))
                ops.append(Op("usage", key=key, count=counts[key], day=original.day))
            else:  # resent as another event type: no meter counts it any more
                counts[key] = 0
                ops.append(Op("usage", key=key, count=original.count, day=original.day, name="other"))
    return ops


def reorder(ops: list[Op], rng: random.Random) -> list[Op]:
    """Another order of ``ops`` that keeps every key's versions in their order (the last one wins)."""
    chains: dict[str, list[Op]] = {}
    for n, op in enumerate(ops):
        chains.setdefault(op.key or f"grant-{n}", []).append(op)
    queues = list(chains.values())
    out: list[Op] = []
    while queues:
        q = rng.choice(queues)
        out.append(q.pop(0))
        if not q:
            queues.remove(q)
    return out


async def _plan(api: Api) -> str:
    plans = (await api.get("/v1/plans", limit=100)).json()["data"]
    if plans:
        return str(plans[0]["id"])
    m = await s.meter(api, "TOKENS", "tokens", "SUM", "count")
    return str((await s.plan(api, "payg", [(await s.usage_price(api, "Tokens", m["id"], "0.01"))["id"]]))["id"])


async def play(api: Api, worker: Any, ops: list[Op], drains: list[bool]) -> str:
    """Run ``ops`` on a new customer's contract (March 1 to June 1, tokens at $0.01), draining the
    worker after op ``i`` when ``drains[i]`` (events wait in between) and at the end; returns its id."""
    name = f"cust{next(SEQ)}"
    cust = await s.customer(api, name.title(), name)
    c = await s.contract(api, cust["id"], await _plan(api), "2026-03-01", "2026-06-01")
    await worker.drain()  # the March 1 invoice is final: purchases are billed on April 1's
    for op, drain in zip(ops, drains, strict=True):
        if op.kind == "usage":
            r = await api.post("/v1/events", {"eventName": op.name, "externalCustomerId": name,
                                              "idempotencyKey": f"{name}-{op.key}", "properties": {"count": op.count},
                                              "timestamp": f"2026-03-{op.day:02d}T12:00:00Z"})
            assert r.status_code == 202, r.text
        else:
            body: dict[str, Any] = {"amountCents": op.cents, "expiresAt": op.expiry}
            path = "promotional/grant" if op.kind == "grant" else "purchase"
            if op.kind == "purchase":
                body["priceCents"] = op.price
            r = await api.post(f"/v1/contracts/{c['id']}/credits/{path}", body)
            assert r.status_code == 201, r.text
        if drain:
            await worker.drain()
    await worker.drain()
    return str(c["id"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=histories(), seed=st.integers(0, 2**32 - 1))
async def test_any_history_keeps_the_wallet_consistent(api: Api, worker: Any, clock: FrozenClock,
                                                       ops: list[Op], seed: int) -> None:
    rng = random.Random(seed)
    clock.set(NOW)
    first = await play(api, worker, ops, [rng.random() < 0.5 for _ in ops])
    other = reorder(ops, rng)
    second = await play(api, worker, other, [rng.random() < 0.3 for _ in other])
    balance, invoices = await check_invariants(api, first)
    assert await check_invariants(api, second) == (balance, invoices), (ops, other)
    final: dict[str, int] = {}
    for op in ops:
        if op.kind == "usage":
            final[op.key] = op.count if op.name == "tokens" else 0
    granted = sum(op.cents for op in ops if op.kind != "usage")
    prices = sum(op.price or 0 for op in ops if op.kind == "purchase")
    april = next(i for i in invoices if i[0] == "2026-04-01")
    applied = min(sum(final.values()), granted)
    assert april[1:] == (sum(final.values()) + prices, applied, sum(final.values()) + prices - applied), ops
    assert balance == granted - applied
    for at in LATER:  # a block expires (Mar 25), then the April 1 invoice is finalized
        clock.set(at)
        await worker.drain()
        for contract_id in (first, second):
            await check_invariants(api, contract_id)

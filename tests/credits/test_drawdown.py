"""Credits drawn down as usage is matched (reference §10.4, concepts §12), through the API and the
worker, on SQLite and PostgreSQL: partial draws, resends that lower usage, fixed fees never paid by
credits, finalization freezing the draws, cancellation giving them back, a grant after depletion,
expiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.e2e import scenario as s


async def _setup(api: Api, clock: FrozenClock, *, fee: str | None = None, end: str = "2026-06-01",
                 **extra: Any) -> dict[str, Any]:
    clock.set(datetime(2026, 3, 3, tzinfo=UTC))
    m = await s.meter(api, "API_CALL", "call_count")
    prices = [(await s.usage_price(api, "API Calls", m["id"], "1.00"))["id"]]
    if fee:
        prices.append((await s.flat_price(api, "Platform Fee", fee))["id"])
    plan = await s.plan(api, "payg", prices)
    alice = await s.customer(api, "Alice Apps", "alice")
    return await s.contract(api, alice["id"], plan["id"], "2026-03-01", end, **extra)


async def _calls(api: Api, n: int, *, tag: str = "c", at: str = "2026-03-02T10:00:00Z") -> None:
    await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"{tag}-{i}",
                        "timestamp": at} for i in range(n)])


async def _april(api: Api, contract_id: str) -> dict[str, Any]:
    return next(i for i in await s.invoices(api, contract_id) if i["invoiceDate"] == "2026-04-01")


async def _grant(api: Api, contract_id: str, cents: int, expires: str = "2026-12-31T00:00:00Z") -> dict[str, Any]:
    r = await api.post(f"/v1/contracts/{contract_id}/credits/promotional/grant",
                       {"amountCents": cents, "expiresAt": expires})
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _balance(api: Api, contract_id: str) -> int:
    return (await api.get(f"/v1/contracts/{contract_id}/credits/balance")).json()["data"]["balance"]["balanceCents"]


async def _ledger(api: Api, contract_id: str) -> list[tuple[str, int]]:
    data = (await api.get(f"/v1/contracts/{contract_id}/credits/ledger")).json()["data"]
    return [(e["type"], e["amountCents"]) for e in reversed(data["entries"])]  # oldest first


def _totals(inv: dict[str, Any]) -> tuple[int, int, int]:
    return inv["subtotalCents"], inv["creditsAppliedCents"], inv["totalCents"]


async def test_fifty_dollars_left_and_eighty_of_usage(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await _grant(api, c["id"], 5000)
    await worker.drain()
    await _calls(api, 80)  # 80 calls × $1.00
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (8000, 5000, 3000)
    assert await _balance(api, c["id"]) == 0
    assert await _ledger(api, c["id"]) == [("grant", 5000), ("usage", -5000)]
    blocks = (await api.get(f"/v1/contracts/{c['id']}/credits/balance")).json()["data"]["blocks"]
    assert [(b["status"], b["priority"]) for b in blocks] == [("depleted", None)]


async def test_a_resend_that_lowers_usage_gives_credits_back(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await _grant(api, c["id"], 10000)
    await worker.drain()
    await _calls(api, 80)
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (8000, 8000, 0)  # fully covered: $0.00 due
    # The client resends 50 of the events as another event type: they no longer count.
    await s.send(api, [{"eventName": "other", "externalCustomerId": "alice", "idempotencyKey": f"c-{i}",
                        "timestamp": "2026-03-02T10:00:00Z"} for i in range(50)])
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (3000, 3000, 0)
    assert await _balance(api, c["id"]) == 7000
    assert await _ledger(api, c["id"]) == [("grant", 10000), ("usage", -8000), ("reversal", 5000)]


async def test_credits_never_pay_fixed_fees(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock, fee="50.00")
    await _grant(api, c["id"], 100000)
    await worker.drain()
    await _calls(api, 20)
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (7000, 2000, 5000)  # $50 fee + $20 usage; usage covered
    march = next(i for i in await s.invoices(api, c["id"]) if i["invoiceDate"] == "2026-03-01")
    assert march["creditsAppliedCents"] == 0  # fees only


async def test_a_grant_after_depletion_pays_the_overage(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await _grant(api, c["id"], 3000)
    await worker.drain()
    await _calls(api, 80)
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (8000, 3000, 5000)
    await _grant(api, c["id"], 10000)
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (8000, 8000, 0)
    assert await _balance(api, c["id"]) == 5000


async def test_finalization_freezes_the_draws_and_cancellation_gives_back(api: Api, worker: Any,
                                                                          clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await _grant(api, c["id"], 20000)
    await worker.drain()
    await _calls(api, 30)
    clock.set(datetime(2026, 4, 5, tzinfo=UTC))
    await _calls(api, 40, tag="apr", at="2026-04-03T10:00:00Z")
    await worker.drain()
    april = await _april(api, c["id"])
    assert april["status"] == "Sent" and _totals(april) == (3000, 3000, 0)
    may = next(i for i in await s.invoices(api, c["id"]) if i["invoiceDate"] == "2026-05-01")
    assert _totals(may) == (4000, 4000, 0)
    assert await _balance(api, c["id"]) == 13000
    r = await api.post(f"/v1/contracts/{c['id']}/cancel", {"cancelAt": "immediate"})
    assert r.status_code == 200, r.text
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (3000, 3000, 0)  # finalized: untouched
    invoices = await s.invoices(api, c["id"])
    open_credits = sum(i["creditsAppliedCents"] for i in invoices if i["status"] in ("Drafted", "In Progress"))
    cancelled = [i for i in invoices if i["status"] == "Cancelled"]
    # What a cancelled draft drew went back to the wallet: it shows no credits.
    assert cancelled and all(i["creditsAppliedCents"] == 0 and i["totalCents"] == i["subtotalCents"]
                             for i in cancelled)
    assert all(li["name"] != "Credits applied" for i in cancelled for li in i["lineItems"])
    # Every cent drawn by a still-billable invoice is spent; the rest is back in the wallet.
    assert await _balance(api, c["id"]) == 20000 - 3000 - open_credits


async def test_expiry_writes_off_what_is_left(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await _grant(api, c["id"], 5000, expires="2026-03-10T00:00:00Z")
    await worker.drain()
    await _calls(api, 20)
    await worker.drain()
    clock.set(datetime(2026, 3, 10, 0, 0, 1, tzinfo=UTC))
    await worker.drain()
    assert await _balance(api, c["id"]) == 0
    assert await _ledger(api, c["id"]) == [("grant", 5000), ("usage", -2000), ("expiration", -3000)]
    assert _totals(await _april(api, c["id"])) == (2000, 2000, 0)  # what it paid stays paid
    # Usage after the expiry is not paid by the expired block.
    clock.advance(timedelta(days=2))
    await _calls(api, 10, tag="late", at="2026-03-11T10:00:00Z")
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (3000, 2000, 1000)

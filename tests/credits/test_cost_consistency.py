"""Credits seen the same way everywhere (reference §10.2, §12.4, §5.5): the documentation's credit
wallet ($500 as 1,562.5 credits at 32 cents; 45,000 cents ↔ 1,406.25 credits after $50 of usage);
``POST /v1/usage/cost`` prices the usage credits pay for (before credits, in dollars or, at the
wallet's rate, in the credits drawn); the upcoming invoice shows the same credits as the invoice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.e2e import scenario as s


async def test_usage_cost_and_upcoming_invoice_agree_with_the_wallet(api: Api, worker: Any,
                                                                     clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 3, tzinfo=UTC))
    m = await s.meter(api, "TOKENS", "tokens", "SUM", "count")
    usage = await s.usage_price(api, "Tokens", m["id"], "0.01")
    fee = await s.flat_price(api, "Platform Fee", "20.00")
    plan = await s.plan(api, "ai", [usage["id"], fee["id"]])
    alice = await s.customer(api, "Alice Apps", "alice")
    c = await s.contract(api, alice["id"], plan["id"], "2026-03-01", "2026-06-01",
                         creditSettings={"walletMode": "credits", "creditRateCents": 32})
    r = await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant",
                       {"creditRateCents": 32, "creditAmount": 1562.5, "expiresAt": "2026-12-31T00:00:00Z"})
    assert r.status_code == 201, r.text
    assert (r.json()["data"]["amountCents"], r.json()["data"]["creditBalanceAfter"]) == (50000, 1562.5)
    await s.send(api, [{"eventName": "tokens", "externalCustomerId": "alice", "idempotencyKey": f"t{i}",
                        "timestamp": "2026-03-02T10:00:00Z", "properties": {"count": 1000}} for i in range(5)])
    await worker.drain()  # $50.00 of usage: 156.25 credits

    balance = (await api.get(f"/v1/contracts/{c['id']}/credits/balance")).json()["data"]["balance"]
    assert (balance["balanceCents"], balance["creditBalance"]) == (45000, 1406.25)

    upcoming = (await api.get(f"/v1/customers/{alice['id']}/upcoming-invoice")).json()["data"]
    invoice = (await api.get(f"/v1/invoices/{upcoming['id']}", include="lineItems")).json()["data"]
    assert upcoming == invoice  # the same invoice, the same credits
    assert (invoice["subtotalCents"], invoice["creditsAppliedCents"], invoice["totalCents"]) == (7000, 5000, 2000)
    assert invoice["lineItems"][-1]["name"] == "Credits applied"
    assert sum(li["totalAmountCents"] for li in invoice["lineItems"]) == invoice["totalCents"]

    window = {"contractId": c["id"], "startDate": "2026-03-01T00:00:00Z", "endDate": "2026-04-01T00:00:00Z"}
    dollars = (await api.post("/v1/usage/cost", window)).json()
    assert (dollars["totalAmount"], dollars["unit"]) == (50, "currency")  # the metered charges credits paid
    in_credits = (await api.post("/v1/usage/cost", {**window, "creditRateCents": 32})).json()
    assert (in_credits["totalAmount"], in_credits["unit"]) == (156.25, "credits")
    entries = (await api.get(f"/v1/contracts/{c['id']}/credits/ledger")).json()["data"]["entries"]
    drawn = -sum(e["creditAmount"] for e in entries if e["type"] in ("usage", "reversal"))
    assert drawn == in_credits["totalAmount"]

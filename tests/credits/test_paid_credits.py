"""Paid credits (concepts §12, reference §9.1): ``creditGrantCents`` at contract creation is a paid
block billed on the contract's first invoice as a "Prepaid credits" line that credits never pay;
``creditSettings`` (wallet mode, rate, purchase price, bonus, expiry); paid top-ups billed on the next
invoice; the invoice's credit line; holds for review under ``alert_only``. Through the HTTP API, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.e2e import scenario as s


async def _setup(api: Api, clock: FrozenClock, *, fee: str | None = "100.00", start: str = "2026-03-01",
                 end: str | None = "2026-06-01", unit: str = "0.01", today: datetime = datetime(2026, 3, 3, tzinfo=UTC),
                 **extra: Any) -> dict[str, Any]:
    clock.set(today)
    m = await s.meter(api, "TOKENS", "tokens", "SUM", "count")
    prices = [(await s.usage_price(api, "Tokens", m["id"], unit))["id"]]
    if fee:
        prices.append((await s.flat_price(api, "Platform Fee", fee))["id"])
    plan = await s.plan(api, "ai", prices)
    alice = await s.customer(api, "Alice Apps", "alice")
    return await s.contract(api, alice["id"], plan["id"], start, end, **extra)


async def _use(api: Api, n: int, *, key: str, at: str = "2026-03-02T10:00:00Z", **props: Any) -> None:
    await s.send(api, [{"eventName": "tokens", "externalCustomerId": "alice", "idempotencyKey": key,
                        "timestamp": at, "properties": {"count": n, **props}}])


async def _wallet(api: Api, contract_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/contracts/{contract_id}/credits/balance")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _totals(inv: dict[str, Any]) -> tuple[int, int, int]:
    return inv["subtotalCents"], inv["creditsAppliedCents"], inv["totalCents"]


def _sums_hold(inv: dict[str, Any]) -> None:
    """The line items sum to the amount due; the charge lines (all but the credit line) to the subtotal."""
    items = inv["lineItems"]
    assert sum(li["totalAmountCents"] for li in items) == inv["totalCents"]
    assert sum(li["totalAmountCents"] for li in items if li["name"] != "Credits applied") == inv["subtotalCents"]


async def _by_date(api: Api, contract_id: str, day: str) -> dict[str, Any]:
    return next(i for i in await s.invoices(api, contract_id) if i["invoiceDate"] == day)


async def test_credit_grant_at_creation_is_billed_once_and_never_paid_by_credits(api: Api, worker: Any,
                                                                                  clock: FrozenClock) -> None:
    c = await _setup(api, clock, creditGrantCents=50000)
    first = await _by_date(api, c["id"], "2026-03-01")
    assert s.lines(first) == [("Platform Fee", 1, 10000), ("Prepaid credits", 1, 50000)]
    assert first["lineItems"][1]["description"] == "$500.00 of credits for $500.00"
    assert _totals(first) == (60000, 0, 60000)  # the credits line and the fee are never paid by credits
    wallet = await _wallet(api, c["id"])
    assert wallet["balance"]["balanceCents"] == 50000
    assert [(b["isPromotional"], b["originalCents"], b["priority"]) for b in wallet["blocks"]] == [(False, 50000, 1)]
    assert wallet["blocks"][0]["expiresAt"] == "2026-06-01T00:00:00.000Z"  # default: the contract's end
    await _use(api, 8000, key="u1")  # $80.00 of usage in March, billed on the April invoice
    await worker.drain()
    april = await _by_date(api, c["id"], "2026-04-01")
    assert _totals(april) == (18000, 8000, 10000)  # April's fee $100 + $80 usage, $80 paid by credits
    assert april["lineItems"][-1]["name"] == "Credits applied"
    assert april["lineItems"][-1]["totalAmountCents"] == -8000
    _sums_hold(april)
    assert s.lines(await _by_date(api, c["id"], "2026-04-01")).count(("Prepaid credits", 1, 50000)) == 0
    ledger = (await api.get(f"/v1/contracts/{c['id']}/credits/ledger")).json()["data"]["entries"]
    grant = ledger[-1]
    assert (grant["type"], grant["amountCents"], grant["isPromotional"], grant["invoiceId"]) == \
        ("grant", 50000, False, first["id"])
    assert (await _wallet(api, c["id"]))["balance"]["balanceCents"] == 42000


async def test_first_credit_guide_thousand_credits_at_fifty_cents_and_two_hundred_bonus(
        api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock, fee=None, creditGrantCents=50000,
                     creditSettings={"creditRateCents": 50, "bonusCredits": 200,
                                     "expiresAt": "2027-02-27T00:00:00Z"})
    assert c["creditSettings"]["walletMode"] == "credits"
    wallet = await _wallet(api, c["id"])
    assert wallet["balance"]["creditBalance"] == 1200 and wallet["balance"]["balanceCents"] == 60000
    blocks = {b["description"]: b for b in wallet["blocks"]}
    assert (blocks["Prepaid credits"]["originalCredits"], blocks["Prepaid credits"]["originalCents"]) == (1000, 50000)
    assert (blocks["Bonus credits"]["originalCredits"], blocks["Bonus credits"]["originalCents"]) == (200, 10000)
    assert blocks["Bonus credits"]["isPromotional"] is True and blocks["Bonus credits"]["priority"] == 1
    billed = [i for i in await s.invoices(api, c["id"])
              if any(li["name"] == "Prepaid credits" for li in i["lineItems"])]
    assert len(billed) == 1  # $500.00 for 1,000 credits; the bonus is free
    line = next(li for li in billed[0]["lineItems"] if li["name"] == "Prepaid credits")
    assert (line["quantity"], line["unitPrice"], line["totalAmountCents"]) == (1000, "0.50", 50000)
    await _use(api, 15000, key="u1")  # $150.00 = 300 credits: the 200 bonus credits first, then 100 paid
    await worker.drain()
    wallet = await _wallet(api, c["id"])
    assert wallet["balance"]["creditBalance"] == 900
    assert {b["description"]: (b["status"], b["remainingCredits"]) for b in wallet["blocks"]} == {
        "Prepaid credits": ("active", 900), "Bonus credits": ("depleted", 0)}


async def test_enterprise_pattern_invoiced_100k_for_125k_of_credits_drawn_over_the_year(
        api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock, fee=None, start="2026-01-01", end="2027-01-01",
                     today=datetime(2025, 12, 20, tzinfo=UTC), creditGrantCents=12_500_000,
                     creditSettings={"purchasePriceCents": 10_000_000})
    invs = await s.invoices(api, c["id"])
    billed = [i for i in invs if any(li["name"] == "Prepaid credits" for li in i["lineItems"])]
    assert len(billed) == 1 and billed[0]["invoiceDate"] == invs[0]["invoiceDate"]
    assert [li["totalAmountCents"] for li in billed[0]["lineItems"] if li["name"] == "Prepaid credits"] == [10_000_000]
    entry = (await api.get(f"/v1/contracts/{c['id']}/credits/ledger")).json()["data"]["entries"][0]
    assert (entry["amountCents"], entry["isPromotional"]) == (12_500_000, False)
    # $125,000 of usage over the year: $10,416.67 in eleven months and $10,416.63 in the twelfth.
    for month in range(1, 13):
        amount = 1_041_667 if month < 12 else 12_500_000 - 11 * 1_041_667
        clock.set(datetime(2026, month, 15, 13, tzinfo=UTC))
        await _use(api, amount, key=f"m{month}", at=f"2026-{month:02d}-15T12:00:00Z")
        await worker.drain()
    wallet = await _wallet(api, c["id"])
    assert wallet["balance"]["balanceCents"] == 0
    assert [b["status"] for b in wallet["blocks"]] == ["depleted"]
    usage_invoices = [i for i in await s.invoices(api, c["id"]) if i["creditsAppliedCents"]]
    assert sum(i["creditsAppliedCents"] for i in usage_invoices) == 12_500_000
    assert all(i["totalCents"] == i["subtotalCents"] - i["creditsAppliedCents"] for i in usage_invoices)
    assert all(i["totalCents"] == 0 for i in usage_invoices)  # every month's usage fully covered


async def test_a_paid_top_up_is_billed_on_the_next_invoice(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await worker.drain()  # the March invoice (fee in advance) is finalized: the next open one is April's
    body = {"amountCents": 20000, "priceCents": 15000, "externalId": "po-1"}
    r = await api.post(f"/v1/contracts/{c['id']}/credits/purchase", body)
    assert r.status_code == 201, r.text
    entry = r.json()["data"]
    april = await _by_date(api, c["id"], "2026-04-01")
    assert (entry["type"], entry["amountCents"], entry["isPromotional"], entry["invoiceId"]) == \
        ("grant", 20000, False, april["id"])
    assert (entry["balanceAfterCents"], entry["purchaseRateCents"]) == (20000, 0.75)
    assert ("Prepaid credits", 1, 15000) in s.lines(april)
    again = await api.post(f"/v1/contracts/{c['id']}/credits/purchase", body)
    assert again.status_code == 201 and again.json()["data"]["id"] == entry["id"]  # idempotent
    assert s.lines(await _by_date(api, c["id"], "2026-04-01")).count(("Prepaid credits", 1, 15000)) == 1
    await _use(api, 5000, key="u1")
    await worker.drain()
    april = await _by_date(api, c["id"], "2026-04-01")
    assert _totals(april) == (30000, 5000, 25000)  # fee $100 + credits $150 + usage $50; usage paid by credits


async def test_purchase_and_settings_validation(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    bad = [({"creditAmount": 10}, "creditAmount"), ({}, "amountCents"), ({"amountCents": 100, "creditAmount": 1}, ""),
           ({"amountCents": 100, "expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt"), ({"amountCents": 0}, "")]
    for body, field in bad:
        r = await api.post(f"/v1/contracts/{c['id']}/credits/purchase", body)
        assert r.status_code == 400 and field in r.text, (body, r.text)
    assert (await api.post("/v1/contracts/nope/credits/purchase", {"amountCents": 1})).status_code == 404
    assert (await _wallet(api, c["id"]))["blocks"] == []  # nothing was granted
    alice = c["customerId"]
    for settings in ({"walletMode": "credits"}, {"walletMode": "dollars", "creditRateCents": 5},
                     {"bonusCredits": 5}, {"creditRateCents": 5, "bonusCents": 5}, {"lowBalance": 1},
                     {"depletionBehavior": "stop"}, {"expiresAt": "2020-01-01T00:00:00Z"}):
        r = await api.post("/v1/contracts", {"customerId": alice, "planId": c["planId"], "startDate": "2026-03-01",
                                             "creditSettings": settings})
        assert r.status_code == 400, (settings, r.text)


async def test_alert_only_holds_an_invoice_whose_usage_the_wallet_could_not_cover(
        api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock, fee=None, creditGrantCents=5000, creditSettings={"depletionBehavior": "alert_only"})
    await _use(api, 8000, key="u1")  # $80 of usage, $50 of credits: $30 unpaid, the wallet is dry
    await worker.drain()
    clock.set(datetime(2026, 4, 2, tzinfo=UTC))
    await worker.drain()
    april = await _by_date(api, c["id"], "2026-04-01")
    assert april["status"] == "In Progress" and april["heldForReview"] is True and april["invoiceNumber"] is None
    assert _totals(april) == (8000, 5000, 3000)
    r = await api.post(f"/v1/invoices/{april['id']}/approve", {})
    assert r.status_code == 200 and r.json()["data"]["heldForReview"] is False, r.text
    assert (await api.post(f"/v1/invoices/{april['id']}/approve", {})).status_code == 409
    await worker.drain()
    april = await _by_date(api, c["id"], "2026-04-01")
    assert april["status"] == "Sent" and april["invoiceNumber"] and _totals(april) == (8000, 5000, 3000)


async def test_auto_invoice_finalizes_as_usual_and_a_covered_invoice_is_never_held(
        api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock, fee=None, creditGrantCents=5000)
    await _use(api, 8000, key="u1")
    await worker.drain()
    clock.set(datetime(2026, 4, 2, tzinfo=UTC))
    await worker.drain()
    april = await _by_date(api, c["id"], "2026-04-01")
    assert april["status"] == "Sent" and april["heldForReview"] is False
    held = await _setup_second(api, worker, clock)
    assert held["status"] == "Sent" and held["heldForReview"] is False
    r = await api.post(f"/v1/invoices/{april['id']}/approve", {})
    assert r.status_code == 409


async def _setup_second(api: Api, worker: Any, clock: FrozenClock) -> dict[str, Any]:
    """An alert_only contract whose usage the wallet covers: finalized, not held."""
    bob = await s.customer(api, "Bob", "bob")
    plan = (await api.get("/v1/plans")).json()["data"][0]
    c = await s.contract(api, bob["id"], plan["id"], "2026-04-01", "2026-06-01", creditGrantCents=5000,
                         creditSettings={"depletionBehavior": "alert_only"})
    await s.send(api, [{"eventName": "tokens", "externalCustomerId": "bob", "idempotencyKey": "b1",
                        "timestamp": "2026-04-01T10:00:00Z", "properties": {"count": 1000}}])
    await worker.drain()
    clock.set(datetime(2026, 5, 2, tzinfo=UTC))
    await worker.drain()
    return await _by_date(api, c["id"], "2026-05-01")

"""Money and quantities have room: 64-bit cents end to end, and every number beyond its documented
bound (``monk.billing.bounds``) is a 400 naming the field, never a 500 or a frozen draft."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s

HUGE = [10**50, 10**15, -(10**15), 1e15, -1e15, 1e300]


async def whale(api: Api, clock: FrozenClock, unit: str = "0.0001") -> dict[str, Any]:
    """A SUM meter of ``tokens`` at ``unit`` dollars, customer ``whale`` on it from Jan 1 to Mar 1 2026."""
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    m = await s.meter(api, "TOKENS", "llm_call", "SUM", key="tokens")
    price = await s.usage_price(api, "Tokens", m["id"], unit)
    p = await s.plan(api, "big", [price["id"]])
    cust = await s.customer(api, "Whale", "whale")
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01", "2026-03-01")
    clock.set(datetime(2026, 1, 20, tzinfo=UTC))
    return {"meter": m, "pricing": price, "customer": cust, "contract": c}


def tokens(n: Any, key: str = "big-1", **extra: Any) -> dict[str, Any]:
    return {"eventName": "llm_call", "externalCustomerId": "whale", "idempotencyKey": key,
            "timestamp": "2026-01-10T00:00:00Z", "properties": {"tokens": n}, **extra}


async def test_fifty_million_dollar_invoice_is_billed_finalized_and_read_back(
        api: Api, worker, clock: FrozenClock) -> None:
    w = await whale(api, clock)
    r = await api.post("/v1/events", tokens(500_000_000_000))
    assert r.status_code == 202, r.text
    assert await worker.drain() == 1

    draft = (await s.invoices(api, w["contract"]["id"]))[1]  # January's usage, billed Feb 1
    assert s.lines(draft) == [("Tokens", 500_000_000_000, 5_000_000_000)]
    assert draft["totalCents"] == 5_000_000_000 and draft["status"] == "In Progress"
    assert draft["lineItems"][0]["totalAmount"] == "50000000.00"
    events = (await api.get("/v1/events")).json()["events"]
    assert [e["status"] for e in events] == ["matched"]

    clock.set(datetime(2026, 2, 20, tzinfo=UTC))  # past the Feb 1 invoice's date and grace
    await worker.drain()
    r = await api.get(f"/v1/invoices/{draft['id']}", include="lineItems")
    assert r.status_code == 200, r.text
    final = r.json()["data"]
    assert final["status"] == "Sent" and final["invoiceNumber"] is not None
    assert final["totalCents"] == 5_000_000_000
    assert final["lineItems"][0]["totalAmountCents"] == 5_000_000_000
    assert final["lineItems"][0]["totalAmount"] == "50000000.00"
    assert final["lineItems"][0]["quantity"] == 500_000_000_000


async def test_largest_event_quantity_is_accepted_and_billed(api: Api, worker, clock: FrozenClock) -> None:
    """Just under the quantity bound at $0.01 is $9,999,999,999,999.99: 64-bit cents hold it."""
    w = await whale(api, clock, unit="0.01")
    assert (await api.post("/v1/events", tokens(10**15 - 1))).status_code == 202
    await worker.drain()
    draft = (await s.invoices(api, w["contract"]["id"]))[1]
    assert draft["totalCents"] == 10**15 - 1
    assert draft["lineItems"][0]["totalAmount"] == "9999999999999.99"


@pytest.mark.parametrize("value", HUGE)
async def test_single_event_beyond_the_quantity_bound_is_refused(api: Api, clock: FrozenClock, value: Any) -> None:
    await whale(api, clock)
    err = assert_error(await api.post("/v1/events", tokens(value)), 400, "VALIDATION_ERROR")
    assert err["message"].startswith("properties.tokens:"), err
    assert err["details"] == [{"field": "properties.tokens", "message": err["message"].split(": ", 1)[1]}]
    assert (await api.get("/v1/events")).json()["total"] == 0


@pytest.mark.parametrize("value", HUGE)
async def test_batch_event_beyond_the_quantity_bound_refuses_the_batch(
        api: Api, clock: FrozenClock, value: Any) -> None:
    await whale(api, clock)
    batch = [tokens(1, key=f"k{i}") for i in range(5)]
    batch[3] = tokens(value, key="k3")
    err = assert_error(await api.post("/v1/events/batch", {"events": batch}), 400, "VALIDATION_ERROR")
    assert "index 3" in err["message"]
    assert [(d["index"], d["field"]) for d in err["details"]] == [(3, "properties.tokens")]
    assert (await api.get("/v1/events")).json()["total"] == 0


async def test_values_inside_the_bound_and_other_properties_pass(api: Api, clock: FrozenClock) -> None:
    await whale(api, clock)
    ok = [999_999_999_999_999, -999_999_999_999_999, 999_999_999_999_999.9, 0.30000000000000004, True, "1e30"]
    for i, v in enumerate(ok):
        r = await api.post("/v1/events", {**tokens(v, key=f"ok{i}")})
        assert r.status_code == 202, (v, r.text)
    batch = [tokens(v, key=f"b{i}") for i, v in enumerate(ok)]
    assert (await api.post("/v1/events/batch", {"events": batch})).status_code == 202
    assert (await api.get("/v1/events")).json()["total"] == 2 * len(ok)


@pytest.mark.parametrize("value", [*HUGE, "1e30", "1000000000000000"])
async def test_estimate_refuses_a_quantity_beyond_the_bound(api: Api, clock: FrozenClock, value: Any) -> None:
    await whale(api, clock)
    events = [{"eventName": "llm_call", "properties": {"tokens": 5}} for _ in range(3)]
    events[2] = {"eventName": "llm_call", "properties": {"tokens": value}}
    err = assert_error(await api.post("/v1/pricing/estimate", {"events": events}), 400, "VALIDATION_ERROR")
    assert err["message"].startswith("events.2.properties.tokens: "), err
    assert err["details"][0]["field"] == "events.2.properties.tokens"


async def test_estimate_refuses_an_amount_beyond_the_bound(api: Api, clock: FrozenClock) -> None:
    """The largest quantity at the largest price is $10**24: beyond the amount bound, a 400 not a 500."""
    await whale(api, clock, unit="999999999.99")
    body = {"events": [{"eventName": "llm_call", "properties": {"tokens": 10**15 - 1}}]}
    err = assert_error(await api.post("/v1/pricing/estimate", body), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "events.0.properties.tokens"
    assert "largest supported amount" in err["message"]
    body = {"events": [{"eventName": "llm_call", "properties": {"tokens": 10_000_000}}]}  # $9,999,999,999,900,000
    r = await api.post("/v1/pricing/estimate", body)
    assert r.status_code == 200, r.text
    assert r.json()["totalAmount"] == 9_999_999_999_900_000
    many = {"events": [{"eventName": "llm_call", "properties": {"tokens": 9_000_000}}] * 2}  # $1.8e16 in all
    err = assert_error(await api.post("/v1/pricing/estimate", many), 400, "VALIDATION_ERROR")
    assert err["details"][0]["field"] == "events"


async def test_usage_cost_of_stored_usage_beyond_the_bound_is_a_400(api: Api, worker, clock: FrozenClock) -> None:
    """A numeric string passes ingestion (it is a number only to a meter that sums it): 10**20 tokens
    is beyond the quantity bound, so the worker leaves the event unmatched (``VALUE_OUT_OF_RANGE``)
    and the usage cost, like the invoice, does not count it; never a 500."""
    w = await whale(api, clock)
    assert (await api.post("/v1/events", tokens("1e20"))).status_code == 202
    await worker.drain()
    (ev,) = (await api.get("/v1/events")).json()["events"]
    assert ev["status"] == "unmatched" and "VALUE_OUT_OF_RANGE" in ev["unmatchedReason"]
    window = {"startDate": "2026-01-01T00:00:00Z", "endDate": "2026-02-01T00:00:00Z"}
    for who in ({"customerId": w["customer"]["id"]}, {"contractId": w["contract"]["id"]}):
        r = await api.post("/v1/usage/cost", {**window, **who})
        assert r.status_code == 200 and r.json()["totalAmount"] == 0, r.text
    # Within the bounds the cost is exact: $50,000,000.00.
    assert (await api.post("/v1/events", tokens(500_000_000_000))).status_code == 202  # replaces the event
    await worker.drain()
    for who in ({"customerId": w["customer"]["id"]}, {"contractId": w["contract"]["id"]}):
        r = await api.post("/v1/usage/cost", {**window, **who})
        assert r.status_code == 200, r.text
        assert r.json()["totalAmount"] == 50_000_000


@pytest.mark.parametrize(("body", "field"), [
    ({"quantity": 10**15}, "quantity"),
    ({"quantity": 1e15}, "quantity"),
    ({"quantity": "1000000000000000"}, "quantity"),
    ({"quantity": 10**50}, "quantity"),
    ({"properties": {"other": 10**50}}, "properties.other"),
    ({"properties": {"other": -1e15}}, "properties.other"),
])
async def test_legacy_usage_refuses_numbers_beyond_the_bound(
        api: Api, clock: FrozenClock, body: dict[str, Any], field: str) -> None:
    w = await whale(api, clock)
    usage = {"customerId": w["customer"]["id"], "pricingCode": w["pricing"]["code"], "quantity": 5,
             "idempotencyKey": "u1", **body}
    err = assert_error(await api.post("/api/v1/usages", usage), 400, "VALIDATION_ERROR")
    assert err["message"].startswith(f"{field}: "), err
    assert (await api.get("/v1/events")).json()["total"] == 0
    ok = await api.post("/api/v1/usages", {**usage, "quantity": 10**15 - 1, "properties": {}})
    assert ok.status_code == 201, ok.text


TOO_MUCH = "1000000000"  # dollars: the amount bound
TOO_MANY = "1000000000000000"  # units: the quantity bound


def _tiers(**tier: Any) -> list[dict[str, Any]]:
    return [{"minQty": "0", "maxQty": "10", "unitAmount": "1", **tier}, {"minQty": tier.get("maxQty", "10"),
                                                                         "unitAmount": "1"}]


@pytest.mark.parametrize(("extra", "field"), [
    ({"unitAmount": TOO_MUCH}, "unitAmount"),
    ({"unitAmount": "12345678901234567890123456.5"}, "unitAmount"),
    ({"flatAmount": TOO_MUCH}, "flatAmount"),
    ({"minimumAmount": TOO_MUCH}, "minimumAmount"),
    ({"unitAmount": None, "model": "TIER", "tiering": "VOLUME", "pricingTiers": _tiers(unitAmount=TOO_MUCH)},
     "pricingTiers.0.unitAmount"),
    ({"unitAmount": None, "model": "TIER", "tiering": "GRADUATED", "pricingTiers": _tiers(flatAmount=TOO_MUCH)},
     "pricingTiers.0.flatAmount"),
    ({"unitAmount": None, "model": "TIER", "tiering": "VOLUME", "pricingTiers": _tiers(maxQty=TOO_MANY)},
     "pricingTiers.0.maxQty"),
    ({"unitAmount": None, "model": "TIER", "tiering": "VOLUME", "pricingTiers": _tiers(maxQty="1" + "0" * 50)},
     "pricingTiers.0.maxQty"),
])
async def test_pricing_creation_refuses_amounts_beyond_the_bound(
        api: Api, clock: FrozenClock, extra: dict[str, Any], field: str) -> None:
    w = await whale(api, clock)
    body = {"productName": "Big", "name": "Big", "model": "USAGE", "billingMode": "RECURRING",
            "unitAmount": "1", "meterId": w["meter"]["id"], **extra}
    body = {k: v for k, v in body.items() if v is not None}
    err = assert_error(await api.post("/v1/pricing", body), 400, "VALIDATION_ERROR")
    assert err["message"].startswith(f"{field}: must be less than"), err
    assert (await api.get("/v1/pricing")).json()["total"] == 1  # the whale's pricing only


async def test_rate_cards_overrides_and_credit_grants_are_bounded(api: Api, clock: FrozenClock) -> None:
    w = await whale(api, clock)
    meter = await s.meter(api, "AI", "ai_call", groupKeys=["region"])
    url = f"/v1/meters/{meter['id']}/rate-card"
    for card, field in (({"rates": [{"dimensions": {"region": "US"}, "unitAmount": TOO_MUCH}]}, "rates.0.unitAmount"),
                        ({"rates": [], "fallbackRate": TOO_MUCH}, "fallbackRate")):
        err = assert_error(await api.put(url, card), 400, "VALIDATION_ERROR")
        assert err["message"].startswith(f"{field}: must be less than"), err
    assert (await api.put(url, {"rates": [], "fallbackRate": "999999999.99"})).status_code == 200

    ai_plan = await s.plan(api, "ai", [(await s.usage_price(api, "AI", meter["id"], "1"))["id"]])
    base = {"customerId": w["customer"]["id"], "planId": w["contract"]["planId"], "startDate": "2026-01-01"}
    bad = [
        ({"overrides": [{"basePricingId": w["pricing"]["id"], "unitAmount": TOO_MUCH}]}, "overrides.0.unitAmount"),
        ({"planId": ai_plan["id"], "rateOverrides": {"AI": {"region=US": TOO_MUCH}}}, "rateOverrides"),
        ({"planId": ai_plan["id"], "rateOverrides": {"AI": {"region=US": 1e300}}}, "rateOverrides"),
        ({"creditGrantCents": 100_000_000_000}, "creditGrantCents"),
        ({"creditGrantCents": 10**50}, "creditGrantCents"),
    ]
    for extra, field in bad:
        err = assert_error(await api.post("/v1/contracts", {**base, **extra}), 400, "VALIDATION_ERROR")
        assert err["message"].startswith(field) and "less than" in err["message"], (extra, err)
    assert (await api.get("/v1/contracts")).json()["total"] == 1
    ok = await api.post("/v1/contracts", {**base, "creditGrantCents": 99_999_999_999, "overrides": [
        {"basePricingId": w["pricing"]["id"], "unitAmount": "999999999.999999999999"}]})
    assert ok.status_code == 201, ok.text
    assert ok.json()["data"]["creditGrantCents"] == 99_999_999_999

    plan = {"name": "P", "planCode": "p", "billingFrequency": "MONTHLY"}
    for grant in (100_000_000_000, 10**50):
        err = assert_error(await api.post("/v1/plans", {**plan, "creditGrantCents": grant}), 400, "VALIDATION_ERROR")
        assert err["message"].startswith("creditGrantCents:"), err
    r = await api.post("/v1/plans", {**plan, "creditGrantCents": 99_999_999_999})
    assert r.status_code == 201 and r.json()["data"]["creditGrantCents"] == 99_999_999_999

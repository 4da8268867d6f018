"""The legacy usage endpoint ``POST /api/v1/usages`` (reference §14): usage against a pricing code,
stored as an event the pricing's meter accepts, billed like any event."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s

URL = "/api/v1/usages"


async def world(api: Api, clock: FrozenClock) -> dict[str, Any]:
    """SMS Notifications (SUM ``quantity`` of ``sms_sent``, $0.045) and Support Tickets (COUNT of
    ``ticket``, $2.00) on a plan; customer corp with a contract Jan–Mar 2026; a FLAT fee; a meter
    without an event name."""
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    sms = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    tickets = await s.meter(api, "TICKETS", "ticket")
    anything = await s.created(await api.post("/v1/meters", {
        "code": "ANY", "displayName": "Any", "aggregationType": "SUM", "aggregationKey": "n"}))
    gated = await s.meter(api, "GATED", "gated", "SUM", key="n",
                          propertyFilters=[{"name": "region", "include": ["US"]}])
    p_sms = await s.usage_price(api, "SMS Notifications", sms["id"], "0.045")
    p_tix = await s.usage_price(api, "Support Tickets", tickets["id"], "2.00")
    await s.usage_price(api, "Anything", anything["id"], "1.00")
    await s.usage_price(api, "Gated", gated["id"], "1.00")
    fee = await s.flat_price(api, "Platform Fee", "100.00")
    assert (p_sms["code"], p_tix["code"], fee["code"]) == ("sms-notifications", "support-tickets", "platform-fee")
    plan = await s.plan(api, "biz", [fee["id"], p_sms["id"], p_tix["id"]])
    corp = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, corp["id"], plan["id"], "2026-01-01", "2026-04-01")
    clock.set(datetime(2026, 1, 20, 12, 0, tzinfo=UTC))
    return {"corp": corp, "contract": c}


def usage(customer_id: str, key: str, quantity: Any = 100, pricing: str = "sms-notifications",
          **extra: Any) -> dict[str, Any]:
    return {"customerId": customer_id, "pricingCode": pricing, "quantity": quantity, "idempotencyKey": key, **extra}


async def event_count(api: Api) -> int:
    return (await api.get("/v1/events")).json()["total"]


async def test_usage_is_stored_and_billed(api: Api, worker, clock: FrozenClock) -> None:
    w = await world(api, clock)
    corp = w["corp"]["id"]
    r = await api.post(URL, usage(corp, "u1", 400, timestamp="2026-01-10T08:00:00Z", properties={"campaign": "x"}))
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert data == {"id": data["id"], "customerId": corp, "pricingCode": "sms-notifications", "quantity": 400,
                    "idempotencyKey": "u1", "timestamp": "2026-01-10T08:00:00.000Z"}
    r = await api.post(URL, usage("corp", "u2", "2.5"))  # external id; decimal string; timestamp = now
    assert r.status_code == 201, r.text
    assert r.json()["data"]["quantity"] == 2.5 and r.json()["data"]["customerId"] == corp
    assert r.json()["data"]["timestamp"] == "2026-01-20T12:00:00.000Z"
    assert (await api.post(URL, usage(corp, "u3", 0.5))).status_code == 201
    for i in range(3):
        assert (await api.post(URL, usage(corp, f"t{i}", 1, pricing="support-tickets"))).status_code == 201

    events = (await api.get("/v1/events")).json()["events"]
    stored = {e["idempotencyKey"]: e for e in events}
    assert stored["u1"]["eventName"] == "sms_sent" and stored["u1"]["properties"] == {"campaign": "x", "quantity": 400}
    assert stored["u2"]["properties"] == {"quantity": "2.5"}
    assert stored["t0"]["eventName"] == "ticket" and stored["t0"]["properties"] == {}

    assert await worker.drain() == 6
    feb = (await s.invoices(api, w["contract"]["id"]))[1]
    # 400 + 2.5 + 0.5 = 403 SMS x 0.045 = 18.135 -> 18.14; 3 tickets x 2.00 = 6.00; fee 100.00.
    assert s.lines(feb) == [("Platform Fee", 1, 10000), ("SMS Notifications", 403, 1814), ("Support Tickets", 3, 600)]
    assert feb["totalCents"] == 12414


async def test_duplicate_key_is_a_conflict(api: Api, worker, clock: FrozenClock) -> None:
    w = await world(api, clock)
    corp = w["corp"]["id"]
    assert (await api.post(URL, usage(corp, "dup", 10))).status_code == 201
    err = assert_error(await api.post(URL, usage(corp, "dup", 99)), 409, "CONFLICT")
    assert "dup" in err["message"]
    # A key first used by the Events API is taken as well.
    await s.send(api, [{"eventName": "sms_sent", "customerId": corp, "idempotencyKey": "ev-1",
                        "properties": {"quantity": 1}}])
    assert_error(await api.post(URL, usage(corp, "ev-1", 5)), 409, "CONFLICT")
    assert await event_count(api) == 2
    await worker.drain()
    assert s.lines((await s.invoices(api, w["contract"]["id"]))[1])[1] == ("SMS Notifications", 11, 50)


async def test_unprocessable_usage(api: Api, clock: FrozenClock) -> None:
    w = await world(api, clock)
    corp = w["corp"]["id"]
    other_org = await api.new_key(["*"], org="other")
    cases = [
        (usage("nobody", "k1"), "customer 'nobody' not found"),
        (usage(corp, "k2", pricing="no-such-code"), "pricing 'no-such-code' not found"),
        (usage(corp, "k3", pricing="platform-fee"), "is FLAT, not usage-based"),
        (usage(corp, "k4", 3, pricing="support-tickets"), "quantity must be 1"),
        (usage(corp, "k5", pricing="anything"), "no event name"),
        (usage(corp, "k6", pricing="gated"), "would not accept this usage: PROPERTY_FILTER_FAILED:region"),
    ]
    for body, message in cases:
        err = assert_error(await api.post(URL, body), 422, "UNPROCESSABLE_ENTITY")
        assert message in err["message"], err
    assert (await api.post(URL, usage(corp, "k6", pricing="gated", properties={"region": "US"}))).status_code == 201
    # Another organization sees neither the customer nor the pricing code.
    assert_error(await api.post(URL, usage(corp, "k7"), key=other_org), 422, "UNPROCESSABLE_ENTITY")
    assert await event_count(api) == 1


MALFORMED = [
    {},
    {"pricingCode": "sms-notifications", "quantity": 1, "idempotencyKey": "k"},
    {"customerId": "corp", "quantity": 1, "idempotencyKey": "k"},
    {"customerId": "corp", "pricingCode": "sms-notifications", "idempotencyKey": "k"},
    {"customerId": "corp", "pricingCode": "sms-notifications", "quantity": 1},
    usage("corp", "k", 0),
    usage("corp", "k", -5),
    usage("corp", "k", "0"),
    usage("corp", "k", "-1"),
    usage("corp", "k", "1e3"),
    usage("corp", "k", "abc"),
    usage("corp", "k", ""),
    usage("corp", "k", True),
    usage("corp", "k", None),
    usage("corp", "k", [1]),
    usage("corp", "", 1),
    usage("corp", "k", 1, timestamp="2026-01-20T14:00:01Z"),
    usage("corp", "k", 1, timestamp="soon"),
    usage("corp", "k", 1, properties={"nested": {"a": 1}}),
    usage("corp", "k", 1, properties={"quantity": 5}),
    usage("corp", "k", 1, extra="x"),
    [1, 2],
    "not an object",
]


async def test_malformed_bodies(api: Api, clock: FrozenClock) -> None:
    await world(api, clock)
    for body in MALFORMED:
        assert_error(await api.post(URL, body), 400, "VALIDATION_ERROR")
    assert await event_count(api) == 0


async def test_auth_and_scope(api: Api, clock: FrozenClock) -> None:
    w = await world(api, clock)
    body = usage(w["corp"]["id"], "k", 1, timestamp="2026-01-20T13:00:00Z")  # exactly 1 hour ahead is allowed
    assert_error(await api.client.post(URL, json=body), 401, "UNAUTHORIZED")
    bad = await api.client.post(URL, json=body, headers={"Authorization": "Bearer mk_live_" + "0" * 48})
    assert_error(bad, 401, "UNAUTHORIZED")
    key = await api.new_key(["usage:read", "pricing:read"])
    err = assert_error(await api.post(URL, body, key=key), 403, "FORBIDDEN")
    assert err["message"] == "API key does not have the required permission: usage:write"
    assert await event_count(api) == 0
    writer = await api.new_key(["usage:write"])
    assert (await api.post(URL, body, key=writer)).status_code == 201
    r = await api.client.post(URL, content=b"{", headers={**api._h(None), "Content-Type": "application/json"})
    assert_error(r, 400, "VALIDATION_ERROR")

"""Price estimates (reference §7.4) and the cost of stored usage (§12.4, concepts §21) end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from monk.costing.pricing import split_credits, to_credits
from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s
from tests.e2e.test_ratecards import CARD

D = Decimal


async def _meter(api: Api, code: str, name: str, event: str, aggregation: str = "COUNT",
                 key: str | None = None, **extra: Any) -> dict[str, Any]:
    body = {"code": code, "displayName": name, "aggregationType": aggregation,
            "eventTypeFilter": {"include": [event]}, **extra}
    if key:
        body["aggregationKey"] = key
    return await s.created(await api.post("/v1/meters", body))


async def catalog(api: Api) -> dict[str, dict[str, Any]]:
    """Org-level list pricing: input tokens $0.00002, output tokens $0.00006, AI calls by rate card
    (no pricing), pings $0.01 (the older of two pricings), and meters that price nothing."""
    inp = await _meter(api, "INPUT_TOKENS", "Input Tokens", "llm_call", "SUM", "input_tokens")
    out = await _meter(api, "OUTPUT_TOKENS", "Output Tokens", "llm_call", "SUM", "output_tokens")
    ai = await _meter(api, "AI_CALL", "AI Calls", "ai_call", groupKeys=["region", "call_outcome"])
    ping = await _meter(api, "PING", "Pings", "ping")
    unpriced = await _meter(api, "UNPRICED", "Unpriced", "llm_call")
    archived = await _meter(api, "GONE", "Gone", "llm_call")
    tiered = await _meter(api, "TIERED", "Tiered", "llm_call")
    await s.usage_price(api, "Input", inp["id"], "0.00002")
    await s.usage_price(api, "Output", out["id"], "0.00006")
    assert (await api.put(f"/v1/meters/{ai['id']}/rate-card", CARD)).status_code == 200
    await s.usage_price(api, "Ping", ping["id"], "0.01")
    await s.usage_price(api, "Ping (newer)", ping["id"], "0.50")
    await s.usage_price(api, "Gone", archived["id"], "1.00")
    assert (await api.delete(f"/v1/meters/{archived['id']}")).status_code == 200
    await s.created(await api.post("/v1/pricing", {
        "productName": "T", "name": "Tiered", "model": "TIER", "billingMode": "RECURRING", "meterId": tiered["id"],
        "tiering": "VOLUME", "pricingTiers": [{"minQty": "0", "unitAmount": "1.00"}]}))
    return {"input": inp, "output": out, "ai": ai, "ping": ping, "unpriced": unpriced}


ESTIMATE_EVENTS = [
    {"eventName": "llm_call", "idempotencyKey": "run_1", "properties": {"input_tokens": 2000, "output_tokens": 500}},
    {"eventName": "llm_call", "properties": {"input_tokens": "1500", "output_tokens": 800}, "customerId": "ignored"},
    {"eventName": "ai_call", "idempotencyKey": "c1", "properties": {"region": "US", "call_outcome": "resolved"}},
    {"eventName": "ai_call", "properties": {"region": "LATAM", "call_outcome": "resolved"}},
    {"eventName": "page_view", "idempotencyKey": "pv"},
    {"eventName": "llm_call", "properties": {"input_tokens": "abc"}},
]


async def test_estimate_prices_each_event_with_list_rates(api: Api, clock: FrozenClock) -> None:
    await catalog(api)
    r = await api.post("/v1/pricing/estimate", {"events": ESTIMATE_EVENTS})
    assert r.status_code == 200, r.text
    # run_1: 2000 x 0.00002 + 500 x 0.00006 = 0.04 + 0.03; #2: 0.03 + 0.048; US/resolved 2.00; LATAM fallback 4.00.
    assert r.json() == {
        "events": [{"idempotencyKey": "run_1", "totalAmount": 0.07}, {"totalAmount": 0.078},
                   {"idempotencyKey": "c1", "totalAmount": 2}, {"totalAmount": 4},
                   {"idempotencyKey": "pv", "totalAmount": 0}, {"totalAmount": 0}],
        "meters": [
            {"meterName": "INPUT_TOKENS", "meterDisplayName": "Input Tokens", "totalQuantity": 3500,
             "totalAmount": 0.07},
            {"meterName": "OUTPUT_TOKENS", "meterDisplayName": "Output Tokens", "totalQuantity": 1300,
             "totalAmount": 0.078},
            {"meterName": "AI_CALL", "meterDisplayName": "AI Calls", "totalQuantity": 2, "totalAmount": 6},
        ],
        "totalAmount": 6.148,
        "currency": "USD",
        "unit": "currency",
        "estimatedAt": "2026-01-15T12:00:00.000Z",
    }
    # Nothing was stored.
    assert (await api.get("/v1/events")).json()["total"] == 0


async def test_estimate_sub_cent_and_decimal_values_are_exact(api: Api) -> None:
    await catalog(api)
    events = [{"eventName": "llm_call", "properties": {"input_tokens": "0.5", "output_tokens": 1}},
              {"eventName": "llm_call", "properties": {"input_tokens": 1.5, "output_tokens": 0}}]
    body = (await api.post("/v1/pricing/estimate", {"events": events})).json()
    # 0.5 x 0.00002 + 1 x 0.00006 = 0.00007; 1.5 x 0.00002 = 0.00003
    assert [e["totalAmount"] for e in body["events"]] == [0.00007, 0.00003]
    assert body["totalAmount"] == 0.0001
    assert [m["totalQuantity"] for m in body["meters"]] == [2, 1]


async def test_estimate_in_credits(api: Api) -> None:
    await catalog(api)
    pings = [{"eventName": "ping", "idempotencyKey": f"p{i}"} for i in range(3)]
    body = (await api.post("/v1/pricing/estimate", {"events": pings, "creditRateCents": 3})).json()
    # Three $0.01 pings at 3 cents per credit: 1 credit, split 0.333334 / 0.333333 / 0.333333.
    assert body["unit"] == "credits" and body["creditRateCents"] == 3 and "currency" not in body
    assert [e["totalAmount"] for e in body["events"]] == [0.333334, 0.333333, 0.333333]
    assert body["meters"] == [{"meterName": "PING", "meterDisplayName": "Pings", "totalQuantity": 3, "totalAmount": 1}]
    assert body["totalAmount"] == 1
    one = {"eventName": "ai_call", "properties": {"region": "US", "call_outcome": "resolved"}}
    body = (await api.post("/v1/pricing/estimate", {"events": [one], "creditRateCents": 750})).json()
    assert body["totalAmount"] == 0.266667 and body["events"] == [{"totalAmount": 0.266667}]


def test_credit_split_adds_up_exactly() -> None:
    parts = [D("0.01"), D("0.01"), D("0.01"), D("0.00001"), D("12.345678")]
    for rate in (1, 3, 7, 750, 999_999):
        split, grand = split_credits(parts, rate)
        assert sum(split) == grand == to_credits(sum(parts), rate)
        assert all(abs(a - b * 100 / rate) < D("0.000001") for a, b in zip(split, parts, strict=True))
    assert to_credits(D("7.50"), 750) == D("1.000000")


BAD_ESTIMATES = [
    {},
    {"events": []},
    {"events": [{"eventName": "x"}] * 501},
    {"events": [{}]},
    {"events": [{"eventName": ""}]},
    {"events": [{"eventName": 5}]},
    {"events": [{"eventName": "x", "properties": {"a": {"nested": 1}}}]},
    {"events": [{"eventName": "x", "properties": [1]}]},
    {"events": [{"eventName": "x", "unknown": 1}]},
    {"events": [{"eventName": "x"}], "creditRateCents": 0},
    {"events": [{"eventName": "x"}], "creditRateCents": "750"},
    {"events": [{"eventName": "x"}], "creditRateCents": 7.5},
    {"events": [{"eventName": "x"}], "extra": True},
    {"events": "x"},
]


async def test_estimate_rejects_bad_bodies_and_checks_scope(api: Api) -> None:
    await catalog(api)
    for body in BAD_ESTIMATES:
        assert_error(await api.post("/v1/pricing/estimate", body), 400, "VALIDATION_ERROR")
    ok = await api.post("/v1/pricing/estimate", {"events": [{"eventName": "ping"}] * 500})
    assert ok.status_code == 200 and ok.json()["totalAmount"] == 5
    key = await api.new_key(["usage:read", "pricing:write"])
    err = assert_error(await api.post("/v1/pricing/estimate", {"events": [{"eventName": "ping"}]}, key=key), 403)
    assert err["message"] == "API key does not have the required permission: pricing:read"
    assert_error(await api.client.post("/v1/pricing/estimate", json={"events": [{"eventName": "ping"}]}), 401)
    reader = await api.new_key(["pricing:read"])
    assert (await api.post("/v1/pricing/estimate", {"events": [{"eventName": "ping"}]}, key=reader)).status_code == 200
    # Another organization has no list pricing: nothing is priced.
    other = await api.new_key(["*"], org="other")
    body = (await api.post("/v1/pricing/estimate", {"events": [{"eventName": "ping"}]}, key=other)).json()
    assert body["totalAmount"] == 0 and body["meters"] == []


# --- usage cost -------------------------------------------------------------------------------------

async def billed_world(api: Api, worker, clock: FrozenClock) -> dict[str, Any]:
    """SMS (SUM quantity, list $0.045, contract override $0.04) and AI calls (rate card) on one plan;
    acme's contract runs Jan–Mar 2026. Jan: 300 SMS (tenant a) + 100 SMS (b), 3 US/resolved calls (a),
    1 EU/escalated call (b); Feb: 40 SMS (a). Bob (no contract) sends 1,000 SMS."""
    clock.set(datetime(2025, 12, 20, tzinfo=UTC))
    sms = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    ai = await s.meter(api, "AI_CALL", "ai_call", groupKeys=["region", "call_outcome"])
    assert (await api.put(f"/v1/meters/{ai['id']}/rate-card", CARD)).status_code == 200
    p_sms = await s.usage_price(api, "SMS", sms["id"], "0.045")
    p_ai = await s.usage_price(api, "AI Calls", ai["id"], "5.00")
    plan = await s.plan(api, "std", [p_sms["id"], p_ai["id"]])
    acme = await s.customer(api, "Acme", "acme")
    bob = await s.customer(api, "Bob", "bob")
    c = await s.contract(api, acme["id"], plan["id"], "2026-01-01", "2026-04-01",
                         overrides=[{"basePricingId": p_sms["id"], "unitAmount": "0.04"}])

    def sms_ev(key: str, ts: str, qty: int, tenant: str, who: str = "acme") -> dict[str, Any]:
        return {"eventName": "sms_sent", "externalCustomerId": who, "idempotencyKey": key, "timestamp": ts,
                "properties": {"quantity": qty, "tenant": tenant}}

    def call(key: str, ts: str, region: str, outcome: str, tenant: str) -> dict[str, Any]:
        return {"eventName": "ai_call", "externalCustomerId": "acme", "idempotencyKey": key, "timestamp": ts,
                "properties": {"region": region, "call_outcome": outcome, "tenant": tenant}}

    clock.set(datetime(2026, 2, 20, tzinfo=UTC))
    await s.send(api, [
        sms_ev("s1", "2026-01-05T10:00:00Z", 300, "a"), sms_ev("s2", "2026-01-20T10:00:00Z", 100, "b"),
        call("c1", "2026-01-10T00:00:00Z", "US", "resolved", "a"),
        call("c2", "2026-01-10T00:00:01Z", "US", "resolved", "a"),
        call("c3", "2026-01-10T00:00:02Z", "US", "resolved", "a"),
        call("c4", "2026-01-11T00:00:00Z", "EU", "escalated", "b"),
        sms_ev("s3", "2026-02-03T00:00:00Z", 40, "a"), sms_ev("b1", "2026-01-05T00:00:00Z", 1000, "a", who="bob"),
    ])
    await worker.drain()
    return {"acme": acme, "bob": bob, "contract": c}


async def cost(api: Api, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    r = await api.post("/v1/usage/cost", body, **kw)
    assert r.status_code == 200, r.text
    return r.json()


async def test_cost_of_a_contract_equals_its_invoices(api: Api, worker, clock: FrozenClock) -> None:
    w = await billed_world(api, worker, clock)
    cid = w["contract"]["id"]
    body = await cost(api, {"contractId": cid})
    # Jan: 400 SMS x 0.04 (override) = 16.00, calls 3 x 2.00 + 1 x 7.50 = 13.50; Feb: 40 x 0.04 = 1.60.
    assert body == {"totalAmount": 31.1, "currency": "USD", "unit": "currency",
                    "startDate": "2026-01-01T00:00:00.000Z", "endDate": "2026-04-01T00:00:00.000Z",
                    "queriedAt": "2026-02-20T00:00:00.000Z"}
    metered = sum(li["totalAmountCents"] for inv in await s.invoices(api, cid) for li in inv["lineItems"]
                  if li["isMetered"])
    assert metered == 3110
    assert (await cost(api, {"contractId": cid, "customerId": w["acme"]["id"],
                             "externalCustomerId": "acme"}))["totalAmount"] == 31.1
    feb = {"contractId": cid, "startDate": "2026-02-01T00:00:00Z", "endDate": "2026-03-01"}
    assert (await cost(api, feb))["totalAmount"] == 1.6
    assert (await cost(api, {"contractId": cid, "eventNames": ["ai_call"]}))["totalAmount"] == 13.5
    assert (await cost(api, {"contractId": cid, "eventNames": ["nothing"]}))["totalAmount"] == 0
    # Tenant a: 300 x 0.04 + 3 x 2.00 + 40 x 0.04 = 19.60
    tenant_a = {"contractId": cid, "propertyFilters": [{"key": "tenant", "value": "a"}]}
    assert (await cost(api, tenant_a))["totalAmount"] == 19.6
    body = await cost(api, {"contractId": cid, "creditRateCents": 750})
    assert body["unit"] == "credits" and body["creditRateCents"] == 750 and "currency" not in body
    assert body["totalAmount"] == 4.146667  # 3110 / 750


async def test_cost_without_contract_uses_list_rates(api: Api, worker, clock: FrozenClock) -> None:
    w = await billed_world(api, worker, clock)
    window = {"startDate": "2026-01-01T00:00:00Z", "endDate": "2026-04-01T00:00:00Z"}
    # 440 SMS x 0.045 = 19.80; calls by the rate card: 3 x 2.00 + 7.50 = 13.50.
    body = await cost(api, {**window, "customerId": w["acme"]["id"]})
    assert body["totalAmount"] == 33.3 and body["startDate"] == "2026-01-01T00:00:00.000Z"
    assert (await cost(api, {**window, "externalCustomerId": "acme"}))["totalAmount"] == 33.3
    jan = {"startDate": "2026-01-01", "endDate": "2026-02-01", "externalCustomerId": "acme"}
    assert (await cost(api, jan))["totalAmount"] == 31.5
    assert (await cost(api, {**jan, "propertyFilters": [{"key": "tenant", "value": "b"}]}))["totalAmount"] == 12
    sms_only = {**window, "customerId": w["acme"]["id"], "eventNames": ["sms_sent"]}
    assert (await cost(api, sms_only))["totalAmount"] == 19.8
    assert (await cost(api, {**window, "externalCustomerId": "bob"}))["totalAmount"] == 45
    # Events count as soon as they are stored (no worker needed without a contract).
    await s.send(api, [{"eventName": "sms_sent", "externalCustomerId": "bob", "idempotencyKey": "b2",
                        "timestamp": "2026-02-10T00:00:00Z", "properties": {"quantity": 1}}])
    assert (await cost(api, {**window, "externalCustomerId": "bob"}))["totalAmount"] == 45.045
    body = await cost(api, {**window, "externalCustomerId": "bob", "creditRateCents": 1})
    assert body["totalAmount"] == 4504.5 and body["unit"] == "credits"


async def test_rolling_contract_defaults_to_now(api: Api, worker, clock: FrozenClock) -> None:
    w = await billed_world(api, worker, clock)
    r = await api.get("/v1/plans")
    plan_id = r.json()["data"][0]["id"]
    roll = await s.contract(api, w["bob"]["id"], plan_id, "2026-01-01")
    await s.send(api, [{"eventName": "sms_sent", "externalCustomerId": "bob", "idempotencyKey": "b1",
                        "timestamp": "2026-01-05T00:00:00Z", "properties": {"quantity": 1000}}])
    await worker.drain()
    body = await cost(api, {"contractId": roll["id"]})
    assert body["totalAmount"] == 45 and body["endDate"] == "2026-02-20T00:00:00.000Z"
    assert body["startDate"] == "2026-01-01T00:00:00.000Z"
    later = await s.customer(api, "Later", "later")
    future = await s.contract(api, later["id"], plan_id, "2026-06-01")
    body = await cost(api, {"contractId": future["id"]})
    assert body["totalAmount"] == 0 and body["startDate"] == body["endDate"] == "2026-06-01T00:00:00.000Z"
    assert_error(await api.post("/v1/usage/cost", {"contractId": future["id"], "startDate": "2026-06-01"}), 400)


async def test_cost_rejects_bad_requests(api: Api, worker, clock: FrozenClock) -> None:
    w = await billed_world(api, worker, clock)
    cid, acme, bob = w["contract"]["id"], w["acme"]["id"], w["bob"]["id"]
    win = {"startDate": "2026-01-01T00:00:00Z", "endDate": "2026-02-01T00:00:00Z"}
    bad = [
        {},
        win,
        {"customerId": acme},
        {"customerId": acme, "startDate": win["startDate"]},
        {**win, "customerId": acme, "endDate": "2026-01-01T00:00:00Z"},
        {"contractId": cid, "startDate": "2026-03-01", "endDate": "2026-02-01"},
        {"contractId": cid, "customerId": bob},
        {"contractId": cid, "externalCustomerId": "bob"},
        {**win, "customerId": acme, "externalCustomerId": "bob"},
        {**win, "customerId": acme, "eventNames": [f"e{i}" for i in range(51)]},
        {**win, "customerId": acme, "eventNames": "sms_sent"},
        {**win, "customerId": acme, "propertyFilters": [{"key": f"k{i}", "value": "v"} for i in range(21)]},
        {**win, "customerId": acme, "propertyFilters": [{"key": "k"}]},
        {**win, "customerId": acme, "propertyFilters": [{"key": "k", "value": {"x": 1}}]},
        {**win, "customerId": acme, "creditRateCents": 0},
        {**win, "customerId": acme, "creditRateCents": "750"},
        {**win, "customerId": acme, "creditRateCents": 7.5},
        {**win, "customerId": acme, "startDate": "yesterday"},
        {**win, "customerId": acme, "extra": 1},
    ]
    for body in bad:
        assert_error(await api.post("/v1/usage/cost", body), 400, "VALIDATION_ERROR")
    for body in ({"contractId": "nope"}, {**win, "customerId": "nope"}, {**win, "externalCustomerId": "nope"}):
        assert_error(await api.post("/v1/usage/cost", body), 404, "NOT_FOUND")
    for key in (await api.new_key(["*"], org="other"), await api.new_key(["*"], mode="test")):
        assert_error(await api.post("/v1/usage/cost", {"contractId": cid}, key=key), 404, "NOT_FOUND")
        assert_error(await api.post("/v1/usage/cost", {**win, "customerId": acme}, key=key), 404, "NOT_FOUND")
    ok = {**win, "customerId": acme, "eventNames": [f"e{i}" for i in range(50)],
          "propertyFilters": [{"key": f"k{i}", "value": i} for i in range(20)]}
    assert (await cost(api, ok))["totalAmount"] == 0


@pytest.mark.parametrize("scopes", [["usage:write", "pricing:read"], ["contracts:read", "invoices:read"]])
async def test_cost_needs_usage_read(api: Api, scopes: list[str]) -> None:
    key = await api.new_key(scopes)
    body = {"customerId": "x", "startDate": "2026-01-01", "endDate": "2026-02-01"}
    err = assert_error(await api.post("/v1/usage/cost", body, key=key), 403, "FORBIDDEN")
    assert err["message"] == "API key does not have the required permission: usage:read"
    assert_error(await api.client.post("/v1/usage/cost", json=body), 401, "UNAUTHORIZED")
    reader = await api.new_key(["usage:read"])
    assert_error(await api.post("/v1/usage/cost", body, key=reader), 404)


async def test_contract_cost_follows_plan_changes(api: Api, worker, clock: FrozenClock) -> None:
    clock.set(datetime(2025, 12, 20, tzinfo=UTC))
    sms = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    std = await s.plan(api, "std", [(await s.usage_price(api, "SMS", sms["id"], "0.045"))["id"]])
    cheap = await s.plan(api, "cheap", [(await s.usage_price(api, "SMS (cheap)", sms["id"], "0.03"))["id"]])
    cust = await s.customer(api, "Acme", "acme")
    c = await s.contract(api, cust["id"], std["id"], "2026-01-01", "2026-04-01")
    clock.set(datetime(2026, 1, 15, tzinfo=UTC))
    r = await api.post(f"/v1/contracts/{c['id']}/change-plan", {"planId": cheap["id"], "changeOption": "immediate"})
    assert r.status_code == 200, r.text
    clock.set(datetime(2026, 1, 25, tzinfo=UTC))
    await s.send(api, [{"eventName": "sms_sent", "externalCustomerId": "acme", "idempotencyKey": k, "timestamp": ts,
                        "properties": {"quantity": 100}}
                       for k, ts in (("a", "2026-01-10T00:00:00Z"), ("b", "2026-01-20T00:00:00Z"))])
    await worker.drain()
    # 100 before the change at 0.045 + 100 after it at 0.03 = 4.50 + 3.00, as the February invoice bills.
    assert (await cost(api, {"contractId": c["id"]}))["totalAmount"] == 7.5
    feb = [i for i in await s.invoices(api, c["id"]) if i["invoiceDate"] == "2026-02-01"][0]
    assert sum(li["totalAmountCents"] for li in feb["lineItems"] if li["isMetered"]) == 750
    window = {"contractId": c["id"], "startDate": "2026-01-15T00:00:00Z", "endDate": "2026-02-01T00:00:00Z"}
    assert (await cost(api, window))["totalAmount"] == 3

"""Every input is bounded (README "Limits"): dates, instants, offsets, string lengths, nesting and lone
surrogates outside their documented ranges are a 400 in the error envelope, and nothing is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.conftest import Api, assert_error
from tests.e2e import scenario as s

DEEP = 100_000
LONG = "x" * 256


@dataclass(frozen=True)
class Case:
    """One bad request: ``body`` is JSON (placeholders ``{customer}``, ``{plan}``) or raw bytes."""

    name: str
    path: str
    body: Any = None
    params: dict[str, str] = field(default_factory=dict)
    method: str = "POST"
    raw: bytes | None = None


def _event(**extra: Any) -> dict[str, Any]:
    return {"eventName": "sms_sent", "externalCustomerId": "corp", "properties": {"quantity": 5}, **extra}


def _batch(**extra: Any) -> dict[str, Any]:
    return {"events": [_event(idempotencyKey="ok"), _event(**extra)]}


def _contract(**extra: Any) -> dict[str, Any]:
    return {"customerId": "{customer}", "planId": "{plan}", "startDate": "2026-01-01", **extra}


def _legacy(**extra: Any) -> dict[str, Any]:
    return {"customerId": "{customer}", "pricingCode": "sms", "quantity": 1, "idempotencyKey": "u1", **extra}


def _nested(depth: int) -> dict[str, Any]:
    inner: Any = 1
    for _ in range(depth):
        inner = {"a": inner}
    return inner


EARLY = "0001-01-01T00:00:00+01:00"
LATE = "9999-12-31T23:59:59-01:00"
LISTS = ["/v1/customers", "/v1/contracts", "/v1/invoices", "/v1/meters", "/v1/pricing", "/v1/plans", "/v1/events"]
SURROGATE_EVENT = b'{"eventName": "\\ud800", "externalCustomerId": "corp"}'

CASES = [
    Case("contract-start-year-127", "/v1/contracts", _contract(startDate="0127-05-05")),
    Case("contract-start-1800", "/v1/contracts", _contract(startDate="1800-01-01")),
    Case("contract-start-9999", "/v1/contracts", _contract(startDate="9999-06-01")),
    Case("contract-start-far-future", "/v1/contracts", _contract(startDate="2040-01-01")),
    Case("contract-end-9999", "/v1/contracts", _contract(endDate="9999-06-01")),
    Case("contract-anchor-9999", "/v1/contracts", _contract(billingCycleAnchor="9999-06-01")),
    Case("contract-plan-id-long", "/v1/contracts", _contract(planId=LONG)),
    Case("contract-credit-settings-deep", "/v1/contracts", _contract(creditSettings=_nested(20))),
    Case("contract-name-surrogate", "/v1/contracts", raw=b'{"customerId": "{customer}", "planId": "{plan}", '
         b'"startDate": "2026-01-01", "name": "\\udc00"}'),
    *[Case(f"{where}-timestamp-{label}", path, make(timestamp=ts))
      for where, path, make in (("event", "/v1/events", _event), ("batch", "/v1/events/batch", _batch),
                                ("legacy", "/api/v1/usages", _legacy))
      for label, ts in (("year-1", EARLY), ("year-9999", LATE), ("1999", "1999-12-31T23:59:59Z"),
                        ("object", {}), ("array", []))],
    Case("usage-cost-start-year-1", "/v1/usage/cost", {"customerId": "{customer}", "startDate": EARLY}),
    Case("usage-cost-end-year-9999", "/v1/usage/cost", {"customerId": "{customer}", "endDate": LATE}),
    Case("events-list-start-year-1", "/v1/events", method="GET", params={"start": EARLY}),
    Case("events-list-end-year-9999", "/v1/events", method="GET", params={"end": LATE}),
    Case("invoices-created-after-year-1", "/v1/invoices", method="GET", params={"createdAfter": "0001-01-01"}),
    *[Case(f"offset-{p}", p, method="GET", params={"offset": "9223372036854775808"}) for p in LISTS],
    *[Case(f"offset-huge-{p}", p, method="GET", params={"offset": "1000000001"}) for p in LISTS],
    *[Case(f"brackets-{p}", p, raw=b"[" * DEEP + b"]" * DEEP)
      for p in ("/v1/events", "/v1/events/batch", "/v1/customers", "/api/v1/usages")],
    Case("event-deep-properties", "/v1/events", raw=b'{"eventName": "x", "externalCustomerId": "corp", '
         b'"properties": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}"),
    Case("event-nested-properties", "/v1/events", _event(properties=_nested(9))),
    Case("event-name-surrogate", "/v1/events", raw=SURROGATE_EVENT),
    Case("batch-name-surrogate", "/v1/events/batch", raw=b'{"events": [' + SURROGATE_EVENT + b"]}"),
    Case("event-property-key-surrogate", "/v1/events",
         raw=b'{"eventName": "x", "externalCustomerId": "corp", "properties": {"\\ud800": 1}}'),
    Case("event-raw-surrogate", "/v1/events", raw=b'{"eventName": "\xed\xa0\x80", "externalCustomerId": "c"}'),
    Case("customer-name-surrogate", "/v1/customers",
         raw=b'{"name": "\\ud800", "contacts": [{"email": "a@b.example", "roles": ["x"]}]}'),
    Case("customer-tag-long", "/v1/customers",
         {"name": "n", "tags": ["t" * 256], "contacts": [{"email": "a@b.example", "roles": ["x"]}]}),
    Case("customer-role-long", "/v1/customers",
         {"name": "n", "contacts": [{"email": "a@b.example", "roles": ["r" * 256]}]}),
    Case("meter-filter-value-long", "/v1/meters",
         {"code": "M", "displayName": "M", "aggregationType": "COUNT",
          "propertyFilters": [{"name": "region", "include": [LONG]}]}),
    Case("plan-pricing-id-long", "/v1/plans",
         {"name": "P", "planCode": "p2", "billingFrequency": "MONTHLY", "pricingIds": [LONG]}),
]


async def _world(api: Api) -> dict[str, str]:
    meter = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    price = await s.usage_price(api, "SMS", meter["id"], "0.045", code="sms")
    plan = await s.plan(api, "sms", [price["id"]])
    customer = await s.customer(api, "Corp", "corp")
    return {"customer": customer["id"], "plan": plan["id"]}


async def _counts(api: Api) -> dict[str, int]:
    out = {}
    for path in LISTS:
        r = await api.get(path)
        assert r.status_code == 200, r.text
        out[path] = r.json()["total"]
    return out


def _fill(value: bytes, ids: dict[str, str]) -> bytes:
    for k, v in ids.items():
        value = value.replace(b"{" + k.encode() + b"}", v.encode())
    return value


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_out_of_range_input_is_a_400_and_writes_nothing(api: Api, case: Case) -> None:
    ids = await _world(api)
    before = await _counts(api)
    headers = {"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"}
    if case.method == "GET":
        r = await api.client.get(case.path, params=case.params, headers=headers)
    else:
        raw = case.raw if case.raw is not None else json.dumps(case.body).encode()
        r = await api.client.post(case.path, content=_fill(raw, ids), headers=headers)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert await _counts(api) == before


async def test_contract_start_at_most_two_years_back(api: Api) -> None:
    """The clock stands at 2026-01-15: 2024-01-15 is the earliest start; the day before is refused
    with a message that names the limit, and creates nothing."""
    ids = await _world(api)
    too_early = await api.post("/v1/contracts", _filled(_contract(startDate="2024-01-14"), ids))
    err = assert_error(too_early, 400, "VALIDATION_ERROR")
    assert "startDate may be at most 2 years in the past" in err["message"] and "2024-01-15" in err["message"]
    assert (await api.get("/v1/contracts")).json()["total"] == 0
    assert (await api.get("/v1/invoices")).json()["total"] == 0
    ok = await s.created(await api.post("/v1/contracts", _filled(_contract(startDate="2024-01-15"), ids)))
    invoices = await s.invoices(api, ok["id"])
    # Monthly periods from 2024-01-15 through the one holding 2027-01-15 (12 periods ahead): 37.
    assert len(invoices) == 37 and invoices[0]["invoiceDate"] == "2024-01-15"


async def test_contract_term_and_future_start_bounds(api: Api) -> None:
    ids = await _world(api)
    late = assert_error(await api.post("/v1/contracts", _filled(_contract(startDate="2031-01-16"), ids)), 400)
    assert "at most 5 years in the future" in late["message"]
    long = assert_error(await api.post("/v1/contracts", _filled(
        _contract(startDate="2026-01-01", endDate="2036-01-02"), ids)), 400)
    assert "endDate may be at most 10 years after startDate" in long["message"]
    await s.created(await api.post("/v1/contracts", _filled(_contract(startDate="2031-01-15"), ids)))
    c = await s.created(await api.post("/v1/contracts", _filled(
        _contract(startDate="2024-01-15", endDate="2034-01-15"), ids)))
    # 120 monthly periods + the closing usage-only invoice.
    assert (await api.get("/v1/invoices", contractId=c["id"])).json()["total"] == 121


def _filled(body: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    return json.loads(_fill(json.dumps(body).encode(), ids))


async def test_long_property_values_leave_the_event_unmatched_and_block_nothing(api: Api, worker) -> None:
    """Property values are free text, but what the worker stores of them is bounded: an aggregation
    value over 100 characters, group-key values over 1,000 as JSON, and a reason over 255 leave
    the event unmatched with its reason; the other events of the batch are matched."""
    users = await s.meter(api, "USERS", "login", "UNIQUE_COUNT", key="user")
    regions = await s.meter(api, "REGIONS", "login", "COUNT", groupKeys=["region"])
    prices = [await s.usage_price(api, m["code"], m["id"], "1.00") for m in (users, regions)]
    others = [await s.meter(api, f"OTHER_{i}_" + "X" * 40, f"other_{i}", "COUNT") for i in range(6)]
    prices += [await s.usage_price(api, f"Other {i}", m["id"], "1.00") for i, m in enumerate(others)]
    plan = await s.plan(api, "p", [p["id"] for p in prices])
    customer = await s.customer(api, "Corp", "corp")
    await s.contract(api, customer["id"], plan["id"], "2026-01-01")
    base = {"eventName": "login", "externalCustomerId": "corp"}
    await s.send(api, [{**base, "idempotencyKey": "long-user", "properties": {"user": "u" * 101, "region": "eu"}},
                       {**base, "idempotencyKey": "long-region", "properties": {"user": "a", "region": "r" * 1000}},
                       {**base, "idempotencyKey": "ok", "properties": {"user": "b", "region": "eu"}},
                       {**base, "eventName": "nothing", "idempotencyKey": "many-meters"}])
    await worker.drain()
    by_key = {e["idempotencyKey"]: e for e in (await api.get("/v1/events")).json()["events"]}
    assert by_key["ok"]["status"] == "matched"
    assert by_key["long-user"]["status"] == "matched"  # REGIONS counts it; USERS refuses the value
    assert by_key["long-region"]["status"] == "matched"  # USERS counts it; REGIONS refuses the dimensions
    many = by_key["many-meters"]
    assert many["status"] == "unmatched" and len(many["unmatchedReason"]) == 255
    assert many["unmatchedReason"].startswith("NO_MATCHING_METER: USERS: EVENT_NAME_NOT_INCLUDED; REGIONS: ")
    assert many["unmatchedReason"].endswith("…")

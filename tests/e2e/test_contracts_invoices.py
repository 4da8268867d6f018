"""Contracts (reference §9.1–9.3) and invoices (§12.1–12.2, §5.5) end to end."""

from __future__ import annotations

from datetime import UTC, datetime

from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s


async def setup(api: Api, **plan_extra: object) -> tuple[dict, dict, dict]:
    fee = await s.flat_price(api, "Platform Fee", "99.00")
    m = await s.meter(api, "API_CALL", "call_count")
    calls = await s.usage_price(api, "API Calls", m["id"], "0.01")
    p = await s.plan(api, "pro", [fee["id"], calls["id"]], **plan_extra)
    cust = await s.customer(api, "Acme", "acme")
    return p, cust, calls


async def test_contract_create_get_list(api: Api) -> None:
    p, cust, _ = await setup(api, netTerms=30)
    c = await s.contract(api, cust["id"], p["id"], "2026-03-01", "2027-03-01",
                         metadata={"team": "growth", "priority": 1, "isEnterprise": True})
    assert c["name"] == "Pro" and c["isActive"] is True and c["netTerms"] == 30
    assert c["startDate"] == "2026-03-01" and c["endDate"] == "2027-03-01"
    assert c["metadata"] == {"team": "growth", "priority": 1, "isEnterprise": True}
    assert (await api.get(f"/v1/contracts/{c['id']}")).json()["data"] == c
    for params, n in (({"customerId": cust["id"]}, 1), ({"externalCustomerId": "acme"}, 1),
                      ({"externalCustomerId": "nobody"}, 0), ({"planId": p["id"]}, 1),
                      ({"isActive": "true"}, 1), ({"isActive": "false"}, 0)):
        body = (await api.get("/v1/contracts", **params)).json()
        assert body["total"] == n, params
    # Twelve monthly periods and a closing usage-only invoice, each due 30 days after its date.
    invs = await s.invoices(api, c["id"])
    assert len(invs) == 13
    assert invs[0]["invoiceDate"] == "2026-03-01" and invs[0]["dueDate"] == "2026-03-31"
    assert invs[-1]["invoiceDate"] == "2027-03-01" and invs[-1]["totalCents"] == 0
    assert all(i["status"] == "Drafted" and i["invoiceNumber"] is None for i in invs)


async def test_rolling_contract_keeps_a_horizon_of_drafts(api: Api, worker, clock: FrozenClock) -> None:
    p, cust, _ = await setup(api)
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01")
    invs = await s.invoices(api, c["id"])
    # Today is 2026-01-15: drafts reach the period containing 2027-01-15.
    assert invs[0]["invoiceDate"] == "2026-01-01" and invs[-1]["invoiceDate"] == "2027-01-01"
    clock.set(datetime(2026, 6, 2, tzinfo=UTC))
    await worker.drain()
    invs = await s.invoices(api, c["id"])
    assert invs[-1]["invoiceDate"] == "2027-06-01" and len(invs) == 18
    await worker.drain()
    assert len(await s.invoices(api, c["id"])) == 18


async def test_invoice_filters_get_and_upcoming(api: Api, worker, clock: FrozenClock) -> None:
    p, cust, calls = await setup(api)
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01", "2026-04-01")
    other = await s.customer(api, "Other", "other")
    assert (await api.get(f"/v1/customers/{other['id']}/upcoming-invoice")).json() == {"data": None}
    await s.send(api, [{"eventName": "call_count", "customerId": cust["id"], "idempotencyKey": f"e{i}",
                        "timestamp": "2026-01-10T00:00:00Z"} for i in range(5350)])
    await worker.drain()
    up = (await api.get(f"/v1/customers/{cust['id']}/upcoming-invoice")).json()["data"]
    assert up["invoiceDate"] == "2026-02-01" and up["totalCents"] == 9900 + 5350
    usage = up["lineItems"][1]
    assert usage["description"] == "5,350 units × $0.01/unit = $53.50"
    assert usage["unitPriceCents"] == 1 and usage["priceId"] == calls["id"]

    body = (await api.get("/v1/invoices", customerId=cust["id"], limit=2)).json()
    assert body["total"] == 4 and body["hasMore"] is True and "lineItems" not in body["data"][0]
    # Jan 15: January's invoice is issued, February's carries January's open usage period.
    assert (await api.get("/v1/invoices", status="Sent")).json()["total"] == 1
    assert (await api.get("/v1/invoices", status="In Progress")).json()["total"] == 1
    assert (await api.get("/v1/invoices", status="Drafted")).json()["total"] == 2
    assert (await api.get("/v1/invoices", status="Paid")).json()["total"] == 0
    assert (await api.get("/v1/invoices", createdAfter="2026-01-16")).json()["total"] == 0
    assert (await api.get("/v1/invoices", createdBefore="2026-01-16")).json()["total"] == 4
    got = (await api.get(f"/v1/invoices/{up['id']}", include="lineItems")).json()["data"]
    assert got == up
    plain = (await api.get(f"/v1/invoices/{up['id']}")).json()["data"]
    assert "lineItems" not in plain and plain["totalCents"] == 15250 and plain["contractId"] == c["id"]
    assert plain["subtotalCents"] == 15250 and plain["creditsAppliedCents"] == 0


async def test_bad_contract_and_invoice_input(api: Api) -> None:
    p, cust, _ = await setup(api)
    draft = await s.plan(api, "draft", [], status="DRAFT")
    base = {"customerId": cust["id"], "planId": p["id"], "startDate": "2026-01-01"}
    bad = [
        {},
        {**base, "startDate": "2026-13-01"},
        {**base, "endDate": "2026-01-01"},
        {**base, "endDate": "2025-12-01"},
        {**base, "netTerms": -1},
        {**base, "planId": "nope"},
        {**base, "planId": draft["id"]},
        {**base, "overrides": [{"basePricingId": "nope", "unitAmount": "0.1"}]},
        {**base, "overrides": [{"basePricingId": p["pricingIds"][0], "unitAmount": 0.1}]},
        {**base, "metadata": {f"k{i}": i for i in range(11)}},
        {**base, "metadata": {"k" * 41: 1}},
        {**base, "metadata": {"k": "v" * 501}},
        {**base, "metadata": {"k": {"nested": 1}}},
        {**base, "billingCycleAnchor": "2025-12-31"},
        {**base, "surprise": True},
    ]
    for body in bad:
        assert_error(await api.post("/v1/contracts", body), 400, "VALIDATION_ERROR")
    assert_error(await api.post("/v1/contracts", {**base, "customerId": "nope"}), 404, "NOT_FOUND")
    assert (await api.get("/v1/contracts")).json()["total"] == 0
    assert (await api.get("/v1/invoices")).json()["total"] == 0
    assert_error(await api.get("/v1/contracts/nope"), 404, "NOT_FOUND")
    assert_error(await api.get("/v1/invoices/nope"), 404, "NOT_FOUND")
    assert_error(await api.get("/v1/invoices", status="Open"), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/invoices", include="everything"), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/invoices", createdAfter="soon"), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/contracts", isActive="maybe"), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/customers/nope/upcoming-invoice"), 404, "NOT_FOUND")


async def test_contracts_are_tenant_scoped(api: Api) -> None:
    p, cust, _ = await setup(api)
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01")
    inv = (await s.invoices(api, c["id"]))[0]
    for key in (await api.new_key(["*"], org="elsewhere"), await api.new_key(["*"], mode="test")):
        assert_error(await api.get(f"/v1/contracts/{c['id']}", key=key), 404, "NOT_FOUND")
        assert_error(await api.get(f"/v1/invoices/{inv['id']}", key=key), 404, "NOT_FOUND")
        assert (await api.get("/v1/invoices", key=key)).json()["total"] == 0
        r = await api.post("/v1/contracts", {"customerId": cust["id"], "planId": p["id"], "startDate": "2026-01-01"},
                           key=key)
        assert_error(r, 404, "NOT_FOUND")

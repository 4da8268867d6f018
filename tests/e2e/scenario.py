"""Building blocks for end-to-end billing scenarios: create meters, pricing, plans, customers and
contracts through the HTTP API, send events, run the worker, read invoices."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from monk.billing.money import format_dollars
from tests.conftest import Api


async def created(resp: Any) -> dict[str, Any]:
    """The ``data`` of a 201 response (fails loudly otherwise)."""
    assert resp.status_code == 201, resp.text
    return resp.json()["data"]


async def meter(api: Api, code: str, event: str, aggregation: str = "COUNT", key: str | None = None,
                **extra: Any) -> dict[str, Any]:
    body = {"code": code, "displayName": code.title(), "aggregationType": aggregation,
            "eventTypeFilter": {"include": [event]}, **extra}
    if key:
        body["aggregationKey"] = key
    return await created(await api.post("/v1/meters", body))


async def usage_price(api: Api, name: str, meter_id: str, unit: str, **extra: Any) -> dict[str, Any]:
    return await created(await api.post("/v1/pricing", {
        "productName": name, "name": name, "model": "USAGE", "billingMode": "RECURRING",
        "priceInterval": "MONTH", "unitAmount": unit, "meterId": meter_id, **extra}))


async def flat_price(api: Api, name: str, unit: str, interval: str = "MONTH", **extra: Any) -> dict[str, Any]:
    return await created(await api.post("/v1/pricing", {
        "productName": name, "name": name, "model": "FLAT", "billingMode": "RECURRING",
        "priceInterval": interval, "priceIntervalCount": 1, "unitAmount": unit, **extra}))


async def plan(api: Api, code: str, pricing_ids: list[str], frequency: str = "MONTHLY", **extra: Any) -> dict:
    return await created(await api.post("/v1/plans", {
        "name": code.title(), "planCode": code, "billingFrequency": frequency, "pricingIds": pricing_ids, **extra}))


async def customer(api: Api, name: str, external_id: str) -> dict[str, Any]:
    return await created(await api.post("/v1/customers", {
        "name": name, "externalCustomerId": external_id,
        "contacts": [{"email": f"billing@{external_id}.example", "roles": ["accounts_payable"]}]}))


async def contract(api: Api, customer_id: str, plan_id: str, start: str, end: str | None = None,
                   **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"customerId": customer_id, "planId": plan_id, "startDate": start, **extra}
    if end:
        body["endDate"] = end
    return await created(await api.post("/v1/contracts", body))


async def send(api: Api, events: list[dict[str, Any]]) -> None:
    for i in range(0, len(events), 10_000):
        r = await api.post("/v1/events/batch", {"events": events[i:i + 10_000]})
        assert r.status_code == 202, r.text


async def invoices(api: Api, contract_id: str) -> list[dict[str, Any]]:
    """All invoices of a contract in date order, with line items."""
    r = await api.get("/v1/invoices", contractId=contract_id, include="lineItems", limit=100)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def lines(invoice: dict[str, Any]) -> list[tuple[str, Any, int]]:
    """``(name, quantity, totalAmountCents)`` of each line, for compact assertions."""
    return [(li["name"], li["quantity"], li["totalAmountCents"]) for li in invoice["lineItems"]]


_FORMULA = re.compile(r"(-?[\d,.]+) units? × (-?)\$([\d.]+)/unit = (-?)\$([\d.]+)")


def line_explained(line: dict[str, Any]) -> bool:
    """The invoice invariant: a line's quantity x unit price is its amount (to the cent), or its
    description names the amount (and so explains the difference: a minimum, proration, tiers...);
    and a formula ``"Q units × $U/unit = $X"`` in the description is right (Q x U rounds to X)."""
    cent = Decimal("0.01")
    for q, u_sign, u, x_sign, x in _FORMULA.findall(line["description"] or ""):
        product = (Decimal(q.replace(",", "")) * Decimal(u_sign + u)).quantize(cent, rounding=ROUND_HALF_UP)
        if product != Decimal(x_sign + x):
            return False
    product = (Decimal(str(line["quantity"])) * Decimal(line["unitPrice"])).quantize(cent, rounding=ROUND_HALF_UP)
    amount = Decimal(line["totalAmount"])
    return product == amount or format_dollars(amount) in (line["description"] or "")

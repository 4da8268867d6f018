"""HTTP endpoints: ``POST /v1/pricing/estimate`` (reference §7.4) and ``POST /v1/usage/cost`` (§12.4)."""
# ruff: noqa: B008 - FastAPI dependencies are declared as parameter defaults (project pattern)

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from monk.costing import service
from monk.costing.schemas import Estimate, EstimateIn, UsageCost, UsageCostIn
from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed

router = APIRouter(tags=["usage"])
PricingRead = Annotated[Principal, Depends(require("pricing:read"))]
UsageRead = Annotated[Principal, Depends(require("usage:read"))]


@router.post("/v1/pricing/estimate", **typed(Estimate))
async def estimate_pricing(
    session: deps.Session,
    body: EstimateIn,
    principal: PricingRead,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Estimate the price of 1..500 synthetic events with org-level list pricing; nothing is stored.

    Body ``{"events": [{"eventName", "idempotencyKey"?, "properties"?}], "creditRateCents"?: int >= 1}``.
    Response (no ``data`` wrapper): ``{"events": [{"idempotencyKey"?, "totalAmount"}], "meters":
    [{"meterName", "meterDisplayName", "totalQuantity", "totalAmount"}], "totalAmount", "currency": "USD"
    (unit currency) | "creditRateCents" (unit credits), "unit", "estimatedAt"}``; amounts are JSON numbers
    in dollars, or credits (``dollars * 100 / creditRateCents``, 6 decimals). Each event is priced on its
    own (no tiers, flat amounts or minimums). 400 malformed body (no events, more than 500, nested
    properties, creditRateCents < 1 or not an integer); 400 naming ``events.<i>.properties.<key>`` for a
    value of 10**15 or more in magnitude (a numeric string too) or an event priced at $10**16 or more,
    ``events`` for totals that large (``monk.billing.bounds``).
    """
    return await service.estimate(session, principal, body, now=clock.now())


@router.post("/v1/usage/cost", **typed(UsageCost, 404))
async def usage_cost(
    session: deps.Session,
    body: UsageCostIn,
    principal: UsageRead,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Price stored usage in ``[startDate, endDate)``.

    Body: ``startDate``/``endDate`` (ISO date-time; optional with ``contractId``), one of ``customerId``,
    ``externalCustomerId``, ``contractId``; ``eventNames`` (<= 50), ``propertyFilters`` (<= 20 ``{key,
    value}``), ``creditRateCents`` (int >= 1). With ``contractId`` the contract's pricing, rate cards and
    overrides apply exactly as on its invoices; otherwise org-level list rates. Response (no ``data``
    wrapper): ``{"totalAmount", "currency" | "creditRateCents", "unit", "startDate", "endDate",
    "queriedAt"}``. 400 malformed body, missing ids or dates, ``endDate <= startDate``, a customer that
    does not own the contract, or (naming ``totalAmount``) stored usage holding a value of 10**15 or
    more or costing $10**16 or more (``monk.billing.bounds``); 404 unknown contract or customer.
    """
    return await service.usage_cost(session, principal, body, now=clock.now())

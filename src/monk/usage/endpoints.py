"""HTTP endpoints: ``POST /v1/pricing/estimate`` (reference §7.4), ``POST /v1/usage/cost`` (§12.4) and the
legacy ``POST /api/v1/usages`` (§14)."""
# ruff: noqa: B008 - FastAPI dependencies are declared as parameter defaults (project pattern)

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal, require
from monk.kit.clock import Clock
from monk.kit.deps import get_clock, get_session
from monk.kit.openapi import typed
from monk.kit.schemas import Data, envelope
from monk.usage import service
from monk.usage.schemas import Estimate, EstimateIn, LegacyUsage, LegacyUsageIn, UsageCost, UsageCostIn

router = APIRouter(tags=["usage"])
legacy_router = APIRouter(prefix="/api/v1", tags=["legacy"])


@router.post("/v1/pricing/estimate", **typed(Estimate))
async def estimate_pricing(
    body: EstimateIn,
    who: Principal = Depends(require("pricing:read")),
    session: AsyncSession = Depends(get_session),
    clock: Clock = Depends(get_clock),
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
    return await service.estimate(session, who, body, now=clock.now())


@router.post("/v1/usage/cost", **typed(UsageCost, 404))
async def usage_cost(
    body: UsageCostIn,
    who: Principal = Depends(require("usage:read")),
    session: AsyncSession = Depends(get_session),
    clock: Clock = Depends(get_clock),
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
    return await service.usage_cost(session, who, body, now=clock.now())


@legacy_router.post("/usages", status_code=201, **typed(Data[LegacyUsage], 409, 422))
async def create_usage(
    request: Request,
    body: LegacyUsageIn,
    who: Principal = Depends(require("usage:write")),
    session: AsyncSession = Depends(get_session),
    clock: Clock = Depends(get_clock),
) -> dict[str, Any]:
    """Record usage against a pricing code (legacy) → 201 ``{"data": {"id", "customerId", "pricingCode",
    "quantity", "idempotencyKey", "timestamp"}}``.

    The usage is stored as an event the pricing's meter accepts and bills like any event. 400 malformed
    body (quantity not > 0 or not < 10**15, a numeric property of 10**15 or more in magnitude, timestamp
    more than 1 hour ahead, nested properties, properties setting the
    aggregation key); 409 ``CONFLICT`` idempotency key already stored; 422 ``UNPROCESSABLE_ENTITY``
    unknown customer or pricing code, pricing not USAGE/TIER, or a meter that cannot take the usage
    (see ``service.record_legacy_usage``).
    """
    data = await service.record_legacy_usage(session, who, body, now=clock.now())
    await session.commit()
    worker = request.app.state.worker
    if worker is not None:
        worker.wake()
    return envelope(data)

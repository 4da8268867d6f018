"""HTTP endpoint of the legacy ``POST /api/v1/usages`` (reference §14)."""
# ruff: noqa: B008 - FastAPI dependencies are declared as parameter defaults (project pattern)

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, envelope
from monk.legacy_usage import service
from monk.legacy_usage.schemas import LegacyUsage, LegacyUsageIn

router = APIRouter(prefix="/api/v1", tags=["legacy"])
UsageWrite = Annotated[Principal, Depends(require("usage:write"))]


@router.post("/usages", status_code=201, **typed(Data[LegacyUsage], 409, 422))
async def create_usage(
    session: deps.Session,
    body: LegacyUsageIn,
    principal: UsageWrite,
    clock: deps.Clock,
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
    data = await service.record_legacy_usage(session, principal, body, now=clock.now())
    return envelope(data)

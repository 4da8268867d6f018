"""HTTP endpoints for pricing (reference §7.1–7.3)."""
# ruff: noqa: B008 - FastAPI dependencies are declared as parameter defaults (project pattern)

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, Listing, envelope
from monk.kit.schemas import page as listing
from monk.pricing import repository, service
from monk.pricing.schemas import Pricing, PricingCreate, pricing_out

router = APIRouter(prefix="/v1/pricing", tags=["pricing"])
PricingWrite = Annotated[Principal, Depends(require("pricing:write"))]
PricingRead = Annotated[Principal, Depends(require("pricing:read"))]


@router.post("", status_code=201, **typed(Data[Pricing], 404, 409))
async def create_pricing(
    session: deps.Session,
    body: PricingCreate,
    principal: PricingWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Create a pricing configuration → 201 ``{"data": Pricing}`` (amounts are decimal strings in dollars).

    400: amounts not non-negative decimal strings, $1,000,000,000 or more or with more than 12 decimal
    places; tier bounds (units) of 10**15 or more (``monk.billing.bounds``); neither/both of productId
    and productName; unitAmount missing (FLAT, or untiered USAGE) or given with tiers; tiers missing,
    given without tiering, or not a contiguous ladder from 0; minimumAmount on FLAT; priceInterval
    missing for RECURRING FLAT or given for ONE_TIME; meterId missing for USAGE/TIER, given for FLAT, or
    not a live meter. 404 unknown productId.
    409 explicit ``code`` already used.
    """
    pricing, product_name = await service.create(session, principal, body, clock.now())
    return envelope(pricing_out(pricing, product_name))


@router.get("", **typed(Listing[Pricing]))
async def list_pricing(
    session: deps.Session,
    page: deps.LongPage,
    principal: PricingRead,
    product_id: str | None = Query(None, alias="productId"),
) -> dict[str, Any]:
    """List pricing, oldest first → ``{"data": [...], "hasMore", "total"}`` (limit default 50, max 100).

    ``productId`` filters by product. 400 for a bad limit or offset.
    """
    rows, total = await repository.list_page(session, principal, page, product_id=product_id)
    return listing([pricing_out(p, name) for p, name in rows], total=total, offset=page.offset)


@router.get("/{pricing_id}", **typed(Data[Pricing], 404))
async def get_pricing(
    session: deps.Session,
    pricing_id: str,
    principal: PricingRead,
) -> dict[str, Any]:
    """Get one pricing → ``{"data": Pricing}``; 404 when unknown in this organization and mode."""
    pricing, product_name = await service.get(session, principal, pricing_id)
    return envelope(pricing_out(pricing, product_name))

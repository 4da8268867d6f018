"""HTTP endpoints for dimensional rate cards: ``/v1/meters/{meterId}/rate-card`` (concepts §9)."""
# ruff: noqa: B008 - FastAPI dependencies are declared as parameter defaults (project pattern)

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, Success, envelope
from monk.ratecards import service
from monk.ratecards.schemas import RateCard, RateCardPut, rate_card_out

router = APIRouter(prefix="/v1/meters", tags=["rate cards"])
MetersWrite = Annotated[Principal, Depends(require("meters:write"))]
MetersRead = Annotated[Principal, Depends(require("meters:read"))]


@router.put("/{meter_id}/rate-card", **typed(Data[RateCard], 404, 409))
async def put_rate_card(
    session: deps.Session,
    meter_id: str,
    body: RateCardPut,
    principal: MetersWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Create or replace a meter's rate card → 200 ``{"data": RateCard}``.

    Body ``{"rates": [{"dimensions": {groupKey: value}, "unitAmount": "2.00"}], "fallbackRate": "4.00" | null}``
    (dollars per unit as decimal strings; up to 10,000 entries). RateCard: ``meterId``, ``groupKeys``,
    ``rates``, ``fallbackRate``, ``createdAt``, ``updatedAt``. Open drafts of contracts pricing the meter
    are re-rated in the same transaction.
    400 (nothing stored): malformed body, JSON numbers or negative amounts, the meter has no groupKeys,
    an entry's keys are not exactly the groupKeys, empty or non-string values, a repeated combination.
    404 unknown meter (or another organization's or mode's); 409 archived meter.
    """
    card, meter = await service.put(session, principal, meter_id, body, clock.now())
    return envelope(rate_card_out(card, meter))


@router.get("/{meter_id}/rate-card", **typed(Data[RateCard], 404))
async def get_rate_card(
    session: deps.Session,
    meter_id: str,
    principal: MetersRead,
) -> dict[str, Any]:
    """Get a meter's rate card → ``{"data": RateCard}``; 404 unknown meter or no rate card."""
    card, meter = await service.get(session, principal, meter_id)
    return envelope(rate_card_out(card, meter))


@router.delete("/{meter_id}/rate-card", **typed(Data[Success], 404))
async def delete_rate_card(
    session: deps.Session,
    meter_id: str,
    principal: MetersWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Delete a meter's rate card → ``{"data": {"success": true}}``; open drafts are re-rated at the
    pricing's ``unitAmount``. 404 unknown meter or no rate card."""
    await service.delete(session, principal, meter_id, clock.now())
    return envelope({"success": True})

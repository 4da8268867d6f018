"""HTTP endpoints for meters (reference §6)."""
# ruff: noqa: B008 - FastAPI dependencies are declared as parameter defaults (project pattern)

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, Listing, Success, envelope
from monk.kit.schemas import page as listing
from monk.meters import repository, service
from monk.meters.schemas import Meter, MeterCreate, StatusFilter, meter_out

router = APIRouter(prefix="/v1/meters", tags=["meters"])
MetersWrite = Annotated[Principal, Depends(require("meters:write"))]
MetersRead = Annotated[Principal, Depends(require("meters:read"))]


@router.post("", status_code=201, **typed(Data[Meter], 409))
async def create_meter(
    session: deps.Session,
    body: MeterCreate,
    principal: MetersWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Create a meter → 201 ``{"data": Meter}`` (status ``active``).

    400 invalid body (bad code, unknown aggregation type, property filter without exactly one of
    exists/include/exclude, duplicate groupKeys, missing aggregationKey for SUM/MAX/MIN/UNIQUE_COUNT);
    409 a non-archived meter already has this code.
    """
    meter = await service.create(session, principal, body, clock.now())
    return envelope(meter_out(meter))


@router.get("", **typed(Listing[Meter]))
async def list_meters(
    session: deps.Session,
    page: deps.LongPage,
    principal: MetersRead,
    status: StatusFilter = Query("active", description="active | inactive (archived) | all"),
) -> dict[str, Any]:
    """List meters, oldest first → ``{"data": [...], "hasMore", "total"}`` (limit default 50, max 100).

    ``status`` defaults to ``active``; archived meters appear only with ``inactive`` or ``all``. 400 for a
    bad limit, offset or status.
    """
    rows, total = await repository.list_page(session, principal, page, status=status)
    return listing([meter_out(m) for m in rows], total=total, offset=page.offset)


@router.get("/{meter_id}", **typed(Data[Meter], 404))
async def get_meter(
    session: deps.Session,
    meter_id: str,
    principal: MetersRead,
) -> dict[str, Any]:
    """Get one meter (archived ones too) → ``{"data": Meter}``; 404 when unknown in this organization and mode."""
    return envelope(meter_out(await service.get(session, principal, meter_id)))


@router.delete("/{meter_id}", **typed(Data[Success], 404, 409))
async def archive_meter(
    session: deps.Session,
    meter_id: str,
    principal: MetersWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Archive a meter → ``{"data": {"success": true}}``.

    404 unknown meter; 409 already archived, or a pricing on it is part of a DRAFT or ACTIVE plan.
    """
    await service.archive(session, principal, meter_id, clock.now())
    return envelope({"success": True})

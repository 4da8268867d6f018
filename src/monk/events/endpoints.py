"""The Events API (reference §4): ingestion (single and batch) and the event listing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession

from monk.events import repository, service
from monk.events.schemas import check_batch, check_one, event_out
from monk.kit.auth import Principal, require
from monk.kit.deps import get_session
from monk.kit.errors import ValidationFailed
from monk.kit.ids import request_id
from monk.kit.pagination import Page, paginator
from monk.kit.time import ensure_utc

router = APIRouter(prefix="/v1/events", tags=["events"])


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise ValidationFailed("request body must be valid JSON") from None


def _wake(request: Request) -> None:
    worker = request.app.state.worker
    if worker is not None:
        worker.wake()


@router.post("", status_code=202)
async def create_event(
    request: Request,
    who: Principal = Depends(require("usage:write")),
    session: AsyncSession = Depends(get_session),
) -> JSONResponse:
    """Ingest one event → 202 ``{"status": "accepted", "idempotencyKey", "requestId"}``.

    The event is committed before the 202 is sent. 400 ``VALIDATION_ERROR`` for a bad event
    (nothing stored); a resend with the same ``idempotencyKey`` replaces the earlier version.
    """
    now = request.app.state.clock.now()
    ev = check_one(await _json(request), now)
    keys = await service.ingest(session, who, [ev], now)
    await session.commit()
    _wake(request)
    return JSONResponse({"status": "accepted", "idempotencyKey": keys[0], "requestId": request_id()},
                        status_code=202)


@router.post("/batch", status_code=202)
async def create_events_batch(
    request: Request,
    who: Principal = Depends(require("usage:write")),
    session: AsyncSession = Depends(get_session),
) -> JSONResponse:
    """Ingest 1..10,000 events all or nothing → 202 ``{"status": "accepted", "count", "requestId"}``.

    ``count`` is the number of events received. 400 lists every bad event by ``index`` in
    ``error.details`` and stores none of the batch.
    """
    now = request.app.state.clock.now()
    events = check_batch(await _json(request), now)
    await service.ingest(session, who, events, now)
    await session.commit()
    _wake(request)
    return JSONResponse({"status": "accepted", "count": len(events), "requestId": request_id()},
                        status_code=202)


def _instant(name: str, raw: str | None) -> datetime | None:
    if raw is None:
        return None
    try:
        return ensure_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        raise ValidationFailed(f"{name} must be an ISO 8601 date or date-time") from None


@router.get("")
async def list_events(
    event_name: str | None = Query(None, alias="eventName"),
    customer_id: str | None = Query(None, alias="customerId"),
    external_customer_id: str | None = Query(None, alias="externalCustomerId"),
    start: str | None = Query(None, description="inclusive, ISO 8601 date or date-time (UTC)"),
    end: str | None = Query(None, description="exclusive, ISO 8601 date or date-time (UTC)"),
    matched: bool | None = Query(None, description="true: matched only; false: unmatched only"),
    pg: Page = Depends(paginator(50)),
    who: Principal = Depends(require("usage:read")),
    session: AsyncSession = Depends(get_session),
) -> dict[str, Any]:
    """List stored events, newest first → ``{"events": [...], "total", "limit", "offset", "hasMore"}``.

    Each event carries ``status`` (``pending``/``matched``/``unmatched``) and ``unmatchedReason``.
    """
    rows, total = await repository.list_page(
        session, who, pg, event_name=event_name, customer_id=customer_id,
        external_customer_id=external_customer_id, start=_instant("start", start), end=_instant("end", end),
        matched=matched,
    )
    return {"events": [event_out(e) for e in rows], "total": total, "limit": pg.limit, "offset": pg.offset,
            "hasMore": pg.offset + len(rows) < total}

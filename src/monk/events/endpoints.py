"""The Events API (reference §4): ingestion (single and batch) and the event listing.

Ingestion is the hot path, so its two endpoints skip FastAPI's per-request machinery: they read
the raw body, validate it (``schemas``), and hand the rows to the group commit (``batcher``), which
answers only once they are committed. The API key is resolved through a small cache (``_KEYS``):
a key's organization, mode, scopes and expiry are reused for ``KEY_CACHE_SECONDS``, so a revoked
key stops working on the Events API within that time (expiry is checked on every request).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from monk.events import batcher, repository, service
from monk.events.schemas import (
    BatchAccepted,
    EventAccepted,
    EventBatchIn,
    EventIn,
    EventList,
    RematchIn,
    Requeued,
    check_batch,
    check_one,
    event_out,
    parse_json,
)
from monk.kit.auth import Principal, authenticate, require
from monk.kit.bounds import query_instant
from monk.kit.db import is_connection_failure
from monk.kit.deps import get_session
from monk.kit.errors import Forbidden, MonkError, Unauthorized
from monk.kit.ids import request_id
from monk.kit.openapi import documented, typed
from monk.kit.pagination import Page, paginator
from monk.kit.schemas import Data, envelope
from monk.models import ApiKey
from monk.models.statuses import EventStatus

router = APIRouter(prefix="/v1/events", tags=["events"])

KEY_CACHE_SECONDS = 2.0
_KEY_CACHE_MAX = 10_000


class _KeyCache:
    """Authorization header → (valid until (monotonic), principal, key expiry).

    A stale or missing entry is looked up once (concurrent requests with the same header wait for
    that one lookup instead of each querying the database).
    """

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, Principal, datetime | None]] = {}
        self._lookups: dict[str, asyncio.Future[tuple[float, Principal, datetime | None]]] = {}

    async def _lookup(self, request: Request, header: str | None, now: datetime) -> tuple[Principal, datetime | None]:
        try:
            async with request.app.state.sessions() as session:
                who = await authenticate(session, header, now)
                row = await session.get(ApiKey, who.key_id)  # already loaded: no query
                return who, row.expires_at if row is not None else None
        except Exception as exc:
            if is_connection_failure(exc):
                raise batcher.unavailable() from exc
            raise

    async def principal(self, request: Request, scope: str) -> Principal:
        """Authenticate the request and check ``scope``: 401/403 with the documented messages."""
        header = request.headers.get("authorization")
        now = request.app.state.clock.now()
        hit = self.entries.get(header) if header else None
        if hit is None or time.monotonic() >= hit[0]:
            hit = await self._refresh(request, header, now)
        _, who, expires_at = hit
        if expires_at is not None and expires_at <= now:
            raise Unauthorized("API key has expired")
        if not who.allows(scope):
            raise Forbidden(f"API key does not have the required permission: {scope}")
        return who

    async def _refresh(self, request: Request, header: str | None,
                       now: datetime) -> tuple[float, Principal, datetime | None]:
        if not header:
            await self._lookup(request, header, now)  # raises the documented 401
        assert header is not None
        pending = self._lookups.get(header)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[tuple[float, Principal, datetime | None]] = asyncio.get_running_loop().create_future()
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._lookups[header] = fut
        try:
            who, expires_at = await self._lookup(request, header, now)
            entry = (time.monotonic() + KEY_CACHE_SECONDS, who, expires_at)
            if len(self.entries) >= _KEY_CACHE_MAX:
                self.entries.clear()
            self.entries[header] = entry
            fut.set_result(entry)
            return entry
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except Exception as exc:
            fut.set_exception(exc)
            raise
        finally:
            del self._lookups[header]


def _keys(request: Request) -> _KeyCache:
    cache: _KeyCache | None = getattr(request.app.state, "event_key_cache", None)
    if cache is None:
        cache = request.app.state.event_key_cache = _KeyCache()
    return cache


def _wake(request: Request) -> None:
    worker = request.app.state.worker
    if worker is not None:
        worker.wake()


def _accepted(body: str) -> Response:
    return Response(body.encode(), status_code=202, media_type="application/json")


@router.post("", **documented(status=202, model=EventAccepted, body=EventIn, scope="usage:write"))
async def create_event(request: Request) -> Response:
    """Ingest one event → 202 ``{"status": "accepted", "idempotencyKey", "requestId"}``.

    The event is committed before the 202 is sent (group commit: concurrent requests share one
    transaction). 401/403 for a bad key; 400 ``VALIDATION_ERROR`` for a bad event (nothing stored),
    e.g. a numeric property of 10**15 or more in magnitude (``properties.<key>``, ``monk.billing.bounds``);
    503 ``SERVICE_UNAVAILABLE`` with ``Retry-After`` when the database is unreachable (nothing
    acknowledged). A resend with the same ``idempotencyKey`` replaces the earlier version.
    """
    who = await _keys(request).principal(request, "usage:write")
    now = request.app.state.clock.now()
    ev = check_one(parse_json(await request.body()), now)
    rows = service.to_rows(who, [ev], now)
    await batcher.for_app(request.app).submit(rows)
    _wake(request)
    return _accepted('{"status":"accepted","idempotencyKey":' + json.dumps(rows[0]["idempotency_key"])
                     + ',"requestId":"' + request_id() + '"}')


@router.post("/batch", **documented(status=202, model=BatchAccepted, body=EventBatchIn, scope="usage:write"))
async def create_events_batch(request: Request) -> Response:
    """Ingest 1..10,000 events all or nothing → 202 ``{"status": "accepted", "count", "requestId"}``.

    ``count`` is the number of events received. 400 lists every bad event by ``index`` in
    ``error.details`` (``{"index", "field", "message"}``, e.g. ``field`` ``properties.tokens`` for a
    number of 10**15 or more in magnitude) and stores none of the batch; 503 with ``Retry-After`` when the database is
    unreachable (none stored). Committed before the 202 is sent.
    """
    who = await _keys(request).principal(request, "usage:write")
    now = request.app.state.clock.now()
    events = check_batch(parse_json(await request.body()), now)
    await batcher.for_app(request.app).submit(service.to_rows(who, events, now))
    _wake(request)
    return _accepted('{"status":"accepted","count":' + str(len(events)) + ',"requestId":"' + request_id() + '"}')


@router.get("", **typed(EventList))
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

    Each event carries ``status`` (``pending``/``matched``/``unmatched``), ``unmatchedReason`` and
    ``contractId``: the contract a matched event is billed on, else the one it was sent with (or null).
    """
    rows, total = await repository.list_page(
        session, who, pg, event_name=event_name, customer_id=customer_id,
        external_customer_id=external_customer_id, start=query_instant("start", start), end=query_instant("end", end),
        matched=matched,
    )
    contracts = await repository.matched_contracts(session, [e.id for e in rows if e.status == EventStatus.MATCHED])
    return {"events": [event_out(e, contracts.get(e.id)) for e in rows], "total": total, "limit": pg.limit,
            "offset": pg.offset, "hasMore": pg.offset + len(rows) < total}


@router.post("/rematch", **typed(Data[Requeued], 404))
async def rematch_events(
    body: RematchIn,
    request: Request,
    who: Principal = Depends(require("usage:write")),
    session: AsyncSession = Depends(get_session),
) -> dict[str, Any]:
    """Send one customer's unmatched events back to matching → ``{"data": {"requeued": <int>}}``.

    Body: exactly one of ``customerId`` / ``externalCustomerId``; ``start`` (inclusive) and ``end``
    (exclusive), ISO 8601 date or date-time (UTC), at most 366 days apart, bound the events'
    ``timestamp``. Every ``unmatched`` event naming the customer (by its id or its current external
    id) in the range becomes ``pending`` again and the worker matches it against today's customers,
    contracts and meters (an event that still matches nothing is unmatched again, with the current
    reason). Matching happens within seconds, after the 200.

    Monk already does this by itself when a customer is created or its ``externalCustomerId``
    changes (events of the last ``MONK_REMATCH_WINDOW_DAYS``, 90 by default), when a contract is
    created (events inside its coverage) and when a contract's plan changes (from the change on);
    this endpoint is for the rest, e.g. older events. 400 invalid body; 403 without ``usage:write``;
    404 unknown customer.
    """
    n = await service.rematch(session, who, body)
    await session.commit()
    _wake(request)
    return envelope({"requeued": n})


_FAST_PATHS = {"/v1/events": create_event, "/v1/events/batch": create_events_batch}


class IngestFastPath:
    """ASGI middleware that serves ``POST /v1/events`` and ``POST /v1/events/batch`` directly.

    The two ingestion endpoints take the raw request and need neither routing, dependency
    injection nor body models; skipping that machinery roughly halves the framework's cost per
    single event. Errors get the same envelope as everywhere (``MonkError`` → its status and
    code; a lost database → 503 with ``Retry-After``); anything else propagates to the app's
    last-resort handler, as it would from a route. Every other request passes through untouched.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = _FAST_PATHS.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except MonkError as exc:
            response = JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers or None)
        except Exception as exc:
            if not is_connection_failure(exc):
                raise
            err = batcher.unavailable()
            response = JSONResponse(err.body(), status_code=err.status_code, headers=err.headers)
        await response(scope, receive, send)

"""The Events API (reference §4): ingestion (single and batch) and the event listing.

Ingestion is the hot path, so its two endpoints skip FastAPI's per-request machinery: they read
the raw body, validate it (``schemas``), and hand the rows to the group commit (``batcher``), which
answers only once they are committed. They resolve the caller exactly as the Monk API does
(``kit.auth.authorize``: the app's one key cache, ``monk.keys.service.KeyResolver``, and the one
policy hook ``kit.policy.admit``): a key revoked elsewhere keeps working for at most
``Settings.key_cache_seconds`` (2 s by default) on either path; expiry is checked on every request.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
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
from monk.kit import deps
from monk.kit.auth import Principal, authorize, require
from monk.kit.bounds import query_instant
from monk.kit.clock import Clock
from monk.kit.db import is_connection_failure
from monk.kit.errors import MonkError, error_response
from monk.kit.ids import request_id
from monk.kit.openapi import documented, typed
from monk.kit.schemas import Data, envelope

router = APIRouter(prefix="/v1/events", tags=["events"])
UsageRead = Annotated[Principal, Depends(require("usage:read"))]
UsageWrite = Annotated[Principal, Depends(require("usage:write"))]


@dataclass(frozen=True)
class Intake:
    """What the ingestion endpoints use, made once by ``create_app``: the app's clock and its group
    commit. ``IngestFastPath`` hands it to them in the request's scope (``INTAKE``)."""

    clock: Clock
    batcher: batcher.EventBatcher


INTAKE = "monk.intake"
_Handler = TypeVar("_Handler", bound=Callable[[Request], Awaitable[Response]])
_FAST_PATHS: dict[str, Callable[[Request], Awaitable[Response]]] = {}


def _ingestion(path: str, **route: Any) -> Callable[[_Handler], _Handler]:
    """Register an ingestion endpoint once: in the router (its place in the OpenAPI document, with
    ``kit.openapi.documented``) and in ``IngestFastPath``'s table, which answers it."""

    def register(handler: _Handler) -> _Handler:
        router.post(path, **route)(handler)
        _FAST_PATHS[router.prefix + path] = handler
        return handler

    return register


def _accepted(body: str) -> Response:
    return Response(body.encode(), status_code=202, media_type="application/json")


@_ingestion("", **documented(status=202, model=EventAccepted, body=EventIn, scope="usage:write"))
async def create_event(request: Request) -> Response:
    """Ingest one event → 202 ``{"status": "accepted", "idempotencyKey", "requestId"}``.

    The event is committed before the 202 is sent (group commit: concurrent requests share one
    transaction). 401/403 for a bad key; 400 ``VALIDATION_ERROR`` for a bad event (nothing stored),
    e.g. a numeric property of 10**15 or more in magnitude (``properties.<key>``, ``monk.billing.bounds``);
    503 ``SERVICE_UNAVAILABLE`` with ``Retry-After`` when the database is unreachable (nothing
    acknowledged). A resend with the same ``idempotencyKey`` replaces the earlier version.
    """
    principal = await authorize(request, "usage:write")
    intake: Intake = request.scope[INTAKE]
    now = intake.clock.now()
    ev = check_one(parse_json(await request.body()), now)
    rows = service.to_rows(principal, [ev], now)
    await intake.batcher.submit(rows)
    return _accepted('{"status":"accepted","idempotencyKey":' + json.dumps(rows[0]["idempotency_key"])
                     + ',"requestId":"' + request_id() + '"}')


@_ingestion("/batch", **documented(status=202, model=BatchAccepted, body=EventBatchIn, scope="usage:write"))
async def create_events_batch(request: Request) -> Response:
    """Ingest 1..10,000 events all or nothing → 202 ``{"status": "accepted", "count", "requestId"}``.

    ``count`` is the number of events received. 400 lists every bad event by ``index`` in
    ``error.details`` (``{"index", "field", "message"}``, e.g. ``field`` ``properties.tokens`` for a
    number of 10**15 or more in magnitude) and stores none of the batch; 503 with ``Retry-After`` when the database is
    unreachable (none stored). Committed before the 202 is sent.
    """
    principal = await authorize(request, "usage:write")
    intake: Intake = request.scope[INTAKE]
    now = intake.clock.now()
    events = check_batch(parse_json(await request.body()), now)
    await intake.batcher.submit(service.to_rows(principal, events, now))
    return _accepted('{"status":"accepted","count":' + str(len(events)) + ',"requestId":"' + request_id() + '"}')


@router.get("", **typed(EventList))
async def list_events(
    session: deps.Session,
    page: deps.LongPage,
    principal: UsageRead,
    event_name: str | None = Query(None, alias="eventName"),
    customer_id: str | None = Query(None, alias="customerId"),
    external_customer_id: str | None = Query(None, alias="externalCustomerId"),
    start: str | None = Query(None, description="inclusive, ISO 8601 date or date-time (UTC)"),
    end: str | None = Query(None, description="exclusive, ISO 8601 date or date-time (UTC)"),
    matched: bool | None = Query(None, description="true: matched only; false: unmatched only"),
) -> dict[str, Any]:
    """List stored events, newest first → ``{"events": [...], "total", "limit", "offset", "hasMore"}``.

    Each event carries ``status`` (``pending``/``matched``/``unmatched``), ``unmatchedReason`` and
    ``contractId``: the contract a matched event is billed on, else the one it was sent with (or null).
    """
    rows, total = await repository.list_page(
        session, principal, page, event_name=event_name, customer_id=customer_id,
        external_customer_id=external_customer_id, start=query_instant("start", start), end=query_instant("end", end),
        matched=matched,
    )
    contracts = await repository.matched_contracts(session, [e.id for e in rows if e.status == "matched"])
    return {"events": [event_out(e, contracts.get(e.id)) for e in rows], "total": total, "limit": page.limit,
            "offset": page.offset, "hasMore": page.offset + len(rows) < total}


@router.post("/rematch", **typed(Data[Requeued], 404))
async def rematch_events(
    session: deps.Session,
    body: RematchIn,
    principal: UsageWrite,
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
    n = await service.rematch(session, principal, body)
    return envelope({"requeued": n})


class IngestFastPath:
    """ASGI middleware that serves ``POST /v1/events`` and ``POST /v1/events/batch`` directly.

    The two ingestion endpoints take the raw request and need neither routing, dependency
    injection nor body models; skipping that machinery roughly halves the framework's cost per
    single event. Errors get the same envelope as everywhere (``MonkError`` → its status and
    code; a lost database → 503 with ``Retry-After``); anything else propagates to the app's
    last-resort handler, as it would from a route. Every other request passes through untouched.
    """

    def __init__(self, app: ASGIApp, *, intake: Intake) -> None:
        self.app = app
        self.intake = intake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = _FAST_PATHS.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        scope[INTAKE] = self.intake
        request = Request(scope, receive)
        try:
            response = await handler(request)
        except MonkError as exc:
            response = error_response(exc)
        except Exception as exc:
            if not is_connection_failure(exc):
                raise
            response = error_response(batcher.unavailable())
        await response(scope, receive, send)

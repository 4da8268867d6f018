"""Event bodies and shapes (reference §4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, TypeAdapter, ValidationError

from monk.kit.clock import iso_ms
from monk.kit.errors import ValidationFailed
from monk.kit.schemas import CamelModel
from monk.kit.time import ensure_utc
from monk.models import Event

MAX_BATCH = 10_000
MAX_FUTURE = timedelta(hours=1)
PropertyValue = StrictStr | StrictBool | StrictInt | StrictFloat


class EventIn(CamelModel):
    """One usage event: ``eventName``, exactly one customer identifier, flat ``properties``."""

    event_name: str = Field(min_length=1, max_length=255)
    customer_id: str | None = Field(None, min_length=1, max_length=255)
    external_customer_id: str | None = Field(None, min_length=1, max_length=255)
    contract_id: str | None = Field(None, min_length=1, max_length=255)
    idempotency_key: str | None = Field(None, min_length=1, max_length=255)
    timestamp: datetime | None = None
    properties: dict[str, PropertyValue] = Field(default_factory=dict, max_length=200)


_adapter = TypeAdapter(EventIn)


def _field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        if len(loc) >= 2 and loc[0] == "properties":
            msg = "property values must be strings, numbers or booleans (no nested values)"
            out.append((f"properties.{loc[1]}", msg))
        else:
            out.append((".".join(loc) or "body", e["msg"]))
    return out


def check_event(raw: Any, now: datetime) -> tuple[EventIn | None, list[tuple[str, str]]]:
    """Validate one raw event against §4.1's rules.

    Returns ``(event, [])`` or ``(None, [(field, message), …])``. Rules: valid shape; exactly one
    of ``customerId``/``externalCustomerId``; ``timestamp`` at most 1 hour after ``now``.
    """
    if not isinstance(raw, dict):
        return None, [("body", "an event must be a JSON object")]
    try:
        ev = _adapter.validate_python(raw)
    except ValidationError as exc:
        return None, _field_errors(exc)
    problems: list[tuple[str, str]] = []
    if (ev.customer_id is None) == (ev.external_customer_id is None):
        problems.append(("customerId", "exactly one of customerId or externalCustomerId is required"))
    if ev.timestamp is not None:
        ev.timestamp = ensure_utc(ev.timestamp)
        if ev.timestamp > now + MAX_FUTURE:
            problems.append(("timestamp", "timestamp must not be more than 1 hour in the future"))
    return (None, problems) if problems else (ev, [])


def check_one(raw: Any, now: datetime) -> EventIn:
    """Validate a single event or raise ``ValidationFailed`` (400) naming each problem."""
    ev, problems = check_event(raw, now)
    if ev is None:
        details = [{"field": f, "message": m} for f, m in problems]
        raise ValidationFailed(f"{problems[0][0]}: {problems[0][1]}", details=details)
    return ev


def check_batch(raw: Any, now: datetime) -> list[EventIn]:
    """Validate ``{"events": [...]}`` (1..10,000 events) all or nothing.

    Raises ``ValidationFailed`` (400) whose ``details`` list every bad event by ``index``.
    """
    if not isinstance(raw, dict) or set(raw) - {"events"} or not isinstance(raw.get("events"), list):
        raise ValidationFailed("body must be an object with an 'events' array")
    items = raw["events"]
    if not 1 <= len(items) <= MAX_BATCH:
        raise ValidationFailed(f"events must hold between 1 and {MAX_BATCH} events")
    good: list[EventIn] = []
    bad: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        ev, problems = check_event(item, now)
        if ev is None:
            bad.extend({"index": i, "field": f, "message": m} for f, m in problems)
        else:
            good.append(ev)
    if bad:
        indexes = sorted({b["index"] for b in bad})
        shown = ", ".join(str(i) for i in indexes[:20]) + (" …" if len(indexes) > 20 else "")
        raise ValidationFailed(f"{len(indexes)} invalid event(s) at index {shown}; nothing was stored",
                               details=bad[:100])
    return good


def event_out(e: Event) -> dict[str, Any]:
    """The API shape of a stored event, with its matching status."""
    return {
        "id": e.id,
        "idempotencyKey": e.idempotency_key,
        "eventName": e.event_name,
        "customerId": e.matched_customer_id or e.customer_id,
        "externalCustomerId": e.external_customer_id,
        "contractId": e.contract_id,
        "timestamp": iso_ms(e.timestamp),
        "properties": e.properties,
        "receivedAt": iso_ms(e.received_at),
        "status": e.status,
        "unmatchedReason": e.unmatched_reason,
    }

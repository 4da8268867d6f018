"""Event bodies and shapes (reference §4).

Validation has two paths with one outcome. ``EventIn`` (Pydantic) is the definition of a valid
event and produces every error message. The hot path first tries ``_plain``: a few type checks
that recognise the ordinary, obviously valid event (string fields within their lengths, flat
primitive properties, an RFC 3339 timestamp) about four times faster than model validation.
Anything it does not recognise, valid or not, goes through ``EventIn``, so both paths accept and
reject exactly the same bodies. Both refuse a numeric property whose magnitude reaches the quantity
bound (``monk.billing.bounds``: ``|value| < 10**15``) with a 400 naming ``properties.<key>``.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, TypeAdapter, ValidationError
from pydantic_core import from_json

from monk.billing.bounds import MAX_QUANTITY, PROPERTY_RANGE, number_in_bounds
from monk.kit.bounds import EARLIEST_INSTANT, LATEST_INSTANT, InstantIn, lone_surrogate
from monk.kit.clock import iso_ms
from monk.kit.errors import ValidationFailed
from monk.kit.schemas import CamelModel, Instant, ResponseModel, invalid_json
from monk.kit.time import ensure_utc
from monk.models import Event
from monk.models.statuses import EventStatus

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
    timestamp: InstantIn | None = None
    properties: dict[str, PropertyValue] = Field(default_factory=dict, max_length=200)


_adapter = TypeAdapter(EventIn)


class EventBatchIn(CamelModel):
    """Body of ``POST /v1/events/batch``: 1..10,000 events, stored all or nothing (for the document:
    the fast path validates with ``check_batch``, to the same rules)."""

    events: list[EventIn] = Field(min_length=1, max_length=MAX_BATCH)


class EventAccepted(ResponseModel):
    """``POST /v1/events`` → 202: the event is committed; ``idempotencyKey`` as sent or generated."""

    status: Literal["accepted"]
    idempotency_key: str
    request_id: str


class BatchAccepted(ResponseModel):
    """``POST /v1/events/batch`` → 202: every event is committed; ``count`` events were received."""

    status: Literal["accepted"]
    count: int
    request_id: str


class StoredEvent(ResponseModel):
    """A stored event and how the worker matched it: ``status`` ``pending``, ``matched`` or ``unmatched``
    (with ``unmatchedReason``); ``contractId`` the contract a matched event is billed on, else as sent."""

    id: str
    idempotency_key: str
    event_name: str
    customer_id: str | None
    external_customer_id: str | None
    contract_id: str | None
    timestamp: Instant
    properties: dict[str, str | bool | int | float]
    received_at: Instant
    status: Literal["pending", "matched", "unmatched"]
    unmatched_reason: str | None


class EventList(ResponseModel):
    """``GET /v1/events``: a page of events, newest first (the Events API's own list shape)."""

    events: list[StoredEvent]
    total: int
    limit: int
    offset: int
    has_more: bool


class ValidEvent(NamedTuple):
    """A validated event (what ``EventIn`` holds, as a light tuple); ``timestamp`` is UTC or None."""

    event_name: str
    customer_id: str | None
    external_customer_id: str | None
    contract_id: str | None
    idempotency_key: str | None
    timestamp: datetime | None
    properties: dict[str, Any]


def _field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """``(field, message)`` per invalid field; a property value fails once per member of its union
    type, which is reported as one error (a finite-number one when it was a non-finite float)."""
    out: dict[str, str] = {}
    for e in exc.errors():
        loc = [str(p) for p in e["loc"]]
        if len(loc) >= 2 and loc[0] == "properties":
            field = f"properties.{loc[1]}"
            if e["type"] == "finite_number":
                out[field] = "property values must be finite numbers (not NaN or Infinity)"
            else:
                out.setdefault(field, "property values must be strings, numbers or booleans (no nested values)")
        else:
            out.setdefault(".".join(loc) or "body", e["msg"])
    return list(out.items())


_FIELDS = frozenset(("eventName", "customerId", "externalCustomerId", "contractId", "idempotencyKey", "timestamp",
                     "properties"))
_OPTIONAL_STR = ("contractId", "idempotencyKey")
if float(MAX_QUANTITY) != 1e15:  # pragma: no cover - ``_plain`` spells the bound as a literal
    raise RuntimeError("events.schemas._plain must follow monk.billing.bounds.MAX_QUANTITY")
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)\Z")


def _instant(ts: Any, limit: datetime, seen: dict[str, datetime]) -> datetime | None:
    """An RFC 3339 ``timestamp`` as UTC if it is in the accepted range and at most ``limit``, else
    None ("not sure"). Years outside 2000..2099 are left to ``EventIn`` before any conversion, so a
    timestamp near ``datetime``'s limits cannot overflow here."""
    if type(ts) is not str:
        return None
    found = seen.get(ts)
    if found is not None:
        return found
    if _RFC3339.match(ts) is None or not "2000" <= ts[:4] <= "2099":
        return None
    try:
        at = datetime.fromisoformat(ts)
    except ValueError:
        return None
    if at.tzinfo is not UTC:
        at = at.astimezone(UTC)
    if at > limit or not EARLIEST_INSTANT <= at < LATEST_INSTANT:
        return None
    seen[ts] = at
    return at


def _plain(raw: Any, limit: datetime, seen: dict[str, datetime]) -> ValidEvent | None:
    """The ordinary valid event, recognised without model validation; ``None`` means "not sure":
    the caller validates with ``EventIn``, which accepts or rejects it with the documented errors.
    ``limit`` is the latest acceptable timestamp; ``seen`` caches parsed timestamps."""
    if type(raw) is not dict or not _FIELDS.issuperset(raw):
        return None
    get = raw.get
    name = get("eventName")
    if type(name) is not str or not 0 < len(name) <= 255:
        return None
    cid = get("customerId")
    ext = get("externalCustomerId")
    if (cid is None) == (ext is None):
        return None
    contract = get("contractId")
    key = get("idempotencyKey")
    for v in (cid, ext, contract, key):
        if v is not None and (type(v) is not str or not 0 < len(v) <= 255):
            return None
    ts = get("timestamp")
    if ts is not None:
        ts = _instant(ts, limit, seen)
        if ts is None:
            return None
    props = get("properties", _MISSING)
    if props is _MISSING:
        props = {}
    elif type(props) is not dict or len(props) > 200:
        return None
    else:
        for v in props.values():
            t = type(v)
            if t is str or t is bool:
                continue
            # A number must lie within the quantity bound (False for NaN and infinities too). The
            # literal is MAX_QUANTITY (checked at import): a constant is cheaper than a global lookup.
            if (t is int or t is float) and -1e15 < v < 1e15:
                continue
            return None
    return ValidEvent(name, cid, ext, contract, key, ts, props)


_MISSING: Any = object()


def parse_json(body: bytes) -> Any:
    """Parse a request body; raises ``ValidationFailed`` (400) when it is not JSON, nests too deeply
    (over 200 levels, or over 64 when the standard parser is needed), or holds a lone UTF-16
    surrogate (``"\\ud800"``, which cannot be stored).

    Uses the fast parser and falls back to the standard library's (which also reads UTF-16/32,
    a BOM and lone surrogates), so the accepted bodies and their values are the standard library's.
    The fast parser refuses lone surrogates and more than 200 levels itself, so only bodies that
    need the fallback are walked for them.
    """
    try:
        parsed = from_json(body)
    except ValueError as exc:
        if "recursion limit" in str(exc):
            raise ValidationFailed("request body is nested too deeply") from None
        try:
            parsed = json.loads(body)
        except json.JSONDecodeError as exc:
            raise ValidationFailed("body: " + invalid_json(exc.doc, exc.pos, exc.msg)) from None
        except RecursionError:
            raise ValidationFailed("request body is nested too deeply") from None
        except ValueError:  # bytes that are not UTF-8, -16 or -32 text
            raise ValidationFailed("body: invalid JSON (not UTF-8 text)") from None
        problem = lone_surrogate(parsed)
        if problem is not None:
            raise ValidationFailed(problem) from None
    if b"\\u0000" in body and _has_nul(parsed):
        raise ValidationFailed("strings must not contain the NUL character (\\u0000)")
    return parsed


def _has_nul(value: Any) -> bool:
    """Whether a parsed JSON value holds a string (or key) with a NUL character, which no database
    column can store."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def property_problems(properties: dict[str, Any], prefix: str = "properties") -> list[tuple[str, str]]:
    """``(field, message)`` for every numeric property value whose magnitude is not below the
    quantity bound (``monk.billing.bounds.MAX_QUANTITY``, 10**15), e.g. ``("properties.tokens", …)``.
    Numeric strings are not checked here: they are numbers only to a meter that aggregates them."""
    return [(f"{prefix}.{k}", PROPERTY_RANGE) for k, v in properties.items() if not number_in_bounds(v)]


def check_event(raw: Any, now: datetime, _seen: dict[str, datetime] | None = None,
                ) -> tuple[ValidEvent | None, list[tuple[str, str]]]:
    """Validate one raw event against §4.1's rules.

    Returns ``(event, [])`` or ``(None, [(field, message), …])``. Rules: valid shape; exactly one
    of ``customerId``/``externalCustomerId``; ``timestamp`` at most 1 hour after ``now``; numeric
    property values (JSON integers and floats) in ``(-10**15, 10**15)`` (``property_problems``).
    """
    plain = _plain(raw, now + MAX_FUTURE, {} if _seen is None else _seen)
    if plain is not None:
        return plain, []
    if not isinstance(raw, dict):
        return None, [("body", "an event must be a JSON object")]
    try:
        ev = _adapter.validate_python(raw)
    except ValidationError as exc:
        return None, _field_errors(exc)
    problems = property_problems(ev.properties)
    if (ev.customer_id is None) == (ev.external_customer_id is None):
        problems.append(("customerId", "exactly one of customerId or externalCustomerId is required"))
    if ev.timestamp is not None:
        ev.timestamp = ensure_utc(ev.timestamp)
        if ev.timestamp > now + MAX_FUTURE:
            problems.append(("timestamp", "timestamp must not be more than 1 hour in the future"))
    if problems:
        return None, problems
    return ValidEvent(ev.event_name, ev.customer_id, ev.external_customer_id, ev.contract_id, ev.idempotency_key,
                      ev.timestamp, ev.properties), []


def check_one(raw: Any, now: datetime) -> ValidEvent:
    """Validate a single event or raise ``ValidationFailed`` (400) naming each problem."""
    ev, problems = check_event(raw, now)
    if ev is None:
        details = [{"field": f, "message": m} for f, m in problems]
        raise ValidationFailed(f"{problems[0][0]}: {problems[0][1]}", details=details)
    return ev


def check_batch(raw: Any, now: datetime) -> list[ValidEvent]:
    """Validate ``{"events": [...]}`` (1..10,000 events) all or nothing.

    Raises ``ValidationFailed`` (400) whose ``details`` list every bad event by ``index``.
    """
    if not isinstance(raw, dict) or set(raw) - {"events"} or not isinstance(raw.get("events"), list):
        raise ValidationFailed("body must be an object with an 'events' array")
    items = raw["events"]
    if not 1 <= len(items) <= MAX_BATCH:
        raise ValidationFailed(f"events must hold between 1 and {MAX_BATCH} events")
    good: list[ValidEvent] = []
    bad: list[dict[str, Any]] = []
    limit = now + MAX_FUTURE
    seen: dict[str, datetime] = {}
    for i, item in enumerate(items):
        ev = _plain(item, limit, seen)
        if ev is not None:
            good.append(ev)
            continue
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


def event_out(e: Event, matched_contract_id: str | None = None) -> dict[str, Any]:
    """The API shape of a stored event, with its matching status. ``contractId`` is the contract a
    ``matched`` event bills (``matched_contract_id``), else the one the event was pinned to (or null)."""
    return {
        "id": e.id,
        "idempotencyKey": e.idempotency_key,
        "eventName": e.event_name,
        "customerId": e.matched_customer_id or e.customer_id,
        "externalCustomerId": e.external_customer_id,
        "contractId": (matched_contract_id if e.status == EventStatus.MATCHED else None) or e.contract_id,
        "timestamp": iso_ms(e.timestamp),
        "properties": e.properties,
        "receivedAt": iso_ms(e.received_at),
        "status": e.status,
        "unmatchedReason": e.unmatched_reason,
    }


MAX_REMATCH_RANGE = timedelta(days=366)


class Requeued(ResponseModel):
    """``POST /v1/events/rematch``: how many unmatched events went back to matching."""

    requeued: int


class RematchIn(CamelModel):
    """Body of ``POST /v1/events/rematch``: exactly one of ``customerId`` / ``externalCustomerId``;
    ``start`` (inclusive) and ``end`` (exclusive) bound the events' ``timestamp``: ISO 8601 date or
    date-time, naive = UTC, within the instant range (``kit.bounds``), ``start < end``, at most 366
    days apart."""

    customer_id: StrictStr | None = Field(None, min_length=1, max_length=255)
    external_customer_id: StrictStr | None = Field(None, min_length=1, max_length=255)
    start: InstantIn
    end: InstantIn

    def checked(self) -> tuple[datetime, datetime]:
        """``(start, end)`` in UTC. Raises ``ValidationFailed`` (400) for a bad combination."""
        if (self.customer_id is None) == (self.external_customer_id is None):
            raise ValidationFailed("exactly one of customerId and externalCustomerId is required")
        start, end = self.start, self.end
        if start >= end:
            raise ValidationFailed("end: must be after start")
        if end - start > MAX_REMATCH_RANGE:
            raise ValidationFailed("end: the range may span at most 366 days")
        return start, end

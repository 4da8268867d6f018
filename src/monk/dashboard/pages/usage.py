"""Usage: ``/usage`` (Matched, Unmatched and Pending events with their reasons, filters and re-match),
``/usage/new`` (+ Add usage, ``usage_new``) and ``/usage/chart`` (usage per meter and day, ``usage_chart``).

The list reads the events service's repository (``events.repository.browse``): one page of ``limit + 1``
rows, newest first, never a count of the whole table (the Unmatched and Pending tabs show a count capped at
``COUNT_CAP``). Re-match calls ``events.service.rematch``, the service of ``POST /v1/events/rematch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ValidationError

from monk.dashboard.web import AdminForm, SignedIn, Web, form_errors
from monk.events import repository, service
from monk.events.schemas import RematchIn
from monk.kit.errors import MonkError
from monk.models import Event
from monk.models.statuses import EventStatus

router = APIRouter(include_in_schema=False)

TABS = (EventStatus.MATCHED, EventStatus.UNMATCHED, EventStatus.PENDING)
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_OFFSET = 10_000_000
COUNT_CAP = 1000
REASONS: dict[str, str] = {
    "CUSTOMER_NOT_FOUND": "No customer has this customer id or external customer id.",
    "CONTRACT_NOT_FOUND": "The customer has no contract.",
    "NO_CONTRACT_COVERS_TIMESTAMP": "None of the customer's contracts covers the event's time.",
    "NO_MATCHING_METER": "No meter of the customer's plan accepts this event.",
    "PROCESSING_ERROR": "Matching this event failed; Monk retries it.",
}
# Form fields of the re-match form by the names of ``RematchIn`` (and of its service's messages).
REMATCH_FIELDS = {"customerId": "customer", "externalCustomerId": "customer", "start": "from", "end": "to",
                  "customer": "customer", "from": "from", "to": "to"}


def reason_sentence(reason: str | None) -> str:
    """A sentence for people for a stored unmatched reason (``CODE`` or ``CODE: detail``); "" if unknown."""
    code = (reason or "").split(":", 1)[0].strip()
    return REASONS.get(code, "")


def parse_day(value: str) -> date | None:
    """A ``YYYY-MM-DD`` date, or None when blank; raises ``ValueError`` when malformed."""
    return date.fromisoformat(value.strip()) if value.strip() else None


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), tzinfo=UTC)


def bounded_int(raw: str | None, default: int, low: int, high: int) -> int:
    """``raw`` as an int clamped to ``[low, high]`` (``default`` when blank or not a number)."""
    try:
        return min(max(int(raw or default), low), high)
    except ValueError:
        return default


@dataclass
class Filters:
    """The list's filters as typed (``values``, kept in the form) and as parsed."""

    values: dict[str, str]
    errors: dict[str, str]
    start: datetime | None = None
    end: datetime | None = None


def read_filters(values: dict[str, str]) -> Filters:
    """The filters of the list: ``customer``, ``event`` (name), ``reason`` (code), ``from`` and ``to``
    (dates, UTC, both inclusive). A malformed date is an error under its field."""
    f = Filters(values={k: (values.get(k) or "").strip() for k in ("customer", "event", "reason", "from", "to")},
                errors={})
    for name in ("from", "to"):
        try:
            day = parse_day(f.values[name])
        except ValueError:
            f.errors[name] = "Enter a date as YYYY-MM-DD."
            continue
        if day is not None and not date(2000, 1, 1) <= day <= date(2099, 12, 30):
            f.errors[name] = "Enter a date between 2000-01-01 and 2099-12-30."
        elif day is not None and name == "from":
            f.start = day_start(day)
        elif day is not None:
            f.end = day_start(day + timedelta(days=1))
    if f.values["reason"] and f.values["reason"] not in REASONS:
        f.errors["reason"] = "Choose a reason from the list."
    return f


@dataclass
class Row:
    """One event as the list shows it."""

    event: Event
    customer_id: str | None
    customer_name: str
    sent_as: str
    reason_code: str
    reason_sentence: str


async def _rows(web: Web, events: list[Event]) -> list[Row]:
    """The page's events with their customers' names (one query)."""
    ids = [e.matched_customer_id or e.customer_id or "" for e in events]
    labels = await repository.customer_labels(web.session, web.principal, [i for i in ids if i])
    rows = []
    for e, cid in zip(events, ids, strict=True):
        name, _ext = labels.get(cid, ("", ""))
        sent = e.external_customer_id if e.customer_id is None else e.customer_id
        rows.append(Row(e, cid if cid in labels else None, name, sent or "",
                        (e.unmatched_reason or "").split(":", 1)[0], reason_sentence(e.unmatched_reason)))
    return rows


async def render_list(web: Web, *, tab: str, values: dict[str, str], offset: int, limit: int,
                      form: dict[str, str] | None = None, form_errors: dict[str, str] | None = None,
                      status: int = 200) -> Response:
    """``usage_list.html`` for ``tab`` with the filters ``values`` (re-match ``form`` and its errors when a
    re-match was refused)."""
    f = read_filters(values)
    events: list[Event] = []
    more = False
    if not f.errors:
        refs: list[str] = []
        customer_id = None
        if f.values["customer"]:
            ref = f.values["customer"]
            customer = (await repository.named_customer(web.session, web.principal, customer_id=ref)
                        or await repository.named_customer(web.session, web.principal, external_customer_id=ref))
            refs = [ref]
            if customer is not None:
                customer_id = customer.id
                refs = sorted({ref, customer.id, *([customer.external_customer_id]
                                                   if customer.external_customer_id else [])})
        events, more = await repository.browse(
            web.session, web.principal, status=tab, limit=limit, offset=offset, customer_refs=refs,
            customer_id=customer_id, event_name=f.values["event"] or None,
            reason=(f.values["reason"] or None) if tab == EventStatus.UNMATCHED else None, start=f.start, end=f.end)
    counts = {t: await repository.count_up_to(web.session, web.principal, t, COUNT_CAP)
              for t in (EventStatus.UNMATCHED, EventStatus.PENDING)}
    rematch = form if form is not None else {
        "customer": f.values["customer"], "from": f.values["from"] or (web.now.date() - timedelta(days=90)).isoformat(),
        "to": f.values["to"] or web.now.date().isoformat()}
    return web.render(
        "usage_list.html", status, tab=tab, tabs=TABS, filters=f.values, errors=f.errors,
        rematch_errors=form_errors or {},
        rows=await _rows(web, events), more=more, offset=offset, limit=limit, counts=counts, cap=COUNT_CAP,
        reasons=REASONS, rematch=rematch, rematched=web.request.query_params.get("rematched"))


@router.get("/usage")
async def usage_list(
    web: SignedIn,
    tab: str = Query(EventStatus.MATCHED),
    offset: str | None = Query(None),
    limit: str | None = Query(None),
    customer: str = Query(""),
    event: str = Query(""),
    reason: str = Query(""),
    start: str = Query("", alias="from"),
    end: str = Query("", alias="to"),
) -> Response:
    """The events of the session's organization and mode, newest first, one tab per status
    (``tab``: ``matched`` (default), ``unmatched``, ``pending``), ``limit`` per page (default 50, at most
    100) from ``offset``; "Next" while more follow (no total: a count of every event is too slow).
    Filters: ``customer`` (Monk or external customer id), ``event`` (event name), ``reason`` (unmatched
    reason code), ``from``/``to`` (UTC dates, inclusive). A malformed filter → 400 with its message next to
    the field. ``rematched=<n>`` shows the result of a re-match."""
    tab = tab if tab in TABS else EventStatus.MATCHED
    values = {"customer": customer, "event": event, "reason": reason, "from": start, "to": end}
    f = read_filters(values)
    return await render_list(web, tab=tab, values=values, offset=bounded_int(offset, 0, 0, MAX_OFFSET),
                             limit=bounded_int(limit, DEFAULT_LIMIT, 1, MAX_LIMIT), status=400 if f.errors else 200)


@router.post("/usage/rematch")
async def usage_rematch(web: AdminForm) -> Response:
    """Re-match one customer's unmatched events (admin) with ``events.service.rematch``, the service of
    ``POST /v1/events/rematch``. Form: ``customer`` (Monk or external customer id), ``from`` and ``to``
    (UTC dates, inclusive, at most 366 days). Success → 303 to the Unmatched tab filtered on the customer
    with ``rematched=<n>``; bad input or an unknown customer → 400, the Unmatched tab with the message next
    to the field, nothing changed. The worker matches the events within seconds."""
    form = {k: (web.fields.get(k) or "").strip() for k in ("customer", "from", "to")}
    errors: dict[str, str] = {}
    try:
        start, last = parse_day(form["from"]), parse_day(form["to"])
    except ValueError:
        start = last = None
        errors["from" if not _is_day(form["from"]) else "to"] = "Enter a date as YYYY-MM-DD."
    if not errors and (start is None or last is None):
        errors["from" if start is None else "to"] = "Enter a date."
    if not form["customer"]:
        errors["customer"] = "Enter the customer's id or external id."
    if not errors and start is not None and last is not None:
        ref = form["customer"]
        by_id = await repository.named_customer(web.session, web.principal, customer_id=ref) is not None
        try:
            body = RematchIn.model_validate({"customerId" if by_id else "externalCustomerId": ref,
                                             "start": start.isoformat(),
                                             "end": (last + timedelta(days=1)).isoformat()})
            n = await service.rematch(web.session, web.principal, body)
        except ValidationError as exc:
            errors = form_errors(exc, REMATCH_FIELDS)
        except MonkError as exc:
            errors = form_errors(exc, REMATCH_FIELDS)
            if exc.status_code == 404:
                errors = {"customer": exc.message}
        else:
            back = {"tab": EventStatus.UNMATCHED, "customer": ref, "rematched": n}
            return web.redirect("/usage?" + urlencode(back))
    await web.discard()
    return await render_list(web, tab=EventStatus.UNMATCHED, values={"customer": form["customer"]}, offset=0,
                             limit=DEFAULT_LIMIT, form=form, form_errors=errors,
                             status=400)


def _is_day(value: str) -> bool:
    try:
        parse_day(value)
    except ValueError:
        return False
    return True


def _extra_pages() -> Any:
    """The other usage pages register their routes on ``router`` when imported."""
    from monk.dashboard.pages import usage_chart, usage_new

    return usage_chart, usage_new


_extra_pages()

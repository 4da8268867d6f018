"""Meters (``/meters``): the list by status, the create form (code, event name, display name,
aggregation), a meter's page with its dimensional rate card (set or replace it, remove it) and the
archive button. Reads and writes go through the meters and rate-card services the API uses."""

from __future__ import annotations

import re
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from monk.dashboard.pages.catalog import dollars_text
from monk.dashboard.web import AdminForm, SignedIn, Web, form_errors
from monk.kit import deps
from monk.kit.errors import MonkError, NotFound
from monk.kit.pagination import MAX_LIMIT, Page
from monk.meters import repository, service
from monk.meters.schemas import MeterCreate, meter_out
from monk.models import Meter
from monk.ratecards import service as ratecards
from monk.ratecards.schemas import RateCardPut, rate_card_out

router = APIRouter(include_in_schema=False)
AGGREGATIONS = [("COUNT", "Count"), ("SUM", "Sum"), ("MAX", "Max"), ("MIN", "Min"), ("UNIQUE_COUNT", "Unique count")]
STATUSES = [("active", "Active"), ("inactive", "Archived"), ("all", "All")]
FIELDS = {"code": "code", "displayName": "display_name", "description": "description",
          "aggregationType": "aggregation", "aggregationKey": "aggregation_key", "groupKeys": "group_keys",
          "eventTypeFilter": "event_name"}
"""The API model's field names → the form's (errors are shown next to the form's field)."""
RATE_FIELDS = {"rates": "rates", "fallbackRate": "fallback"}
_ENTRY = re.compile(r"^(?P<dims>.*?)\s*->\s*(?P<rate>\S*)\s*$")


async def meter_options(web: Web) -> tuple[list[Meter], list[tuple[str, str]]]:
    """The first 100 meters of the session's organization and mode (archived ones too, oldest first) and
    their select options ``(id, "CODE — Display name")``, archived ones marked."""
    listed, _total = await repository.list_page(web.session, web.principal, Page(limit=MAX_LIMIT, offset=0),
                                                status="all")
    return listed, [(m.id, f"{m.code} — {m.display_name}" + (" (archived)" if m.archived_at else "")) for m in listed]


@router.get("/meters", response_class=HTMLResponse)
async def meter_list(web: SignedIn, page: deps.LongPage,
                     status: Literal["active", "inactive", "all"] = Query("active")) -> Response:
    """The meters of the session's organization and mode, oldest first, 50 a page (``offset``, ``limit``
    ≤ 100); ``status``: ``active`` (default), ``inactive`` (archived) or ``all``."""
    rows, total = await repository.list_page(web.session, web.principal, page, status=status)
    return web.render("catalog_meters.html", meters=[meter_out(m) for m in rows], total=total, page=page,
                      shown=status, statuses=STATUSES, aggregations=dict(AGGREGATIONS))


@router.get("/meters/new", response_class=HTMLResponse)
async def new_meter(web: SignedIn) -> Response:
    """The create form: code, event name, display name, aggregation and its key, group keys."""
    return web.render("catalog_meter_new.html", form={"aggregation": "COUNT"}, errors={}, aggregations=AGGREGATIONS)


def _names(raw: str) -> list[str]:
    """A comma-separated list of names, blanks dropped."""
    return [n.strip() for n in raw.split(",") if n.strip()]


def meter_body(form: dict[str, str]) -> dict[str, Any]:
    """The ``POST /v1/meters`` body of the form: the event name becomes ``eventTypeFilter.include``, the
    group keys a list; blank optional fields are left out."""
    body: dict[str, Any] = {"code": form.get("code", "").strip(), "displayName": form.get("display_name", "").strip(),
                            "aggregationType": form.get("aggregation") or "COUNT",
                            "groupKeys": _names(form.get("group_keys", ""))}
    events = _names(form.get("event_name", ""))
    if events:
        body["eventTypeFilter"] = {"include": events}
    for key, name in (("aggregationKey", "aggregation_key"), ("description", "description")):
        if form.get(name, "").strip():
            body[key] = form[name].strip()
    return body


@router.post("/meters/new", response_class=HTMLResponse)
async def create_meter(web: AdminForm) -> Response:
    """Create a meter as ``POST /v1/meters`` does → 303 to its page; bad input (code not UPPER_SNAKE, a
    missing aggregation key, a live meter with the code) → 400 with the message next to the field."""
    form = web.fields
    errors: dict[str, str] = {} if _names(form.get("event_name", "")) else {"event_name": "Enter the event name."}
    if not errors:
        try:
            meter = await service.create(web.session, web.principal, MeterCreate.model_validate(meter_body(form)),
                                         web.now)
        except (ValidationError, MonkError) as exc:
            await web.discard()
            errors = form_errors(exc, FIELDS)
            if isinstance(exc, MonkError) and exc.status_code == 409:
                errors = {"code": exc.message}
        else:
            return web.redirect(f"/meters/{meter.id}")
    return web.render("catalog_meter_new.html", 400, form=form, errors=errors, aggregations=AGGREGATIONS)


async def _meter_page(web: Web, meter_id: str, status: int = 200, **context: Any) -> Response:
    meter = await service.get(web.session, web.principal, meter_id)
    try:
        card, _ = await ratecards.get(web.session, web.principal, meter.id)
    except NotFound:
        card = None
    out = rate_card_out(card, meter) if card is not None else None
    context.setdefault("errors", {})
    lines = [entry_line(r, out["groupKeys"]) for r in out["rates"]] if out else []
    context.setdefault("form", {"fallback": (out["fallbackRate"] or "") if out else "", "rates": "\n".join(lines)})
    shape = ", ".join(f"{k}=…" for k in meter.group_keys or [])
    hint = (f"One combination a line: {shape} -> rate in dollars per unit (e.g. {shape.replace('…', 'x')} -> 2.00). "
            "Each line names every group key once; blank lines are ignored. Saving replaces the whole card.")
    return web.render("catalog_meter.html", status, m=meter_out(meter), card=out, rate_hint=hint,
                      aggregations=dict(AGGREGATIONS), **context)


def entry_line(rate: dict[str, Any], keys: list[str]) -> str:
    """One rate-card entry as a line of the form, its values in group-key order: ``region=eu, tier=gold -> 2.00``."""
    return ", ".join(f"{k}={rate['dimensions'].get(k, '')}" for k in keys) + f" -> {rate['unitAmount']}"


@router.get("/meters/{meter_id}", response_class=HTMLResponse)
async def meter_page(web: SignedIn, meter_id: str) -> Response:
    """One meter (archived ones too) with its rate card's entries and fallback rate (dollars per unit);
    404 when unknown in this organization and mode."""
    return await _meter_page(web, meter_id)


def parse_entries(text: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The rate card textarea: one entry a line, ``key=value, key=value -> rate`` (blank lines ignored).

    Returns the API's ``rates`` and each entry's line number. Raises ``ValueError`` naming the line
    for a line without ``->``, a pair without ``=`` or a key given twice."""
    rates: list[dict[str, Any]] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _ENTRY.match(line.strip())
        if match is None:
            raise ValueError(f"line {number}: write key=value, key=value -> rate")
        dims: dict[str, str] = {}
        for pair in (p for p in match["dims"].split(",") if p.strip()):
            key, sep, value = pair.partition("=")
            if not sep:
                raise ValueError(f"line {number}: “{pair.strip()}” is not key=value")
            if key.strip() in dims:
                raise ValueError(f"line {number}: {key.strip()} is given twice")
            dims[key.strip()] = value.strip()
        rates.append({"dimensions": dims, "unitAmount": dollars_text(match["rate"]) or ""})
        lines.append(number)
    return rates, lines


def _entry_error(message: str, lines: list[int]) -> str:
    """A service's or model's message about ``rates[i]`` in terms of the textarea's line numbers."""
    return re.sub(r"rates\[(\d+)\](\.\w+)?", lambda m: f"line {lines[int(m[1])]}" if int(m[1]) < len(lines) else m[0],
                  message)


@router.post("/meters/{meter_id}/rate-card", response_class=HTMLResponse)
async def put_rate_card(web: AdminForm, meter_id: str) -> Response:
    """Create or replace the meter's rate card as ``PUT /v1/meters/{id}/rate-card`` does (open drafts are
    re-rated) → 303 to the meter's page; a bad line or rate → 400 with the message next to the field,
    nothing stored; 404 unknown meter; an archived meter → 400 with the message."""
    form = web.fields
    errors: dict[str, str]
    try:
        rates, lines = parse_entries(form.get("rates", ""))
    except ValueError as exc:
        return await _meter_page(web, meter_id, 400, form=form, errors={"rates": str(exc)})
    try:
        body = RateCardPut.model_validate({"rates": rates, "fallbackRate": dollars_text(form.get("fallback", ""))})
        await ratecards.put(web.session, web.principal, meter_id, body, web.now)
    except ValidationError as exc:
        errors = {}
        for err in exc.errors():
            loc = [str(p) for p in err["loc"]]
            where = f"rates[{loc[1]}]: " if loc[0] == "rates" and len(loc) > 1 else ""
            key = RATE_FIELDS.get(loc[0], "")
            errors.setdefault(key, _entry_error(where + str(err["msg"]), lines))
    except MonkError as exc:
        await web.discard()
        if exc.status_code == 404:
            raise
        errors = {"rates": _entry_error(exc.message, lines)}
    else:
        return web.redirect(f"/meters/{meter_id}")
    return await _meter_page(web, meter_id, 400, form=form, errors=errors)


@router.post("/meters/{meter_id}/rate-card/delete", response_class=HTMLResponse)
async def delete_rate_card(web: AdminForm, meter_id: str) -> Response:
    """Remove the meter's rate card as ``DELETE /v1/meters/{id}/rate-card`` does → 303 to the meter's
    page; 404 unknown meter or no rate card."""
    await ratecards.delete(web.session, web.principal, meter_id, web.now)
    return web.redirect(f"/meters/{meter_id}")


@router.post("/meters/{meter_id}/archive", response_class=HTMLResponse)
async def archive_meter(web: AdminForm, meter_id: str) -> Response:
    """Archive the meter as ``DELETE /v1/meters/{id}`` does → 303 to its page; 404 unknown meter; already
    archived or priced in a draft or active plan → 409 with the reason on the meter's page."""
    try:
        await service.archive(web.session, web.principal, meter_id, web.now)
    except MonkError as exc:
        await web.discard()
        if exc.status_code != 409:
            raise
        return await _meter_page(web, meter_id, 409, archive_error=exc.message)
    return web.redirect(f"/meters/{meter_id}")

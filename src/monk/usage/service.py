"""Usage rules: the price estimate (reference §7.4), the cost of stored usage (§12.4) and the legacy
usage shim (§14). Never commits.

List pricing (estimate, and usage cost without ``contractId``) is org-level: for every active meter,
the rate of a dimension combination is the meter's rate-card entry, else its fallback, else the
``unitAmount`` of the oldest untiered USAGE pricing on the meter; a meter with neither a rate card
nor such a pricing is not priced (and a combination with no rate is not priced either). The estimate
prices each event on its own: quantity 1 for COUNT and UNIQUE_COUNT meters, the aggregation key's
value for SUM/MAX/MIN, with no tiers, flat amounts or minimums, and no rounding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.bounds import MAX_PLACES, MAX_QUANTITY, OutOfBounds, check_dollars
from monk.billing.dimensions import canonical
from monk.billing.matching import REASON_VALUE_OUT_OF_RANGE, match_event, property_text
from monk.billing.money import format_quantity
from monk.contracts import repository as contracts
from monk.contracts.service import billing_of
from monk.customers import repository as customers
from monk.events.schemas import MAX_FUTURE
from monk.invoices import engine
from monk.invoices.service import quantities
from monk.kit.auth import Principal
from monk.kit.clock import iso_ms
from monk.kit.errors import Conflict, NotFound, Unprocessable, ValidationFailed
from monk.kit.ids import new_id
from monk.kit.time import ensure_utc, midnight
from monk.meters.service import meter_spec
from monk.models import Contract, Customer, Meter
from monk.models.shapes import load_rate_entries
from monk.models.statuses import EventStatus, MeterStatus
from monk.ratecards import repository as ratecards
from monk.usage import repository
from monk.usage.pricing import Accumulator, ListRate, event_quantity, json_number, split_credits, times, to_credits
from monk.usage.pricing import total as exact_total
from monk.usage.schemas import EstimateIn, LegacyUsageIn, UsageCostIn

NUMERIC_AGGREGATIONS = ("SUM", "MAX", "MIN")


async def list_rates(session: AsyncSession, who: Principal, *, event_names: list[str] | None = None) -> list[ListRate]:
    """The org-level list price of every active meter that has one, oldest meter first.

    ``event_names`` (when given) keeps only meters whose ``eventTypeFilter.include`` names one of them.
    """
    meters = await repository.active_meters(session, who)
    if event_names is not None:
        wanted = set(event_names)
        meters = [m for m in meters if wanted & set(m.event_include or [])]
    ids = {m.id for m in meters}
    cards = await ratecards.by_meter(session, who, ids)
    units = await repository.list_unit_amounts(session, who, ids)
    out: list[ListRate] = []
    for m in meters:
        card, pricing = cards.get(m.id), units.get(m.id)
        if card is None and pricing is None:
            continue
        entries = {canonical(e.dimensions): e.unit_amount for e in load_rate_entries(card.entries if card else None)}
        out.append(ListRate(meter_id=m.id, code=m.code, display_name=m.display_name, spec=meter_spec(m),
                            entries=entries, fallback=card.fallback_rate if card else None,
                            unit=pricing.unit_amount if pricing else None))
    return out


def _unit_fields(credit_rate_cents: int | None) -> dict[str, Any]:
    if credit_rate_cents is None:
        return {"currency": "USD", "unit": "currency"}
    return {"creditRateCents": credit_rate_cents, "unit": "credits"}


async def estimate(session: AsyncSession, who: Principal, body: EstimateIn, *, now: datetime) -> dict[str, Any]:
    """Price synthetic events with list pricing; nothing is stored (reference §7.4).

    Returns ``{"events": [{"idempotencyKey"?, "totalAmount"}], "meters": [{"meterName" (code),
    "meterDisplayName", "totalQuantity", "totalAmount"}], "totalAmount", "currency" | "creditRateCents",
    "unit", "estimatedAt"}``: events in input order (``idempotencyKey`` only when given), meters that
    priced at least one event in meter creation order. Amounts are dollars, or credits (``dollars * 100 /
    creditRateCents``, 6 decimals) when ``creditRateCents`` is given; they are summed exactly in
    ``Decimal`` (Σ events = Σ meters = total) and become JSON numbers only on output.
    """
    rates = await list_rates(session, who)
    per_event: list[Decimal] = []
    meter_qty: dict[str, Decimal] = defaultdict(Decimal)
    meter_amount: dict[str, list[Decimal]] = defaultdict(list)
    for i, ev in enumerate(body.events):
        amounts: list[Decimal] = []
        for r in rates:
            m = match_event(r.spec, ev.event_name, ev.properties)
            if m.reason == REASON_VALUE_OUT_OF_RANGE:
                raise _beyond(f"events.{i}.properties.{r.spec.aggregation_key}", OutOfBounds(
                    f"the value must be less than {MAX_QUANTITY:,} in absolute value with at most "
                    f"{MAX_PLACES} decimal places"))
            if not m.accepted:
                continue
            rate = r.rate(canonical(m.dimensions))
            if rate is None:
                continue
            try:
                qty = event_quantity(r.spec.aggregation_type, m.value)
                amount = check_dollars(times(qty, rate), what=f"its price on meter {r.code}")
            except OutOfBounds as exc:
                raise _beyond(f"events.{i}.properties.{r.spec.aggregation_key}", exc) from None
            meter_qty[r.meter_id] += qty
            meter_amount[r.meter_id].append(amount)
            amounts.append(amount)
        per_event.append(exact_total(amounts))
    matched = [r for r in rates if r.meter_id in meter_amount]
    per_meter = [exact_total(meter_amount[r.meter_id]) for r in matched]
    grand = exact_total(per_event)
    try:
        for amount in (*per_event, *per_meter, grand):
            check_dollars(amount, what="the estimate")
    except OutOfBounds as exc:
        raise _beyond("events", exc) from None
    assert grand == exact_total(per_meter)
    if body.credit_rate_cents is not None:
        per_event, grand = split_credits(per_event, body.credit_rate_cents)
        per_meter, _ = split_credits(per_meter, body.credit_rate_cents)
    events_out = []
    for ev, amount in zip(body.events, per_event, strict=True):
        item: dict[str, Any] = {"idempotencyKey": ev.idempotency_key} if ev.idempotency_key is not None else {}
        item["totalAmount"] = json_number(amount)
        events_out.append(item)
    return {
        "events": events_out,
        "meters": [{"meterName": r.code, "meterDisplayName": r.display_name,
                    "totalQuantity": json_number(meter_qty[r.meter_id]), "totalAmount": json_number(amount)}
                   for r, amount in zip(matched, per_meter, strict=True)],
        "totalAmount": json_number(grand),
        **_unit_fields(body.credit_rate_cents),
        "estimatedAt": iso_ms(now),
    }


def _beyond(field: str, exc: OutOfBounds) -> ValidationFailed:
    """The 400 for a number beyond its bound (``monk.billing.bounds``), naming ``field``."""
    return ValidationFailed(f"{field}: {exc}", details=[{"field": field, "message": str(exc)}])


def _passes(properties: dict[str, Any], filters: list[tuple[str, str]]) -> bool:
    return all(key in properties and property_text(properties[key]) == value for key, value in filters)


async def _customer(session: AsyncSession, who: Principal, body: UsageCostIn) -> Customer | None:
    """The customer named by ``customerId`` / ``externalCustomerId`` (both must agree), or None if neither."""
    found: Customer | None = None
    if body.customer_id is not None:
        found = await customers.get(session, who, body.customer_id)
        if found is None:
            raise NotFound(f"Customer '{body.customer_id}' not found")
    if body.external_customer_id is not None:
        by_ext = await customers.by_external_id(session, who, body.external_customer_id)
        if by_ext is None:
            raise NotFound(f"Customer with externalCustomerId '{body.external_customer_id}' not found")
        if found is not None and found.id != by_ext.id:
            raise ValidationFailed("customerId and externalCustomerId name different customers")
        found = by_ext
    return found


async def usage_cost(session: AsyncSession, who: Principal, body: UsageCostIn, *, now: datetime) -> dict[str, Any]:
    """The cost of stored usage in ``[startDate, endDate)`` (reference §12.4).

    With ``contractId``: priced exactly like the contract's invoices (plan pricing, rate cards,
    overrides, per billing period, each line rounded to cents; see ``contract_cost``); dates default to
    the contract's start and end (now for a rolling contract; a rolling contract that has not started
    yet gives an empty window and 0). Without it: the customer's stored events,
    aggregated per meter and dimension combination with the meter's aggregation, priced with list rates
    (exact, like the estimate). ``eventNames`` keeps meters whose include filter names one of them;
    ``propertyFilters`` keep events whose properties equal the given values.

    Returns ``{"totalAmount", "currency" | "creditRateCents", "unit", "startDate", "endDate",
    "queriedAt"}`` (``totalAmount`` a JSON number in dollars, or credits rounded to 6 decimals).
    Raises ``ValidationFailed`` (400) without any of customerId/externalCustomerId/contractId, without
    both dates and no contract, for ``endDate <= startDate``, or when the customer does not own the
    contract; ``NotFound`` (404) for an unknown contract or customer.
    """
    if body.contract_id is None and body.customer_id is None and body.external_customer_id is None:
        raise ValidationFailed("one of customerId, externalCustomerId or contractId is required")
    start = ensure_utc(body.start_date) if body.start_date else None
    end = ensure_utc(body.end_date) if body.end_date else None
    customer = await _customer(session, who, body)
    filters = [(f.key, property_text(f.value)) for f in body.property_filters or []]
    if body.contract_id is not None:
        contract = await contracts.get(session, who, body.contract_id)
        if contract is None:
            raise NotFound(f"Contract '{body.contract_id}' not found")
        if customer is not None and customer.id != contract.customer_id:
            raise ValidationFailed(f"the customer does not own contract '{contract.id}'")
        start = start or midnight(contract.start_date)
        end = end or (midnight(contract.end_date) if contract.end_date else now)
        if body.start_date is None and body.end_date is None and end <= start:
            end = start  # a rolling contract that has not started yet: an empty window costs nothing
            dollars = Decimal(0)
        else:
            _check_window(start, end)
            dollars = await _bounded(contract_cost(session, who, contract, start, end, event_names=body.event_names,
                                                   filters=filters))
    else:
        if start is None or end is None:
            raise ValidationFailed("startDate and endDate are required unless contractId is given")
        _check_window(start, end)
        assert customer is not None
        dollars = await _bounded(list_cost(session, who, customer, start, end, event_names=body.event_names,
                                           filters=filters))
    amount = dollars if body.credit_rate_cents is None else to_credits(dollars, body.credit_rate_cents)
    return {"totalAmount": json_number(amount), **_unit_fields(body.credit_rate_cents),
            "startDate": iso_ms(start), "endDate": iso_ms(end), "queriedAt": iso_ms(now)}


async def _bounded(cost: Awaitable[Decimal]) -> Decimal:
    """The awaited cost (dollars), or a 400 naming ``totalAmount`` when stored usage holds a value
    beyond the quantity bound or a line or the total reaches the amount bound (``monk.billing.bounds``)."""
    try:
        return check_dollars(await cost, what="the usage cost")
    except OutOfBounds as exc:
        raise _beyond("totalAmount", exc) from None


def _check_window(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationFailed("endDate must be after startDate")


async def list_cost(
    session: AsyncSession, who: Principal, customer: Customer, start: datetime, end: datetime, *,
    event_names: list[str] | None, filters: list[tuple[str, str]],
) -> Decimal:
    """The customer's stored events in ``[start, end)`` priced with list rates: aggregated per meter and
    dimension combination with the meter's aggregation, times the combination's rate. Exact dollars."""
    rates = await list_rates(session, who, event_names=event_names)
    if not rates:
        return Decimal(0)
    acc: dict[tuple[int, tuple[tuple[str, str], ...]], Accumulator] = {}
    async for name, properties in repository.customer_events(session, who, customer, start, end):
        if filters and not _passes(properties, filters):
            continue
        for i, r in enumerate(rates):
            m = match_event(r.spec, name, properties)
            if not m.accepted:
                continue
            key = (i, canonical(m.dimensions))
            if key not in acc:
                acc[key] = Accumulator(r.spec.aggregation_type)
            acc[key].add(m.value)
    amounts = []
    for (i, dims), a in sorted(acc.items(), key=lambda kv: kv[0]):
        rate = rates[i].rate(dims)
        if rate is not None:
            amounts.append(times(a.quantity(), rate))
    return exact_total(amounts)


async def contract_cost(
    session: AsyncSession, who: Principal, contract: Contract, start: datetime, end: datetime, *,
    event_names: list[str] | None, filters: list[tuple[str, str]],
) -> Decimal:
    """What the contract's invoices charge for usage whose events fall in ``[start, end)``: for every
    billing period overlapping the window, the metered lines the invoice engine builds
    (``invoices.engine.usage_lines``: each phase's plan pricing, rate cards, overrides; flat amounts
    and minimums of those periods included) from those events only, each rounded to cents; fixed fees
    are not usage and are left out. ``event_names`` keeps the lines whose meter's include filter names
    one of them. Usage counts once the worker has matched it (as on the invoice). Dollars at cents
    precision."""
    billing = await billing_of(session, contract)
    last_day = (end - timedelta(microseconds=1)).date()
    periods = [p for p in billing.periods(last_day) if p.start_at < end and p.end_at > start]
    values: dict[Any, dict[str, list[tuple[str, str, str | None]]]] = defaultdict(lambda: defaultdict(list))
    async for period_start, phase_id, meter_id, dim_key, value, properties in repository.contract_usage(
            session, who, contract.id, start, end, with_properties=bool(filters)):
        if filters and not _passes(properties or {}, filters):
            continue
        values[period_start][phase_id].append((meter_id, dim_key, value))
    wanted = set(event_names) if event_names is not None else None
    amounts: list[Decimal] = []
    for period in periods:
        by_phase = {phase_id: quantities(billing.meters, vals) for phase_id, vals in values[period.start].items()}
        for e in engine.usage_lines(billing, period, by_phase):
            meter = billing.meters.get(e.meter_id or "")
            if wanted is None or (meter is not None and wanted & set(meter.event_include or [])):
                amounts.append(e.line.amount)
    return exact_total(amounts)


def _legacy_property(quantity: Decimal) -> int | str:
    return int(quantity) if quantity == quantity.to_integral_value() and abs(quantity) < 2**53 else \
        format_quantity(quantity)


async def _legacy_customer(session: AsyncSession, who: Principal, ref: str) -> Customer:
    found = await customers.get(session, who, ref) or await customers.by_external_id(session, who, ref)
    if found is None:
        raise Unprocessable(f"customerId: customer '{ref}' not found")
    return found


def _legacy_event_name(meter: Meter, pricing_code: str) -> str:
    include = list(meter.event_include or [])
    name = next((n for n in include if n not in (meter.event_exclude or [])), None)
    if name is None:
        raise Unprocessable(f"pricingCode: the meter of pricing '{pricing_code}' has no event name "
                            "(eventTypeFilter.include is empty); send events instead")
    return name


async def record_legacy_usage(
    session: AsyncSession, who: Principal, body: LegacyUsageIn, *, now: datetime,
) -> dict[str, Any]:
    """Store a legacy usage (``POST /api/v1/usages``) as an event the pricing's meter accepts.

    The event: ``eventName`` = the first name of the meter's ``eventTypeFilter.include`` (not excluded),
    the Monk customer id, ``properties`` = the given ones plus ``{aggregationKey: quantity}`` for SUM,
    MAX and MIN meters; COUNT meters take ``quantity`` 1 only (one usage = one event). It bills like any
    event once the worker has matched it (on whichever pricing of the customer's contract uses that meter).
    ``customerId`` may be the Monk id or the external customer id.

    Returns ``{"id" (event id), "customerId" (Monk id), "pricingCode", "quantity", "idempotencyKey",
    "timestamp"}``. Raises ``ValidationFailed`` (400) for a timestamp more than 1 hour ahead or properties
    that set the aggregation key; ``Unprocessable`` (422) for an unknown customer or pricing code, a
    pricing that is not USAGE/TIER, an archived/inactive meter, a meter without an include list, a
    UNIQUE_COUNT meter, a COUNT meter with quantity other than 1, or an event the meter would still
    reject (e.g. a property filter); ``Conflict`` (409) when the idempotency key is already stored.
    """
    timestamp = ensure_utc(body.timestamp) if body.timestamp is not None else now
    if timestamp > now + MAX_FUTURE:
        raise ValidationFailed("timestamp: must not be more than 1 hour in the future")
    customer = await _legacy_customer(session, who, body.customer_id)
    pricing = await repository.pricing_by_code(session, who, body.pricing_code)
    if pricing is None:
        raise Unprocessable(f"pricingCode: pricing '{body.pricing_code}' not found")
    if pricing.model not in ("USAGE", "TIER") or pricing.meter_id is None:
        raise Unprocessable(f"pricingCode: pricing '{body.pricing_code}' is {pricing.model}, not usage-based "
                            "(USAGE or TIER)")
    meter = await repository.meter(session, who, pricing.meter_id)
    if meter is None or meter.archived_at is not None or meter.status != MeterStatus.ACTIVE:
        raise Unprocessable(f"pricingCode: the meter of pricing '{body.pricing_code}' is archived or inactive")
    name = _legacy_event_name(meter, body.pricing_code)
    properties: dict[str, Any] = dict(body.properties)
    quantity: Decimal = body.quantity
    if meter.aggregation_type in NUMERIC_AGGREGATIONS:
        key = meter.aggregation_key or ""
        if key in properties:
            raise ValidationFailed(f"properties: must not set '{key}', the meter's aggregation key; use quantity")
        properties[key] = _legacy_property(quantity)
    elif meter.aggregation_type == "COUNT":
        if quantity != 1:
            raise Unprocessable(f"quantity: pricing '{body.pricing_code}' counts events (COUNT meter); each usage "
                                "counts 1, so quantity must be 1")
    else:
        raise Unprocessable(f"pricingCode: pricing '{body.pricing_code}' counts unique values "
                            f"({meter.aggregation_type}); send events instead")
    m = match_event(meter_spec(meter), name, properties)
    if not m.accepted:
        raise Unprocessable(f"the meter of pricing '{body.pricing_code}' would not accept this usage: {m.reason}")
    if await repository.event_key_taken(session, who, body.idempotency_key):
        raise Conflict(f"A usage with idempotencyKey '{body.idempotency_key}' already exists")
    row = {"id": new_id(), "org_id": who.org_id, "mode": who.mode, "idempotency_key": body.idempotency_key,
           "event_name": name, "customer_id": customer.id, "external_customer_id": None, "contract_id": None,
           "timestamp": timestamp, "properties": properties, "received_at": now, "status": EventStatus.PENDING,
           "unmatched_reason": None}
    try:
        async with session.begin_nested():  # a savepoint: a concurrent request may take the key first
            await repository.insert_event(session, row)
    except IntegrityError:
        raise Conflict(f"A usage with idempotencyKey '{body.idempotency_key}' already exists") from None
    return {"id": row["id"], "customerId": customer.id, "pricingCode": pricing.code,
            "quantity": json_number(quantity), "idempotencyKey": body.idempotency_key,
            "timestamp": iso_ms(timestamp)}

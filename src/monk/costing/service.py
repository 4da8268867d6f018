"""Costing rules: the price estimate (reference §7.4) and the cost of stored usage (§12.4). Never
commits.

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

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing import assembly
from monk.billing.bounds import MAX_PLACES, MAX_QUANTITY, OutOfBounds, check_dollars
from monk.billing.dimensions import canonical
from monk.billing.matching import REASON_VALUE_OUT_OF_RANGE, match_event, property_text
from monk.contracts import repository as contracts
from monk.contracts.service import billing_of
from monk.costing import repository
from monk.costing.pricing import Accumulator, ListRate, event_quantity, json_number, split_credits, times, to_credits
from monk.costing.pricing import total as exact_total
from monk.costing.schemas import EstimateIn, UsageCostIn
from monk.customers import repository as customers
from monk.invoicing.service import quantities
from monk.kit.auth import Principal
from monk.kit.clock import iso_ms
from monk.kit.errors import NotFound, ValidationFailed
from monk.kit.time import ensure_utc, midnight
from monk.meters.service import meter_spec
from monk.models import Contract, Customer
from monk.models.shapes import load_rate_entries
from monk.ratecards import repository as ratecards


async def list_rates(
    session: AsyncSession, principal: Principal, *, event_names: list[str] | None = None,
) -> list[ListRate]:
    """The org-level list price of every active meter that has one, oldest meter first.

    ``event_names`` (when given) keeps only meters whose ``eventTypeFilter.include`` names one of them.
    """
    meters = await repository.active_meters(session, principal)
    if event_names is not None:
        wanted = set(event_names)
        meters = [m for m in meters if wanted & set(m.event_include or [])]
    ids = {m.id for m in meters}
    cards = await ratecards.by_meter(session, principal, ids)
    units = await repository.list_unit_amounts(session, principal, ids)
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


async def estimate(session: AsyncSession, principal: Principal, body: EstimateIn, *, now: datetime) -> dict[str, Any]:
    """Price synthetic events with list pricing; nothing is stored (reference §7.4).

    Returns ``{"events": [{"idempotencyKey"?, "totalAmount"}], "meters": [{"meterName" (code),
    "meterDisplayName", "totalQuantity", "totalAmount"}], "totalAmount", "currency" | "creditRateCents",
    "unit", "estimatedAt"}``: events in input order (``idempotencyKey`` only when given), meters that
    priced at least one event in meter creation order. Amounts are dollars, or credits (``dollars * 100 /
    creditRateCents``, 6 decimals) when ``creditRateCents`` is given; they are summed exactly in
    ``Decimal`` (Σ events = Σ meters = total) and become JSON numbers only on output.
    """
    rates = await list_rates(session, principal)
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


async def _customer(session: AsyncSession, principal: Principal, body: UsageCostIn) -> Customer | None:
    """The customer named by ``customerId`` / ``externalCustomerId`` (both must agree), or None if neither."""
    found: Customer | None = None
    if body.customer_id is not None:
        found = await customers.get(session, principal, body.customer_id)
        if found is None:
            raise NotFound(f"Customer '{body.customer_id}' not found")
    if body.external_customer_id is not None:
        by_ext = await customers.by_external_id(session, principal, body.external_customer_id)
        if by_ext is None:
            raise NotFound(f"Customer with externalCustomerId '{body.external_customer_id}' not found")
        if found is not None and found.id != by_ext.id:
            raise ValidationFailed("customerId and externalCustomerId name different customers")
        found = by_ext
    return found


async def usage_cost(
    session: AsyncSession, principal: Principal, body: UsageCostIn, *, now: datetime,
) -> dict[str, Any]:
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
    customer = await _customer(session, principal, body)
    filters = [(f.key, property_text(f.value)) for f in body.property_filters or []]
    if body.contract_id is not None:
        contract = await contracts.get(session, principal, body.contract_id)
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
            dollars = await _bounded(contract_cost(session, principal, contract, start, end,
                                                   event_names=body.event_names, filters=filters))
    else:
        if start is None or end is None:
            raise ValidationFailed("startDate and endDate are required unless contractId is given")
        _check_window(start, end)
        assert customer is not None
        dollars = await _bounded(list_cost(session, principal, customer, start, end, event_names=body.event_names,
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
    session: AsyncSession, principal: Principal, customer: Customer, start: datetime, end: datetime, *,
    event_names: list[str] | None, filters: list[tuple[str, str]],
) -> Decimal:
    """The customer's stored events in ``[start, end)`` priced with list rates: aggregated per meter and
    dimension combination with the meter's aggregation, times the combination's rate. Exact dollars."""
    rates = await list_rates(session, principal, event_names=event_names)
    if not rates:
        return Decimal(0)
    acc: dict[tuple[int, tuple[tuple[str, str], ...]], Accumulator] = {}
    async for name, properties in repository.customer_events(session, principal, customer, start, end):
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
    session: AsyncSession, principal: Principal, contract: Contract, start: datetime, end: datetime, *,
    event_names: list[str] | None, filters: list[tuple[str, str]],
) -> Decimal:
    """What the contract's invoices charge for usage whose events fall in ``[start, end)``: for every
    billing period overlapping the window, the metered lines the invoice engine builds
    (``billing.assembly.usage_lines``: each phase's plan pricing, rate cards, overrides; flat amounts
    and minimums of those periods included) from those events only, each rounded to cents; fixed fees
    are not usage and are left out. ``event_names`` keeps the lines whose meter's include filter names
    one of them. Usage counts once the worker has matched it (as on the invoice). Dollars at cents
    precision."""
    billing = await billing_of(session, contract)
    last_day = (end - timedelta(microseconds=1)).date()
    periods = [p for p in billing.periods(last_day) if p.start_at < end and p.end_at > start]
    values: dict[Any, dict[str, list[tuple[str, str, str | None]]]] = defaultdict(lambda: defaultdict(list))
    async for period_start, phase_id, meter_id, dim_key, value, properties in repository.contract_usage(
            session, principal, contract.id, start, end, with_properties=bool(filters)):
        if filters and not _passes(properties or {}, filters):
            continue
        values[period_start][phase_id].append((meter_id, dim_key, value))
    wanted = set(event_names) if event_names is not None else None
    amounts: list[Decimal] = []
    for period in periods:
        by_phase = {phase_id: quantities(billing.meters, vals) for phase_id, vals in values[period.start].items()}
        for e in assembly.usage_lines(billing.context, period, by_phase):
            meter = billing.meters.get(e.meter_id or "")
            if wanted is None or (meter is not None and wanted & set(meter.event_include or [])):
                amounts.append(e.line.amount)
    return exact_total(amounts)

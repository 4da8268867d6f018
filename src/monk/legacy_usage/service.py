"""The legacy usage shim (reference §14): a usage against a pricing code stored as an event. Never commits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.aggregation import NUMERIC_AGGREGATIONS
from monk.billing.context import METERED_MODELS
from monk.billing.matching import match_event
from monk.billing.money import format_quantity
from monk.costing.pricing import json_number
from monk.customers import repository as customers
from monk.events.schemas import MAX_FUTURE, ValidEvent
from monk.events.service import to_rows
from monk.kit.auth import Principal
from monk.kit.clock import iso_ms
from monk.kit.errors import Conflict, Unprocessable, ValidationFailed
from monk.kit.notify import announce
from monk.kit.time import ensure_utc
from monk.legacy_usage import repository
from monk.legacy_usage.schemas import LegacyUsageIn
from monk.meters.service import meter_spec
from monk.models import Customer, Meter
from monk.models.statuses import MeterStatus


def _legacy_property(quantity: Decimal) -> int | str:
    return int(quantity) if quantity == quantity.to_integral_value() and abs(quantity) < 2**53 else \
        format_quantity(quantity)


async def _legacy_customer(session: AsyncSession, principal: Principal, ref: str) -> Customer:
    found = await customers.get(session, principal, ref) or await customers.by_external_id(session, principal, ref)
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
    session: AsyncSession, principal: Principal, body: LegacyUsageIn, *, now: datetime,
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
    customer = await _legacy_customer(session, principal, body.customer_id)
    pricing = await repository.pricing_by_code(session, principal, body.pricing_code)
    if pricing is None:
        raise Unprocessable(f"pricingCode: pricing '{body.pricing_code}' not found")
    if pricing.model not in METERED_MODELS or pricing.meter_id is None:
        raise Unprocessable(f"pricingCode: pricing '{body.pricing_code}' is {pricing.model}, not usage-based "
                            "(USAGE or TIER)")
    meter = await repository.meter(session, principal, pricing.meter_id)
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
    if await repository.event_key_taken(session, principal, body.idempotency_key):
        raise Conflict(f"A usage with idempotencyKey '{body.idempotency_key}' already exists")
    [row] = to_rows(principal, [ValidEvent(name, customer.id, None, None, body.idempotency_key, timestamp, properties)],
                    now)
    try:
        async with session.begin_nested():  # a savepoint: a concurrent request may take the key first
            await repository.insert_event(session, row)
    except IntegrityError:
        raise Conflict(f"A usage with idempotencyKey '{body.idempotency_key}' already exists") from None
    await announce(session)  # the worker matches it as soon as the request commits
    return {"id": row["id"], "customerId": customer.id, "pricingCode": pricing.code,
            "quantity": json_number(quantity), "idempotencyKey": body.idempotency_key,
            "timestamp": iso_ms(timestamp)}

"""Bodies of the estimate (reference §7.4), usage cost (§12.4) and legacy usage (§14) endpoints."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator
from pydantic_core import PydanticCustomError

from monk.billing.bounds import MAX_QUANTITY, PROPERTY_RANGE, number_in_bounds
from monk.billing.money import parse_decimal
from monk.kit.bounds import InstantIn
from monk.kit.schemas import CamelModel, Instant, ResponseModel

MAX_ESTIMATE_EVENTS = 500
MAX_INT32 = 2_147_483_647


def _bounded(value: Any) -> Any:
    if not number_in_bounds(value):
        raise PydanticCustomError("number_bound", PROPERTY_RANGE)
    return value


# A JSON number must stay below the quantity bound (|value| < 10**15), as at event ingestion.
PropertyValue = Annotated[StrictStr | StrictBool | StrictInt | StrictFloat, AfterValidator(_bounded)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
CreditRate = Annotated[StrictInt, Field(ge=1, le=MAX_INT32)]
_QUANTITY_RE = re.compile(r"^\d+(\.\d+)?$")


class EstimateEvent(CamelModel):
    """A synthetic event to price: ``eventName``, optional ``idempotencyKey`` (echoed back) and flat
    ``properties``. Customer and contract ids and ``timestamp`` are accepted and ignored."""

    event_name: Name
    idempotency_key: Name | None = None
    properties: dict[str, PropertyValue] = Field(default_factory=dict, max_length=200)
    customer_id: Name | None = None
    external_customer_id: Name | None = None
    contract_id: Name | None = None
    timestamp: InstantIn | None = None


class EstimateIn(CamelModel):
    """Body of ``POST /v1/pricing/estimate``: 1..500 events and an optional ``creditRateCents`` (>= 1)."""

    events: list[EstimateEvent] = Field(min_length=1, max_length=MAX_ESTIMATE_EVENTS)
    credit_rate_cents: CreditRate | None = None


class PropertyEquals(CamelModel):
    """An equality condition on an event property: ``{"key", "value"}``; numbers and booleans compare by
    their string form (``true``/``false``)."""

    key: Name
    value: StrictStr | StrictInt | StrictBool


class UsageCostIn(CamelModel):
    """Body of ``POST /v1/usage/cost``. ``startDate`` inclusive, ``endDate`` exclusive (ISO date-time or
    date; naive = UTC); at least one of ``customerId``, ``externalCustomerId``, ``contractId``."""

    start_date: InstantIn | None = None
    end_date: InstantIn | None = None
    customer_id: Name | None = None
    external_customer_id: Name | None = None
    contract_id: Name | None = None
    event_names: list[Name] | None = Field(None, max_length=50)
    property_filters: list[PropertyEquals] | None = Field(None, max_length=20)
    credit_rate_cents: CreditRate | None = None


def parse_quantity(value: Any) -> Decimal:
    """A legacy usage quantity: a JSON number or a plain decimal string (``^\\d+(\\.\\d+)?$``), > 0 and
    < 10**15 (``monk.billing.bounds.MAX_QUANTITY``), exact.

    Raises ``ValueError`` for booleans, other types, non-finite numbers, other formats, zero, or values
    from 10**15 up.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("must be a number or a decimal string")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        value = repr(value)
        if "e" in value or "E" in value:
            value = format(Decimal(value), "f")
    elif isinstance(value, int):
        value = str(value)
    elif not _QUANTITY_RE.fullmatch(value):
        raise ValueError('must be a positive decimal such as "12.5"')
    quantity = parse_decimal(value)
    if quantity <= 0:
        raise ValueError("must be greater than 0")
    if quantity >= MAX_QUANTITY:
        raise ValueError(f"must be less than {MAX_QUANTITY:,} (the largest quantity billed)")
    return quantity


class LegacyUsageIn(CamelModel):
    """Body of ``POST /api/v1/usages`` (legacy): ``customerId``, ``pricingCode``, ``quantity`` (> 0, number
    or decimal string), ``idempotencyKey`` (required), optional ``timestamp`` (ISO, at most 1 hour ahead)
    and flat ``properties``."""

    customer_id: Name
    pricing_code: Annotated[str, Field(min_length=1, max_length=200)]
    quantity: Any
    idempotency_key: Name
    timestamp: InstantIn | None = None
    properties: dict[str, PropertyValue] = Field(default_factory=dict, max_length=200)

    @field_validator("quantity", mode="before")
    @classmethod
    def _quantity(cls, value: Any) -> Decimal:
        return parse_quantity(value)


class EventEstimate(ResponseModel):
    """One estimated event: its ``idempotencyKey`` when it had one, and its price."""

    idempotency_key: str | None = None
    total_amount: int | float


class MeterEstimate(ResponseModel):
    """What one meter priced: ``meterName`` is its code."""

    meter_name: str
    meter_display_name: str
    total_quantity: int | float
    total_amount: int | float


class Estimate(ResponseModel):
    """``POST /v1/pricing/estimate`` (no ``data`` wrapper): amounts in dollars (``currency`` ``USD``,
    ``unit`` ``currency``) or credits (``creditRateCents``, ``unit`` ``credits``), as JSON numbers."""

    events: list[EventEstimate]
    meters: list[MeterEstimate]
    total_amount: int | float
    currency: Literal["USD"] | None = None
    credit_rate_cents: int | None = None
    unit: Literal["currency", "credits"]
    estimated_at: Instant


class UsageCost(ResponseModel):
    """``POST /v1/usage/cost`` (no ``data`` wrapper): the usage in ``[startDate, endDate)`` priced, in
    dollars or credits as for ``Estimate``."""

    total_amount: int | float
    currency: Literal["USD"] | None = None
    credit_rate_cents: int | None = None
    unit: Literal["currency", "credits"]
    start_date: Instant
    end_date: Instant
    queried_at: Instant


class LegacyUsage(ResponseModel):
    """``POST /api/v1/usages`` → 201: the usage as stored (an event of the pricing's meter)."""

    id: str
    customer_id: str
    pricing_code: str
    quantity: int | float
    idempotency_key: str
    timestamp: Instant

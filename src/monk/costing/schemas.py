"""Bodies of the estimate (reference §7.4) and usage cost (§12.4) endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictFloat, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

from monk.billing.bounds import PROPERTY_RANGE, number_in_bounds
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

"""Body and response of the legacy usage endpoint (reference §14)."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, field_validator

from monk.billing.bounds import MAX_QUANTITY
from monk.billing.money import parse_decimal
from monk.costing.schemas import Name, PropertyValue
from monk.kit.bounds import InstantIn
from monk.kit.schemas import CamelModel, Instant, ResponseModel

_QUANTITY_RE = re.compile(r"^\d+(\.\d+)?$")


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



class LegacyUsage(ResponseModel):
    """``POST /api/v1/usages`` → 201: the usage as stored (an event of the pricing's meter)."""

    id: str
    customer_id: str
    pricing_code: str
    quantity: int | float
    idempotency_key: str
    timestamp: Instant

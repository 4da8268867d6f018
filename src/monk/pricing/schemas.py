"""Pricing request bodies, strict decimal-string fields and the response shape (reference §3.5, §7).

Amounts and quantities travel as JSON strings holding a plain decimal (``"0.045"``, ``"1000"``):
JSON numbers, exponents, signs other than a leading ``-`` and blanks are rejected with 400, as are
negative values and more than 12 decimal places. Amounts must be below 1,000,000,000 dollars and tier
bounds below 10**15 units (``monk.billing.bounds``: what storage always holds, and what rating can
multiply without overflowing a line).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, StrictInt, WithJsonSchema
from pydantic_core import PydanticCustomError

from monk.billing.bounds import amount_problem, quantity_problem
from monk.billing.money import format_decimal, format_quantity
from monk.billing.rating import Tier as TierValue
from monk.kit.clock import iso_ms
from monk.kit.schemas import CamelModel, DecimalText, Instant, ResponseModel
from monk.models import Pricing as PricingRow
from monk.models.shapes import load_tiers

_DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")
CODE_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
_JSON_KINDS = {bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}


def _decimal_string(value: Any, problem: Callable[[Decimal], str | None]) -> Decimal:
    if not isinstance(value, str):
        kind = _JSON_KINDS.get(type(value), "value")
        raise PydanticCustomError(
            "decimal_string", 'must be a decimal string such as "0.045", not a JSON {kind}', {"kind": kind}
        )
    if len(value) > 100 or not _DECIMAL_RE.fullmatch(value):
        raise PydanticCustomError("decimal_string", 'must be a plain decimal string such as "0.045"')
    amount = Decimal(value)
    if amount < 0:
        raise PydanticCustomError("decimal_string", "must not be negative")
    why = problem(amount)
    if why is not None:
        raise PydanticCustomError("decimal_string", why)
    return amount if amount else Decimal(0)


def parse_decimal_string(value: Any) -> Decimal:
    """Parse a non-negative plain decimal string (an amount, dollars) into an exact ``Decimal``.

    Raises ``PydanticCustomError`` (→ 400) for a non-string (e.g. a JSON number), a string not matching
    ``^-?\\d+(\\.\\d+)?$``, a negative value, more than 12 decimal places, or 1,000,000,000 dollars or
    more (``monk.billing.bounds.MAX_AMOUNT``).
    """
    return _decimal_string(value, amount_problem)


def parse_quantity_string(value: Any) -> Decimal:
    """Parse a tier bound (units) like ``parse_decimal_string``, bounded by the quantity bound instead:
    less than 10**15 units (``monk.billing.bounds.MAX_QUANTITY``), at most 12 decimal places."""
    return _decimal_string(value, quantity_problem)


def _optional_decimal_string(value: Any) -> Decimal | None:
    return None if value is None else parse_decimal_string(value)


def _optional_quantity_string(value: Any) -> Decimal | None:
    return None if value is None else parse_quantity_string(value)


_SCHEMA = {"type": "string", "pattern": r"^\d+(\.\d+)?$", "examples": ["0.045"]}
Amount = Annotated[Decimal, PlainValidator(parse_decimal_string), WithJsonSchema(_SCHEMA)]
OptAmount = Annotated[
    Decimal | None, PlainValidator(_optional_decimal_string), WithJsonSchema({"anyOf": [_SCHEMA, {"type": "null"}]})
]
Quantity = Annotated[Decimal, PlainValidator(parse_quantity_string), WithJsonSchema(_SCHEMA)]
OptQuantity = Annotated[
    Decimal | None, PlainValidator(_optional_quantity_string), WithJsonSchema({"anyOf": [_SCHEMA, {"type": "null"}]})
]


class TierIn(CamelModel):
    """One price tier: quantities ``minQty < q <= maxQty`` (``maxQty`` null/absent = open); dollars."""

    min_qty: Quantity
    max_qty: OptQuantity = None
    unit_amount: Amount
    flat_amount: OptAmount = None


class PricingCreate(CamelModel):
    """Body of ``POST /v1/pricing`` (reference §7.1); cross-field rules are checked by the service."""

    name: str = Field(min_length=1, max_length=500)
    model: Literal["FLAT", "TIER", "USAGE"]
    billing_mode: Literal["RECURRING", "ONE_TIME"]
    product_id: str | None = Field(None, min_length=1, max_length=36)
    product_name: str | None = Field(None, min_length=1, max_length=500)
    product_description: str | None = Field(None, max_length=5000)
    description: str | None = Field(None, max_length=5000)
    code: str | None = Field(None, min_length=1, max_length=200, pattern=CODE_PATTERN)
    unit_amount: OptAmount = None
    flat_amount: OptAmount = None
    minimum_amount: OptAmount = None
    price_interval: Literal["WEEK", "MONTH", "YEAR"] | None = None
    price_interval_count: StrictInt = Field(1, ge=1, le=1000)
    tiering: Literal["NONE", "VOLUME", "GRADUATED"] | None = None
    pricing_tiers: list[TierIn] | None = Field(None, max_length=100)
    meter_id: str | None = Field(None, min_length=1, max_length=36)


class Tier(ResponseModel):
    """A price tier: quantities ``minQty < q <= maxQty`` (``maxQty`` null = open), dollars as decimal strings."""

    min_qty: DecimalText
    max_qty: DecimalText | None
    unit_amount: DecimalText
    flat_amount: DecimalText


class Pricing(ResponseModel):
    """A pricing configuration (reference §3.5); amounts are dollars as decimal strings, null when unset."""

    id: str
    product_id: str
    product_name: str
    name: str
    description: str | None
    code: str
    model: Literal["FLAT", "TIER", "USAGE"]
    billing_mode: Literal["RECURRING", "ONE_TIME"]
    tiering: Literal["NONE", "VOLUME", "GRADUATED"]
    unit_amount: DecimalText | None
    flat_amount: DecimalText | None
    minimum_amount: DecimalText | None
    price_interval: Literal["WEEK", "MONTH", "YEAR"] | None
    price_interval_count: int
    meter_id: str | None
    pricing_tiers: list[Tier]
    created_at: Instant


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value)


def tier_out(t: TierValue) -> dict[str, Any]:
    """The API shape of one tier: quantities like ``"1000"``, amounts like ``"0.10"``; open ``maxQty`` null."""
    return {
        "minQty": format_quantity(t.min_qty),
        "maxQty": None if t.max_qty is None else format_quantity(t.max_qty),
        "unitAmount": format_decimal(t.unit_amount),
        "flatAmount": format_decimal(t.flat_amount),
    }


def pricing_out(p: PricingRow, product_name: str) -> dict[str, Any]:
    """The API shape of a pricing (reference §3.5); unset amounts are null, amounts are decimal strings."""
    return {
        "id": p.id,
        "productId": p.product_id,
        "productName": product_name,
        "name": p.name,
        "description": p.description,
        "code": p.code,
        "model": p.model,
        "billingMode": p.billing_mode,
        "tiering": p.tiering,
        "unitAmount": _amount(p.unit_amount),
        "flatAmount": _amount(p.flat_amount),
        "minimumAmount": _amount(p.minimum_amount),
        "priceInterval": p.price_interval,
        "priceIntervalCount": p.price_interval_count,
        "meterId": p.meter_id,
        "pricingTiers": [tier_out(t) for t in load_tiers(p.tiers)],
        "createdAt": iso_ms(p.created_at),
    }

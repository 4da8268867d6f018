"""Rate-card bodies and the response shape (``/v1/meters/{meterId}/rate-card``; concepts §9).

Amounts are JSON strings holding a plain non-negative decimal (``^\\d+(\\.\\d+)?$``, at most 12
decimal places, below 1,000,000,000 dollars: ``monk.billing.bounds``); JSON numbers are rejected with 400.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainValidator, StrictStr, WithJsonSchema
from pydantic_core import PydanticCustomError

from monk.billing.bounds import amount_problem
from monk.billing.money import format_decimal
from monk.kit.clock import iso_ms
from monk.kit.schemas import CamelModel, DecimalText, Instant, ResponseModel
from monk.models import Meter
from monk.models import RateCard as RateCardRow
from monk.models.shapes import load_rate_entries

MAX_ENTRIES = 10_000
RATE_RE = re.compile(r"^\d+(\.\d+)?$")
_KINDS = {bool: "boolean", int: "number", float: "number", list: "array", dict: "object"}


def parse_rate(value: Any) -> Decimal:
    """Parse a rate: a JSON string matching ``^\\d+(\\.\\d+)?$`` → exact ``Decimal`` dollars per unit.

    Raises ``PydanticCustomError`` (→ 400) for a non-string (a JSON number too), another format
    (signs, exponents, blanks), more than 12 decimal places, or 1,000,000,000 dollars or more
    (``monk.billing.bounds.amount_problem``).
    """
    if not isinstance(value, str):
        kind = _KINDS.get(type(value), "value")
        raise PydanticCustomError("rate", 'must be a decimal string such as "2.00", not a JSON {kind}', {"kind": kind})
    if len(value) > 100 or not RATE_RE.fullmatch(value):
        raise PydanticCustomError("rate", 'must be a non-negative decimal string such as "2.00"')
    rate = Decimal(value)
    why = amount_problem(rate)
    if why is not None:
        raise PydanticCustomError("rate", why)
    return rate


def _optional_rate(value: Any) -> Decimal | None:
    return None if value is None else parse_rate(value)


_SCHEMA = {"type": "string", "pattern": RATE_RE.pattern, "examples": ["2.00"]}
Rate = Annotated[Decimal, PlainValidator(parse_rate), WithJsonSchema(_SCHEMA)]
OptRate = Annotated[Decimal | None, PlainValidator(_optional_rate),
                    WithJsonSchema({"anyOf": [_SCHEMA, {"type": "null"}]})]
DimensionValue = Annotated[StrictStr, Field(min_length=1, max_length=255)]


class RateEntryIn(CamelModel):
    """One entry: ``{"dimensions": {groupKey: value, ...}, "unitAmount": "2.00"}`` (dollars per unit).

    Values are non-empty strings (an event lacking a group key carries ``""`` and so never matches an
    entry: it gets the fallback).
    """

    dimensions: dict[DimensionValue, DimensionValue] = Field(max_length=20)
    unit_amount: Rate


class RateCardPut(CamelModel):
    """Body of ``PUT /v1/meters/{meterId}/rate-card``: up to 10,000 entries and an optional fallback."""

    rates: list[RateEntryIn] = Field(max_length=MAX_ENTRIES)
    fallback_rate: OptRate = None


class RateEntry(ResponseModel):
    """One rate: a combination of the meter's group-key values and its price in dollars per unit."""

    dimensions: dict[str, str]
    unit_amount: DecimalText


class RateCard(ResponseModel):
    """A meter's dimensional rate card; ``fallbackRate`` prices combinations without an entry (null: none)."""

    meter_id: str
    group_keys: list[str]
    rates: list[RateEntry]
    fallback_rate: DecimalText | None
    created_at: Instant
    updated_at: Instant


def rate_card_out(card: RateCardRow, meter: Meter) -> dict[str, Any]:
    """The API shape of a rate card: ``meterId``, ``groupKeys``, ``rates`` ``[{dimensions, unitAmount}]``
    (amounts as decimal strings, at least 2 decimals), ``fallbackRate`` (string or null), timestamps."""
    return {
        "meterId": meter.id,
        "groupKeys": list(meter.group_keys or []),
        "rates": [{"dimensions": e.dimension_map(), "unitAmount": format_decimal(e.unit_amount)}
                  for e in load_rate_entries(card.entries)],
        "fallbackRate": None if card.fallback_rate is None else format_decimal(card.fallback_rate),
        "createdAt": iso_ms(card.created_at),
        "updatedAt": iso_ms(card.updated_at),
    }

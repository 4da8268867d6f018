"""Typed value objects for the JSON columns, and their stored (snake_case) form.

The JSON columns hold Monk's shapes, never the wire's: keys are snake_case and amounts exact
decimal strings. Writers build the value objects below and store ``dump_*``; readers call
``load_*`` and get frozen dataclasses with ``Decimal`` amounts, so the pure core never parses JSON,
and the API schemas turn the value objects back into camelCase.

Stored shapes (migration 0010 rewrote the camelCase rows of earlier versions):

- ``pricing.tiers``: ``[{"min_qty", "max_qty" (null = open), "unit_amount", "flat_amount"}]`` →
  ``billing.rating.Tier``;
- ``rate_cards.entries``: ``[{"dimensions": {key: value}, "unit_amount"}]`` → :class:`RateEntry`;
- ``contracts.overrides``: ``[{"base_pricing_id", "unit_amount", "dimensions"?}]`` →
  :class:`Override` (``unit_amount`` kept as the text the client sent, which the API answers back);
- ``contracts.credit_settings``: an open object whose own keys are snake_case →
  :class:`CreditSettings`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from monk.billing.money import format_decimal, format_quantity
from monk.billing.rating import Tier

__all__ = [
    "CreditSettings", "Override", "RateEntry", "camel_keys", "dump_credit_settings", "dump_overrides",
    "dump_rate_entries", "dump_tiers", "load_credit_settings", "load_overrides", "load_rate_entries", "load_tiers",
    "snake_keys",
]

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake(key: str) -> str:
    return _CAMEL_BOUNDARY.sub(lambda m: "_" + m.group(1).lower(), key)


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def snake_keys(value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` with its own keys turned snake_case (``creditRateCents`` → ``credit_rate_cents``);
    nested values are kept as they are (their keys may be data, such as meter codes)."""
    return {_snake(str(k)): v for k, v in value.items()}


def camel_keys(value: Mapping[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`snake_keys` for keys it produced (``credit_rate_cents`` → ``creditRateCents``)."""
    return {_camel(str(k)): v for k, v in value.items()}


# --- pricing.tiers --------------------------------------------------------------------------------

def load_tiers(rows: Sequence[Mapping[str, Any]] | None) -> tuple[Tier, ...]:
    """The stored tiers of a pricing as ``Tier`` values (dollars; an absent or empty ``max_qty`` is
    open-ended, an absent ``flat_amount`` is 0). Raises ``KeyError``/``decimal.InvalidOperation`` on a
    row that is not in the stored shape."""
    return tuple(
        Tier(
            min_qty=Decimal(t["min_qty"]),
            max_qty=Decimal(t["max_qty"]) if t.get("max_qty") not in (None, "") else None,
            unit_amount=Decimal(t["unit_amount"]),
            flat_amount=Decimal(t.get("flat_amount") or 0),
        )
        for t in rows or ()
    )


def dump_tiers(tiers: Iterable[Tier]) -> list[dict[str, Any]]:
    """The stored form of tiers: quantities and amounts as canonical decimal strings."""
    return [
        {
            "min_qty": format_quantity(t.min_qty),
            "max_qty": None if t.max_qty is None else format_quantity(t.max_qty),
            "unit_amount": format_decimal(t.unit_amount),
            "flat_amount": format_decimal(t.flat_amount),
        }
        for t in tiers
    ]


# --- rate_cards.entries ---------------------------------------------------------------------------

@dataclass(frozen=True)
class RateEntry:
    """One rate of a rate card: group-key values (in the meter's groupKeys order) and dollars per unit."""

    dimensions: tuple[tuple[str, str], ...]
    unit_amount: Decimal

    def dimension_map(self) -> dict[str, str]:
        """The dimensions as an ordered ``{key: value}`` object."""
        return dict(self.dimensions)


def load_rate_entries(rows: Sequence[Mapping[str, Any]] | None) -> tuple[RateEntry, ...]:
    """The stored entries of a rate card as ``RateEntry`` values (raises ``KeyError`` on another shape)."""
    return tuple(RateEntry(tuple(e["dimensions"].items()), Decimal(str(e["unit_amount"]))) for e in rows or ())


def dump_rate_entries(entries: Iterable[RateEntry]) -> list[dict[str, Any]]:
    """The stored form of rate entries: ``unit_amount`` a canonical decimal string."""
    return [{"dimensions": e.dimension_map(), "unit_amount": format_decimal(e.unit_amount)} for e in entries]


# --- contracts.overrides --------------------------------------------------------------------------

@dataclass(frozen=True)
class Override:
    """A contract's price for one pricing: for every combination (``dimensions`` None or empty) or for
    one combination of its meter's group-key values. ``unit_amount_text`` is the exact decimal text
    (dollars per unit) as given, answered back unchanged by the API."""

    base_pricing_id: str
    unit_amount_text: str
    dimensions: tuple[tuple[str, str], ...] | None = None

    @property
    def unit_amount(self) -> Decimal:
        """Dollars per unit, exact."""
        return Decimal(self.unit_amount_text)

    def dimension_map(self) -> dict[str, str]:
        """The dimensions as an ordered ``{key: value}`` object (``{}`` when it covers every combination)."""
        return dict(self.dimensions or ())


def load_overrides(rows: Sequence[Mapping[str, Any]] | None) -> tuple[Override, ...]:
    """A contract's stored overrides as ``Override`` values, in order (raises ``KeyError`` on another shape)."""
    return tuple(
        Override(base_pricing_id=str(o["base_pricing_id"]), unit_amount_text=str(o["unit_amount"]),
                 dimensions=None if o.get("dimensions") is None else tuple(o["dimensions"].items()))
        for o in rows or ()
    )


def dump_overrides(overrides: Iterable[Override]) -> list[dict[str, Any]]:
    """The stored form of overrides (``dimensions`` only when given)."""
    out: list[dict[str, Any]] = []
    for o in overrides:
        row: dict[str, Any] = {"base_pricing_id": o.base_pricing_id, "unit_amount": o.unit_amount_text}
        if o.dimensions is not None:
            row["dimensions"] = o.dimension_map()
        out.append(row)
    return out


# --- contracts.credit_settings ---------------------------------------------------------------------

@dataclass(frozen=True)
class CreditSettings:
    """A contract's credit settings (read by the credits work): ``credit_rate_cents`` (cents per
    credit, when set) and the rest of the object as stored (snake_case keys)."""

    credit_rate_cents: int | None
    other: Mapping[str, Any]


def load_credit_settings(row: Mapping[str, Any] | None) -> CreditSettings | None:
    """The stored credit settings as a ``CreditSettings`` value, or None when the contract has none."""
    if row is None:
        return None
    rate = row.get("credit_rate_cents")
    return CreditSettings(credit_rate_cents=rate if isinstance(rate, int) and not isinstance(rate, bool) else None,
                          other={k: v for k, v in row.items() if k != "credit_rate_cents"})


def dump_credit_settings(settings: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The stored form of credit settings as the API received them (camelCase keys → snake_case)."""
    return None if settings is None else snake_keys(settings)

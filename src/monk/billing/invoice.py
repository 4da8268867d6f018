"""Invoice lines and totals.

Line amounts are dollars already at cents precision (as returned by ``rate_usage``); totals:
``monk.billing.totals``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from monk.billing.money import format_dollars, format_quantity, round_money
from monk.billing.periods import Period

__all__ = ["Line", "format_units", "usage_description"]


@dataclass(frozen=True)
class Line:
    """One invoice line; ``unit_price`` and ``amount`` in dollars, ``amount`` already at cents precision.

    ``is_metered`` marks usage lines (billed in arrears, ``service_period`` = measured period);
    ``dimensions`` are the ``((group_key, value), ...)`` the usage was split by.
    """

    name: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    is_metered: bool
    price_id: str | None = None
    service_period: Period | None = None
    description: str | None = None
    dimensions: tuple[tuple[str, str], ...] = ()


def usage_description(quantity: Decimal, unit_price: Decimal, amount: Decimal) -> str:
    """Human description of a usage line, e.g. ``"5,350 units × $0.01/unit = $53.50"``.

    The quantity keeps its significant decimals and gets thousands separators (``1234.5`` ->
    ``"1,234.5"``; exactly 1 reads ``"1 unit"``); the unit price is shown via ``format_decimal``
    (at least 2 decimals, never rounded: ``$0.045/unit``); the amount is rounded to 2 decimals
    (HALF_UP). Negative money reads ``-$5.00``. Raises ``ValueError`` on non-finite input.
    """
    return f"{format_units(quantity)} × {format_dollars(unit_price)}/unit = {format_dollars(round_money(amount))}"


def format_units(quantity: Decimal) -> str:
    """A quantity of units for a description: ``1234.5`` -> ``"1,234.5 units"``, ``1`` -> ``"1 unit"``.
    Raises ``ValueError`` on non-finite input."""
    qty_text = format(Decimal(format_quantity(quantity)), ",f")
    return f"{qty_text} {'unit' if quantity == 1 else 'units'}"

"""Pure arithmetic of list pricing (estimate and usage cost without a contract): no I/O.

Amounts are exact ``Decimal`` dollars; JSON numbers are produced only at the very end (``json_number``).
Credits are ``dollars * 100 / creditRateCents`` rounded to 6 decimal places (ROUND_HALF_UP); parts
are converted so that they still add up exactly to the converted total (largest remainder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from monk.billing.aggregation import NUMERIC_AGGREGATIONS, Tally
from monk.billing.bounds import MAX_QUANTITY, OutOfBounds
from monk.billing.dimensions import Dimensions, resolve_rate
from monk.billing.matching import MeterSpec
from monk.billing.money import CONTEXT as EXACT  # 400 digits, half up: one context for all
from monk.billing.money import parse_decimal

CREDIT_QUANTUM = Decimal("0.000001")
_ONE = Decimal(1)


@dataclass(frozen=True)
class ListRate:
    """A meter's org-level list price: the meter (``spec``, ``code``, ``display_name``), its rate-card
    ``entries`` (by canonical combination) and ``fallback``, and ``unit``, the ``unitAmount`` of the
    oldest untiered USAGE pricing on it (None when there is none). Dollars per unit."""

    meter_id: str
    code: str
    display_name: str
    spec: MeterSpec
    entries: Mapping[Dimensions, Decimal]
    fallback: Decimal | None
    unit: Decimal | None

    def rate(self, dimensions: Dimensions) -> Decimal | None:
        """The unit price of a combination: rate-card entry, else fallback, else ``unit``; None = no price."""
        found = resolve_rate(dimensions, pricing_unit=self.unit, rate_entries=self.entries, fallback=self.fallback)
        return None if found is None else found.unit_amount


def _value(value: str | None) -> Decimal:
    """One event's numeric value, exact; ``OutOfBounds`` from 10**15 up (``monk.billing.bounds``)."""
    number = parse_decimal(value or "")
    if not -MAX_QUANTITY < number < MAX_QUANTITY:
        raise OutOfBounds(f"the value {value} must be less than {MAX_QUANTITY:,} in absolute value "
                          "(the largest quantity billed)")
    return number


def event_quantity(aggregation_type: str, value: str | None) -> Decimal:
    """What one event contributes on its own: 1 for COUNT and UNIQUE_COUNT, the aggregation key's value
    (exact) for SUM, MAX and MIN. Raises ``ValueError`` for a non-numeric value, ``OutOfBounds`` (a
    ``ValueError``) for a value whose magnitude reaches the quantity bound (10**15)."""
    if aggregation_type in ("COUNT", "UNIQUE_COUNT"):
        return _ONE
    return _value(value)


class Accumulator(Tally):
    """Aggregates one meter's values incrementally (``billing.aggregation.Tally``: ``aggregate``'s
    semantics, exact), each numeric value checked against the quantity bound."""

    def add(self, value: Decimal | str | None) -> None:
        """Add one event's value (None for COUNT). Raises ``ValueError`` for a non-numeric SUM/MAX/MIN value,
        ``OutOfBounds`` for one whose magnitude reaches the quantity bound (10**15)."""
        if self.kind in NUMERIC_AGGREGATIONS:
            value = _value(None if value is None else str(value))
        elif self.kind == "UNIQUE_COUNT":
            value = str(value)
        super().add(value)


def times(quantity: Decimal, rate: Decimal) -> Decimal:
    """``quantity * rate`` exactly (dollars)."""
    return EXACT.multiply(quantity, rate)


def total(amounts: Sequence[Decimal]) -> Decimal:
    """The exact sum of ``amounts``."""
    out = Decimal(0)
    for a in amounts:
        out = EXACT.add(out, a)
    return out


def to_credits(dollars: Decimal, credit_rate_cents: int) -> Decimal:
    """``dollars * 100 / credit_rate_cents`` rounded to 6 decimal places (ROUND_HALF_UP).
    Example: $7.50 at 750 cents per credit → 1.000000. Raises ``ValueError`` if the rate is < 1."""
    if credit_rate_cents < 1:
        raise ValueError("credit_rate_cents must be >= 1")
    return EXACT.divide(EXACT.multiply(dollars, 100), Decimal(credit_rate_cents)).quantize(
        CREDIT_QUANTUM, rounding=ROUND_HALF_UP, context=EXACT)


def split_credits(parts: Sequence[Decimal], credit_rate_cents: int) -> tuple[list[Decimal], Decimal]:
    """Convert dollar ``parts`` to credits so they add up exactly to the converted total.

    Returns ``(credit parts, credit total)`` where the total is ``to_credits(sum(parts))`` and each part is
    its exact share floored to 6 decimals, the leftover millionths going one each to the parts with the
    largest remainders (earliest first on ties). Example: three parts of $0.01 at 3 cents per credit →
    total 1.000000, parts 0.333334, 0.333333, 0.333333.
    """
    grand = to_credits(total(parts), credit_rate_cents)
    exact = [EXACT.divide(EXACT.multiply(p, 100), Decimal(credit_rate_cents)) for p in parts]
    floors = [e.quantize(CREDIT_QUANTUM, rounding=ROUND_FLOOR, context=EXACT) for e in exact]
    leftover = int(EXACT.divide(EXACT.subtract(grand, total(floors)), CREDIT_QUANTUM))
    order = sorted(range(len(parts)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:max(leftover, 0)]:
        floors[i] = EXACT.add(floors[i], CREDIT_QUANTUM)
    return floors, grand


def json_number(amount: Decimal) -> int | float:
    """An exact ``Decimal`` as a JSON number for output only: ``int`` when integral, else ``float``."""
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)

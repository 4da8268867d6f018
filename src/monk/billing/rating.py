"""Turn a usage quantity into a line amount.

Tier boundaries follow Stripe's inclusive ``up_to``: a tier covers quantities ``q`` with
``min_qty < q <= max_qty`` (the first tier, whose ``min_qty`` is 0, also covers ``q = 0``); the last tier
may be open (``max_qty is None``). Tiers must be contiguous: tier i+1 starts where tier i ends.

* ``VOLUME``: the single tier containing the total quantity Q prices all of it:
  ``Q * unit_amount + flat_amount`` of that tier.
* ``GRADUATED``: every tier prices its own slice ``clamp(Q - min_qty, 0, max_qty - min_qty) *
  unit_amount`` and adds its ``flat_amount`` when touched (``Q > min_qty``, or it is the first tier).

Worked example, tiers ``[0, 1000] @ 0.10`` and ``(1000, open) @ 0.05``:
Q = 1500 -> VOLUME 1500 * 0.05 = 75.00, GRADUATED 1000 * 0.10 + 500 * 0.05 = 125.00;
Q = 1000 -> both 100.00.

Intermediate arithmetic is exact; the line amount is rounded once to cents (``ROUND_HALF_UP``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from monk.billing.bounds import check_dollars
from monk.billing.money import EXACT as _EXACT
from monk.billing.money import round_money

__all__ = ["TIERINGS", "PriceSpec", "Tier", "effective_unit_price", "rate_usage", "validate_tiers"]

TIERINGS: tuple[str, ...] = ("NONE", "VOLUME", "GRADUATED")

_ZERO = Decimal(0)


@dataclass(frozen=True)
class Tier:
    """One price tier covering ``min_qty < q <= max_qty`` (``max_qty`` None = open-ended); dollars."""

    min_qty: Decimal
    max_qty: Decimal | None
    unit_amount: Decimal
    flat_amount: Decimal = Decimal(0)


@dataclass(frozen=True)
class PriceSpec:
    """How a usage line is priced; all amounts in dollars.

    ``tiering`` is ``"NONE"`` (``unit_amount`` per unit), ``"VOLUME"`` or ``"GRADUATED"`` (``tiers``).
    ``flat_amount`` is added in every mode. ``minimum_amount``, when set, is the least the line bills.
    """

    unit_amount: Decimal = Decimal(0)
    flat_amount: Decimal = Decimal(0)
    tiering: str = "NONE"
    tiers: tuple[Tier, ...] = ()
    minimum_amount: Decimal | None = None


def validate_tiers(tiers: Sequence[Tier]) -> None:
    """Check that ``tiers`` form a valid contiguous ladder; returns None or raises ``ValueError``.

    Requires: at least one tier; the first ``min_qty`` is 0; every ``max_qty > min_qty``; each tier's
    ``min_qty`` equals the previous tier's ``max_qty``; the last tier, and only it, is open (``max_qty``
    None); all quantities and amounts finite and no negative ``unit_amount`` / ``flat_amount``.
    """
    if not tiers:
        raise ValueError("at least one tier is required")
    for i, tier in enumerate(tiers):
        label = f"tier {i + 1}"
        numbers = [tier.min_qty, tier.unit_amount, tier.flat_amount]
        if tier.max_qty is not None:
            numbers.append(tier.max_qty)
        if not all(isinstance(n, Decimal) and n.is_finite() for n in numbers):
            raise ValueError(f"{label}: quantities and amounts must be finite Decimals")
        if tier.unit_amount < 0 or tier.flat_amount < 0:
            raise ValueError(f"{label}: amounts must not be negative")
        if i == 0 and tier.min_qty != 0:
            raise ValueError(f"{label}: the first tier must start at 0, not {tier.min_qty}")
        if i > 0 and tier.min_qty != tiers[i - 1].max_qty:
            raise ValueError(
                f"{label}: starts at {tier.min_qty} but the previous tier ends at {tiers[i - 1].max_qty}"
                " (tiers must be contiguous, without gaps or overlaps)"
            )
        if tier.max_qty is None:
            if i != len(tiers) - 1:
                raise ValueError(f"{label}: only the last tier may be open-ended")
        elif tier.max_qty <= tier.min_qty:
            raise ValueError(f"{label}: max_qty {tier.max_qty} must be greater than min_qty {tier.min_qty}")
        elif i == len(tiers) - 1:
            raise ValueError(f"{label}: the last tier must be open-ended (no maxQty), so every quantity has a price")


def _volume(tiers: Sequence[Tier], quantity: Decimal) -> Decimal:
    for tier in tiers:
        if tier.max_qty is None or quantity <= tier.max_qty:
            return _EXACT.add(_EXACT.multiply(quantity, tier.unit_amount), tier.flat_amount)
    raise ValueError(f"quantity {quantity} is above the last tier's max_qty {tiers[-1].max_qty}")


def _graduated(tiers: Sequence[Tier], quantity: Decimal) -> Decimal:
    total = _ZERO
    for i, tier in enumerate(tiers):
        if i > 0 and quantity <= tier.min_qty:
            break
        upper = quantity if tier.max_qty is None else min(quantity, tier.max_qty)
        units = max(_EXACT.subtract(upper, tier.min_qty), _ZERO)
        total = _EXACT.add(total, _EXACT.multiply(units, tier.unit_amount))
        total = _EXACT.add(total, tier.flat_amount)
    if tiers[-1].max_qty is not None and quantity > tiers[-1].max_qty:
        raise ValueError(f"quantity {quantity} is above the last tier's max_qty {tiers[-1].max_qty}")
    return total


def rate_usage(spec: PriceSpec, quantity: Decimal) -> Decimal:
    """Price ``quantity`` units with ``spec``; returns dollars rounded once to cents (exponent -2).

    NONE: ``quantity * unit_amount + flat_amount``. VOLUME / GRADUATED: the tier charge (see module
    docstring) ``+ flat_amount``. Then, if ``minimum_amount`` is set, ``max(charge, minimum_amount)``.
    Examples: unit 0.045, Q=400 -> 18.00; minimum 15, Q=0 -> 15.00; unit 0.001, Q=5 -> 0.01.
    A negative quantity (usage corrections that net below zero in a period) is rated as zero: usage
    never bills a credit.
    Raises ``ValueError`` for a non-finite quantity, an unknown tiering, invalid tiers (see
    ``validate_tiers``), or a non-representable result; ``OutOfBounds`` (a ``ValueError``) when the
    line reaches the cents bound (``|amount| >= $10**16``, see ``monk.billing.bounds``), so that no line
    ever overflows its 64-bit cents column.
    """
    if not isinstance(quantity, Decimal) or not quantity.is_finite():
        raise ValueError(f"quantity must be a finite Decimal, got {quantity!r}")
    quantity = max(quantity, _ZERO)
    if spec.tiering not in TIERINGS:
        raise ValueError(f"unknown tiering {spec.tiering!r}; expected one of {TIERINGS}")
    try:
        if spec.tiering == "NONE":
            charge = _EXACT.multiply(quantity, spec.unit_amount)
        else:
            validate_tiers(spec.tiers)
            tiered = _volume if spec.tiering == "VOLUME" else _graduated
            charge = tiered(spec.tiers, quantity)
        charge = _EXACT.add(charge, spec.flat_amount)
    except ArithmeticError as exc:
        raise ValueError("charge cannot be computed exactly") from exc
    if spec.minimum_amount is not None and charge < spec.minimum_amount:
        charge = spec.minimum_amount
    return check_dollars(round_money(charge), what="the line amount")


def effective_unit_price(amount: Decimal, quantity: Decimal) -> Decimal:
    """Return ``amount / quantity`` in dollars per unit, rounded once to 6 decimal places (HALF_UP).

    Returns ``Decimal(0)`` when ``quantity`` is 0. Example: 18.00 / 400 -> 0.045000.
    Raises ``ValueError`` if either argument is not a finite ``Decimal``.
    """
    for name, number in (("amount", amount), ("quantity", quantity)):
        if not isinstance(number, Decimal) or not number.is_finite():
            raise ValueError(f"{name} must be a finite Decimal, got {number!r}")
    if quantity.is_zero():
        return _ZERO
    scaled = _EXACT.scaleb(amount, 6)
    try:
        whole, remainder = _EXACT.divmod(scaled, quantity)  # truncated quotient, exact remainder
    except ArithmeticError as exc:
        raise ValueError("unit price cannot be computed exactly") from exc
    if remainder and _EXACT.multiply(2, abs(remainder)) >= abs(quantity):
        whole = _EXACT.add(whole, 1 if (scaled < 0) == (quantity < 0) else -1)
    return _EXACT.scaleb(whole, -6).quantize(Decimal("0.000001"), context=_EXACT)

"""The largest numbers Monk accepts and computes; beyond them, a clear error instead of an overflow.

Every bound is exclusive and chosen so that the storage always holds the value, with room:

============================  ==========================  =============================================
what                          bound                       why it fits
============================  ==========================  =============================================
a quantity (event property,   ``|q| < 10**15``,            ``NUMERIC(38, 12)`` / exact text: 26 integer
tier bound, API quantity)     at most 12 decimal places   digits, so sums of many events still fit
a price or amount (unit,      ``|a| < 10**9`` dollars,     ``NUMERIC(38, 12)``; a credit grant in
flat, minimum, rate, credit)  at most 12 decimal places   cents (``< 10**11``) fits BIGINT
a computed line or invoice    ``|cents| < 10**18``         64-bit cents hold 9.22e18: ten maximal lines
total (``*Cents``)            (``$10**16``)                or totals still add without overflow
============================  ==========================  =============================================

A quantity at its bound times a price at its bound (``10**24`` dollars) is beyond the cents bound, so
rating checks every line and every invoice total (``check_cents``) rather than relying on the input
bounds alone. Event property values are bounded in magnitude only (a float such as
``0.30000000000000004`` is ordinary client output); quantities and amounts written in configuration
(pricing, tiers, rate cards, overrides) are bounded in magnitude and decimal places. Pure: no I/O.
"""

from __future__ import annotations

from decimal import Decimal

__all__ = [
    "MAX_AMOUNT", "MAX_AMOUNT_CENTS", "MAX_CENTS", "MAX_PLACES", "MAX_QUANTITY", "PROPERTY_RANGE", "OutOfBounds",
    "amount_problem", "check_cents", "check_dollars", "number_in_bounds", "quantity_problem",
]

MAX_QUANTITY = 10**15
"""Exclusive bound of any quantity's magnitude (units)."""
MAX_AMOUNT = 10**9
"""Exclusive bound of any price or amount's magnitude given to the API (dollars)."""
MAX_AMOUNT_CENTS = MAX_AMOUNT * 100
"""Exclusive bound of an amount given to the API in cents (``creditGrantCents``): $1,000,000,000."""
MAX_PLACES = 12
"""The most decimal places a quantity, price or amount may carry."""
MAX_CENTS = 10**18
"""Exclusive bound of a computed line amount or invoice total (cents); ``$10,000,000,000,000,000``."""
_MAX_DOLLARS = Decimal(MAX_CENTS).scaleb(-2)


class OutOfBounds(ValueError):  # noqa: N818 - reads as the condition, like ValueError
    """A number beyond its documented bound (a ``ValueError``, so existing handlers still apply)."""


PROPERTY_RANGE = f"numbers must be less than {MAX_QUANTITY:,} in absolute value (the largest quantity billed)"
"""Why a numeric event property was refused (``number_in_bounds``)."""


def number_in_bounds(value: object) -> bool:
    """Whether a JSON scalar may stand as a quantity: anything but an ``int``/``float`` passes (bools
    too); a number passes when ``|value| < MAX_QUANTITY``. Cheap: one type check and one comparison, no
    ``Decimal``; the ingestion hot path calls it on every property value."""
    t = type(value)
    if t is int or t is float:
        return -MAX_QUANTITY < value < MAX_QUANTITY  # type: ignore[operator]
    return True


def _places(value: Decimal) -> int:
    """Significant decimal places (``1.50`` -> 1), exactly: no context rounding."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -(exponent + trailing)) if any(digits) else 0


def _problem(value: Decimal, bound: int, what: str) -> str | None:
    if not value.is_finite():
        return f"must be a finite number, not {value}"
    if abs(value) >= bound:
        return f"must be less than {bound:,} {what} in absolute value"
    if _places(value) > MAX_PLACES:
        return f"must have at most {MAX_PLACES} decimal places"
    return None


def quantity_problem(value: Decimal) -> str | None:
    """Why ``value`` is not an acceptable quantity (``|q| < 10**15``, <= 12 decimal places), or None."""
    return _problem(value, MAX_QUANTITY, "units")


def amount_problem(value: Decimal) -> str | None:
    """Why ``value`` is not an acceptable price or amount (``|a| < 10**9`` dollars, <= 12 decimal
    places), or None."""
    return _problem(value, MAX_AMOUNT, "dollars")


def check_cents(cents: int, *, what: str = "amount") -> int:
    """Return ``cents`` when ``|cents| < MAX_CENTS`` (10**18); else raise ``OutOfBounds`` naming ``what``."""
    if -MAX_CENTS < cents < MAX_CENTS:
        return cents
    raise OutOfBounds(f"{what} of {cents} cents exceeds the largest supported amount "
                      f"({MAX_CENTS - 1:,} cents)")


def check_dollars(dollars: Decimal, *, what: str = "amount") -> Decimal:
    """Return ``dollars`` when ``|dollars| < MAX_CENTS / 100`` (10**16 dollars); else raise ``OutOfBounds``."""
    if dollars.is_finite() and -_MAX_DOLLARS < dollars < _MAX_DOLLARS:
        return dollars
    largest = _MAX_DOLLARS - Decimal("0.01")
    raise OutOfBounds(f"{what} of ${dollars} exceeds the largest supported amount (${largest:,})")

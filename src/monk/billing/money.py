"""Exact money and quantity helpers.

Conventions used throughout :mod:`monk.billing`:

* amounts in dollars are :class:`~decimal.Decimal` (never ``float``);
* amounts in cents are ``int``;
* rounding to cents happens once, at the end of a computation, ``ROUND_HALF_UP``
  (``0.005`` -> ``0.01``, ``-0.005`` -> ``-0.01``: half rounds away from zero).

Arithmetic is carried out in one high-precision context, ``CONTEXT`` (400 digits, half up), so
that values parsed by :func:`parse_decimal` never lose digits before the final rounding; ``EXACT``
is the same context where a result that would need rounding raises ``Inexact`` instead.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact

from monk.billing.bounds import OutOfBounds

__all__ = ["CONTEXT", "EXACT", "cents_as_dollars", "format_decimal", "format_dollars", "format_quantity",
           "parse_decimal", "round_money",
           "to_cents"]

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_DIGITS = 40  # max integer digits and max decimal places accepted by parse_decimal
# Monk's one decimal context: far more digits than any value it accepts (40 integer digits and 40
# places at most), so sums and products of them are exact; rounding, when asked for, is half up.
CONTEXT = Context(prec=400, rounding=ROUND_HALF_UP, Emax=999_999, Emin=-999_999)
# The same context for arithmetic that must not round: a result that would need it raises Inexact.
EXACT = CONTEXT.copy()
EXACT.traps[Inexact] = True

_CENT = Decimal("0.01")
_ONE = Decimal(1)


def _check_finite(amount: Decimal) -> None:
    if not isinstance(amount, Decimal):
        raise TypeError(f"expected a Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"not a finite number: {amount}")


def _exponent(amount: Decimal) -> int:
    _check_finite(amount)
    return int(amount.as_tuple().exponent)


def parse_decimal(value: str | int | Decimal) -> Decimal:
    """Parse an amount or quantity exactly into a ``Decimal``.

    Accepts ``int`` (not ``bool``), a finite ``Decimal``, or a plain numeric string such as
    ``"12"``, ``"-0.045"``, ``".5"`` or ``"1.5e3"`` (surrounding whitespace is ignored). The digits are
    kept exactly as written: ``parse_decimal("0.0800") == Decimal("0.0800")``.

    Raises ``ValueError`` on: ``float`` input (floats are not exact, pass a string), ``bool``, any other
    type, non-numeric strings (including ``"1_000"`` and ``"1,000"``), NaN, Infinity, and values with
    more than 40 integer digits or more than 40 significant decimal places (guards the exact arithmetic;
    that one is ``monk.billing.bounds.OutOfBounds``, a ``ValueError``).
    """
    # Every bad input is a ValueError (not TypeError) by contract: callers map one exception to a 422.
    if isinstance(value, float):
        raise ValueError("float is not accepted for money; pass a str or Decimal")  # noqa: TRY004
    if isinstance(value, bool):
        raise ValueError("bool is not a number")  # noqa: TRY004
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 200 or not _NUMBER_RE.fullmatch(text):
            raise ValueError(f"not a decimal number: {value!r}")
        result = Decimal(text)
    else:
        raise ValueError(f"expected str, int or Decimal, got {type(value).__name__}")  # noqa: TRY004
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    if not result.is_zero() and (
        result.adjusted() >= _MAX_DIGITS or _exponent(CONTEXT.normalize(result)) < -_MAX_DIGITS
    ):
        raise OutOfBounds(f"number out of supported range: {value!r}")
    return result


def round_money(amount: Decimal) -> Decimal:
    """Round a dollar amount to cents (``Decimal`` with exponent -2), ``ROUND_HALF_UP``.

    ``round_money(Decimal("0.005")) == Decimal("0.01")``; ``round_money(Decimal("18")) == Decimal("18.00")``.
    Raises ``TypeError`` if ``amount`` is not a ``Decimal``, ``ValueError`` if it is NaN or infinite.
    """
    _check_finite(amount)
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP, context=CONTEXT)


def to_cents(amount: Decimal) -> int:
    """Convert dollars (``Decimal``) to integer cents, rounding once ``ROUND_HALF_UP``.

    ``Decimal("18.00") -> 1800``, ``Decimal("0.005") -> 1``, ``Decimal("-0.005") -> -1``.
    Raises ``TypeError`` if ``amount`` is not a ``Decimal``, ``ValueError`` if it is NaN or infinite.
    """
    _check_finite(amount)
    return int(CONTEXT.scaleb(amount, 2).quantize(_ONE, rounding=ROUND_HALF_UP, context=CONTEXT))


def _plain(amount: Decimal, min_places: int) -> str:
    _check_finite(amount)
    if amount.is_zero():
        amount = Decimal(0)  # drop the sign of negative zero
    normalized = CONTEXT.normalize(amount)
    if _exponent(normalized) > -min_places:
        normalized = normalized.quantize(Decimal(1).scaleb(-min_places), context=CONTEXT)
    return format(normalized, "f")


def format_decimal(amount: Decimal) -> str:
    """Canonical API string for a dollar amount or price: at least 2 decimal places, no exponent.

    Trailing zeros beyond the second decimal place are dropped; the value is never rounded:
    ``18 -> "18.00"``, ``Decimal("0.045") -> "0.045"``, ``Decimal("0.0800") -> "0.08"``,
    ``Decimal("1E+3") -> "1000.00"``. Negative zero formats as ``"0.00"``.
    Raises ``TypeError`` if ``amount`` is not a ``Decimal``, ``ValueError`` if it is NaN or infinite.
    """
    return _plain(amount, 2)


def format_dollars(amount: Decimal) -> str:
    """A dollar amount for a description: ``format_decimal`` with a dollar sign after any minus sign,
    never rounded: ``18 -> "$18.00"``, ``Decimal("-5") -> "-$5.00"``, ``Decimal("0.045") -> "$0.045"``.
    Raises ``TypeError`` if ``amount`` is not a ``Decimal``, ``ValueError`` if it is NaN or infinite.
    """
    text = format_decimal(amount)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def format_quantity(q: Decimal) -> str:
    """Canonical API string for a quantity: no exponent, no trailing zeros, no forced decimals.

    ``Decimal(400) -> "400"``, ``Decimal("1.50") -> "1.5"``, ``Decimal("4E+2") -> "400"``.
    Raises ``TypeError`` if ``q`` is not a ``Decimal``, ``ValueError`` if it is NaN or infinite.
    """
    return _plain(q, 0)


def cents_as_dollars(cents: int) -> str:
    """Integer cents for people (emails, the payment page): ``123450`` → ``$1,234.50``, ``-5`` → ``-$0.05``."""
    amount = Decimal(abs(cents)) / 100
    return f"{'-' if cents < 0 else ''}${amount:,.2f}"

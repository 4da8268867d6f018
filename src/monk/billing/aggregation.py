"""Aggregation of meter values over a billing period.

``aggregate`` reduces the values extracted from matching events (see :mod:`monk.billing.matching`) to
one ``Decimal`` quantity. Sums are computed exactly: a result that cannot be represented without
rounding raises ``ValueError`` instead of silently losing digits.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation, Overflow

from monk.billing.money import parse_decimal

__all__ = ["AGGREGATIONS", "aggregate"]

AGGREGATIONS: tuple[str, ...] = ("COUNT", "SUM", "MAX", "MIN", "UNIQUE_COUNT")

_EXACT = Context(prec=400, rounding=ROUND_HALF_UP, traps=[InvalidOperation, Inexact, Overflow])


def _numbers(kind: str, values: Iterable[Decimal | str | None]) -> list[Decimal]:
    out: list[Decimal] = []
    for value in values:
        if value is None:
            raise ValueError(f"{kind} aggregation got a None value")
        out.append(parse_decimal(value))
    return out


def aggregate(kind: str, values: Iterable[Decimal | str | None]) -> Decimal:
    """Reduce meter values to a quantity (``Decimal``).

    * ``COUNT``: number of values (values may be anything, including ``None``).
    * ``SUM``: exact sum of the values (``Decimal`` or numeric ``str``, parsed with ``parse_decimal``).
    * ``MAX`` / ``MIN``: largest / smallest value (numerically).
    * ``UNIQUE_COUNT``: number of distinct values compared as strings (``"1"`` and ``"1.0"`` differ).

    Empty input gives ``Decimal(0)`` for every kind. The iterable is consumed once.
    Raises ``ValueError`` on an unknown ``kind``, on ``None`` or a non-numeric value for SUM/MAX/MIN,
    on ``None`` for UNIQUE_COUNT, or if an exact sum is not representable.
    """
    if kind not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {kind!r}; expected one of {AGGREGATIONS}")
    if kind == "COUNT":
        return Decimal(sum(1 for _ in values))
    if kind == "UNIQUE_COUNT":
        seen: set[str] = set()
        for value in values:
            if value is None:
                raise ValueError("UNIQUE_COUNT aggregation got a None value")
            seen.add(str(value))
        return Decimal(len(seen))
    numbers = _numbers(kind, values)
    if not numbers:
        return Decimal(0)
    if kind == "MAX":
        return max(numbers)
    if kind == "MIN":
        return min(numbers)
    total = Decimal(0)
    try:
        for number in numbers:
            total = _EXACT.add(total, number)
    except ArithmeticError as exc:
        raise ValueError("sum cannot be represented exactly") from exc
    return total

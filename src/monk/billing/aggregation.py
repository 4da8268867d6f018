"""Aggregation of meter values over a billing period.

``aggregate`` reduces the values extracted from matching events (see :mod:`monk.billing.matching`) to
one ``Decimal`` quantity; ``Tally`` does the same one value at a time; ``Summary`` and ``fold`` keep
the mergeable part (count, exact sum, min, max) that usage rollups store, adding and removing values.
Sums are computed exactly (``money.EXACT``): a result that cannot be represented without rounding
raises ``ValueError`` instead of silently losing digits. This is Monk's only implementation of
aggregation.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from monk.billing.money import EXACT as _EXACT
from monk.billing.money import parse_decimal

__all__ = ["AGGREGATIONS", "NUMERIC_AGGREGATIONS", "Summary", "Tally", "aggregate", "fold"]

AGGREGATIONS: tuple[str, ...] = ("COUNT", "SUM", "MAX", "MIN", "UNIQUE_COUNT")
# The aggregations over a numeric property (the meter's aggregation key); the others count events.
NUMERIC_AGGREGATIONS = frozenset({"SUM", "MAX", "MIN"})


def _exact_sum(start: Decimal | None, numbers: Sequence[Decimal], *, sign: int = 1) -> Decimal:
    total = start if start is not None else Decimal(0)
    try:
        for number in numbers:
            total = _EXACT.add(total, number) if sign > 0 else _EXACT.subtract(total, number)
    except ArithmeticError as exc:
        raise ValueError("sum cannot be represented exactly") from exc
    return total


@dataclass(frozen=True)
class Summary:
    """What can be merged of a set of meter values: how many (``count``, values without a number
    included) and the exact ``sum``, ``min`` and ``max`` of the numeric ones (None when there are none)."""

    count: int = 0
    sum: Decimal | None = None
    min: Decimal | None = None
    max: Decimal | None = None

    def quantity(self, kind: str) -> Decimal:
        """The quantity of aggregation ``kind`` (COUNT, SUM, MAX or MIN; ``Decimal(0)`` without numbers).
        Raises ``ValueError`` for UNIQUE_COUNT (distinct values cannot be merged) or an unknown kind."""
        if kind == "COUNT":
            return Decimal(self.count)
        if kind not in ("SUM", "MAX", "MIN"):
            raise ValueError(f"{kind!r} cannot be read from a summary")
        value = {"SUM": self.sum, "MAX": self.max, "MIN": self.min}[kind]
        return value if value is not None else Decimal(0)


def fold(summary: Summary, added: Sequence[Decimal | None],
         removed: Sequence[Decimal | None] = ()) -> tuple[Summary, bool, bool]:
    """``summary`` with the values ``removed`` taken out and ``added`` put in (None: a value without
    a number, counted only). Returns ``(summary, min_stale, max_stale)``: a removed value that was the
    minimum (maximum) leaves it unknown (None in the result, flag True) and the caller reads it again
    from the values left. An empty result (count 0) is ``Summary()``. Raises ``ValueError`` when a
    sum cannot be represented exactly."""
    gone = [v for v in removed if v is not None]
    new = [v for v in added if v is not None]
    count = summary.count - len(removed) + len(added)
    if count <= 0:
        return Summary(), False, False
    total = summary.sum
    if gone and total is not None:
        total = _exact_sum(total, gone, sign=-1)
    if new:
        total = _exact_sum(total, new)
    stale_min = summary.min is not None and any(v == summary.min for v in gone)
    stale_max = summary.max is not None and any(v == summary.max for v in gone)
    low, high = summary.min, summary.max
    if stale_min:
        low = None
    elif new:
        low = min([*new, *([low] if low is not None else [])])
    if stale_max:
        high = None
    elif new:
        high = max([*new, *([high] if high is not None else [])])
    return replace(summary, count=count, sum=total, min=low, max=high), stale_min, stale_max


@dataclass
class Tally:
    """Aggregates one meter's values one at a time, with ``aggregate``'s semantics (exact)."""

    kind: str
    summary: Summary = Summary()
    unique: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.kind not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation {self.kind!r}; expected one of {AGGREGATIONS}")

    def add(self, value: Decimal | str | None) -> None:
        """Add one value: anything for COUNT, a string-comparable value for UNIQUE_COUNT, a number
        (``Decimal`` or numeric ``str``) for SUM/MAX/MIN. Raises ``ValueError`` on ``None`` or a
        non-numeric value where a number is needed, on ``None`` for UNIQUE_COUNT, or when a sum
        cannot be represented exactly."""
        if self.kind == "COUNT":
            self.summary = replace(self.summary, count=self.summary.count + 1)
        elif self.kind == "UNIQUE_COUNT":
            if value is None:
                raise ValueError("UNIQUE_COUNT aggregation got a None value")
            self.unique.add(str(value))
        else:
            if value is None:
                raise ValueError(f"{self.kind} aggregation got a None value")
            self.summary = fold(self.summary, [parse_decimal(value)])[0]

    def quantity(self) -> Decimal:
        """The aggregated quantity (``Decimal(0)`` when nothing was added)."""
        if self.kind == "UNIQUE_COUNT":
            return Decimal(len(self.unique))
        return self.summary.quantity(self.kind)


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
    tally = Tally(kind)
    for value in values:
        tally.add(value)
    return tally.quantity()

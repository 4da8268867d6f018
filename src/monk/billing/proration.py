"""Proration: the exact share of a billing period each phase of a contract covers, and amounts prorated
by it to the cent.

A period ``[start, end)`` of ``T`` seconds is cut at the instants phases start (``split_period``). A
phase covering ``[s, e)`` of it has the share ``(e - s) / T``, an exact fraction of whole seconds
(instants are floored to the second, as Stripe prorates to the second), so the shares of one period
always add up to exactly one: a change minutes after the start gives the old plan those minutes'
share and the new plan the rest, never a whole day.

Rounding (``prorate``) carries the cents over from the earlier parts of the period: the part after
``offset`` seconds bills ``round(F × (offset + seconds) / T) − round(F × offset / T)``, each round to
cents half up. Each part is then within one cent of its exact share, and the parts of a period that
prorate the same amount ``F`` add up to exactly ``round(F)`` (the sum telescopes), whatever the number
of parts. Worked example: $31.00 in a 31-day January (2,678,400 s) changed at 00:10 to $62.00:
the first 600 s bill ``round(31 × 600 / 2,678,400) = round(0.006944…) = $0.01``; the rest bills
``round(62) − round(62 × 600 / 2,678,400) = 62.00 − 0.01 = $61.99``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from monk.billing.money import format_decimal, round_money

__all__ = ["Share", "describe_share", "format_duration", "prorate", "prorated_description", "split_period", "whole"]

_SECOND = timedelta(seconds=1)
_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1))


@dataclass(frozen=True)
class Share:
    """The part ``[offset, offset + seconds)`` of a period of ``total`` seconds (all whole seconds).

    ``fraction`` is the exact share ``seconds / total``; ``whole`` is true when the part is the period.
    Raises ``ValueError`` unless ``0 <= offset``, ``0 <= seconds`` and ``offset + seconds <= total``,
    with ``total > 0``.
    """

    offset: int
    seconds: int
    total: int

    def __post_init__(self) -> None:
        if self.total <= 0 or self.offset < 0 or self.seconds < 0 or self.offset + self.seconds > self.total:
            raise ValueError(f"not a part of a period: offset {self.offset}, seconds {self.seconds}, "
                             f"total {self.total}")

    @property
    def fraction(self) -> Fraction:
        """The exact share of the period, ``seconds / total``."""
        return Fraction(self.seconds, self.total)

    @property
    def whole(self) -> bool:
        """True when the part covers the whole period."""
        return self.seconds == self.total


def whole(total: int = 1) -> Share:
    """The share covering a whole period of ``total`` seconds (1 when the length does not matter)."""
    return Share(offset=0, seconds=total, total=total)


def _seconds(delta: timedelta) -> int:
    return delta // _SECOND


def split_period(start: datetime, end: datetime, parts: Sequence[tuple[datetime, datetime]]) -> list[Share]:
    """The share of the period ``[start, end)`` each part ``[s, e)`` covers, in the order given.

    Instants are tz-aware; each is floored to the whole second counted from ``start`` (parts that meet
    share the same floored boundary, so adjacent parts never gain or lose a second). Parts are clipped
    to the period. Parts that tile the period (as a contract's phases do) get shares summing to exactly
    1. Raises ``ValueError`` when ``end`` is not at least one second after ``start``.
    """
    total = _seconds(end - start)
    if total <= 0:
        raise ValueError(f"period end {end} must be at least one second after start {start}")
    out = []
    for s, e in parts:
        lo = min(max(_seconds(s - start), 0), total)
        hi = min(max(_seconds(e - start), lo), total)
        out.append(Share(offset=lo, seconds=hi - lo, total=total))
    return out


def _round_cents(value: Fraction) -> Decimal:
    """``value`` dollars rounded to cents, half away from zero (``ROUND_HALF_UP``), exactly."""
    scaled = abs(value) * 100
    cents = (scaled.numerator * 2 + scaled.denominator) // (scaled.denominator * 2)  # floor(x + 1/2)
    return Decimal(-cents if value < 0 else cents).scaleb(-2)


def prorate(amount: Decimal, share: Share) -> Decimal:
    """``amount`` (dollars, exact) prorated by ``share``, in dollars rounded to cents (exponent -2).

    Cumulative rounding (module docstring): ``round(amount × (offset + seconds) / total) −
    round(amount × offset / total)``; a whole share gives ``round_money(amount)``; an empty one 0.00.
    Examples, January (2,678,400 s): $31.00 over the first 600 s -> 0.01; $62.00 over the 1 s after
    600 s -> 0.00; $100.00 over the second half -> 50.00.
    Raises ``ValueError`` for a non-finite amount.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise ValueError(f"amount must be a finite Decimal, got {amount!r}")
    if share.whole:
        return round_money(amount)
    exact = Fraction(amount)
    upto = _round_cents(exact * Fraction(share.offset + share.seconds, share.total))
    before = _round_cents(exact * Fraction(share.offset, share.total))
    return round_money(upto - before)


def format_duration(seconds: int) -> str:
    """A number of seconds in words, largest units first, zero units left out: ``600`` -> ``"10
    minutes"``, ``1_245_600`` -> ``"14 days 10 hours"``, ``1`` -> ``"1 second"``, ``0`` -> ``"0
    seconds"``. Raises ``ValueError`` for a negative number."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    words = []
    rest = seconds
    for name, size in _UNITS:
        n, rest = divmod(rest, size)
        if n:
            words.append(f"{n} {name}{'' if n == 1 else 's'}")
    return " ".join(words) or "0 seconds"


def describe_share(share: Share) -> str:
    """How much of the period a share covers, in words: ``"19 days of 31 days"``; when the part is not
    whole days the seconds are given too: ``"10 minutes of 31 days (600 of 2,678,400 seconds)"``."""
    text = f"{format_duration(share.seconds)} of {format_duration(share.total)}"
    if share.seconds % 86_400 or share.total % 86_400:
        text += f" ({share.seconds:,} of {share.total:,} seconds)"
    return text


def prorated_description(full: Decimal, share: Share, amount: Decimal) -> str:
    """The description of a line billing ``amount`` = ``prorate(full, share)`` (dollars):
    ``"Prorated: 19 days of 31 days × $50.00 = $30.65"``. When cumulative rounding moved a cent
    (``amount`` differs from the part's own rounded share) it says so, so the line always explains
    its amount."""
    text = f"Prorated: {describe_share(share)} × ${format_decimal(round_money(full))} = ${format_decimal(amount)}"
    if amount != _round_cents(Fraction(full) * share.fraction):
        text += " (a cent carried over so that the parts of the period add up)"
    return text

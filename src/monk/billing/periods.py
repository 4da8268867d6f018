"""Billing periods and recurring-interval arithmetic on calendar dates.

All periods are half-open date ranges ``[start, end)``: ``end`` is the first day NOT covered. As
instants, a period covers ``[start 00:00 UTC, end 00:00 UTC)``.

Month arithmetic is always computed from the anchor (``anchor + k months`` via
``dateutil.relativedelta``), never by adding a month to a previous result, so month-end anchors do
not drift: anchor Jan 31 gives Feb 28 (Feb 29 in leap years), then Mar 31, Apr 30, May 31, ...
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from dateutil.relativedelta import relativedelta

__all__ = [
    "FREQUENCY_MONTHS",
    "INTERVALS",
    "Period",
    "anchored_date",
    "billing_periods",
    "interval_starts_in",
    "period_containing",
]

FREQUENCY_MONTHS: dict[str, int] = {"MONTHLY": 1, "QUARTERLY": 3, "SEMI_ANNUALLY": 6, "ANNUALLY": 12}
INTERVALS: tuple[str, ...] = ("WEEK", "MONTH", "YEAR")


def _utc_midnight(d: date) -> datetime:
    return datetime.combine(d, time(0), tzinfo=UTC)


def _as_utc(at: datetime) -> datetime:
    """Naive datetimes are taken to be UTC (e.g. values read back from SQLite); aware ones are converted."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Half-open date range ``[start, end)``; ``end`` is exclusive.

    Raises ``ValueError`` unless ``end > start``; ``TypeError`` if a bound is a ``datetime``.
    """

    start: date
    end: date

    def __post_init__(self) -> None:
        if isinstance(self.start, datetime) or isinstance(self.end, datetime):
            raise TypeError("Period bounds must be dates, not datetimes")
        if self.end <= self.start:
            raise ValueError(f"period end {self.end} must be after start {self.start}")

    def contains(self, d: datetime | date) -> bool:
        """True if ``d`` falls in the period.

        A ``date`` is covered when ``start <= d < end``. A ``datetime`` is converted to UTC (naive values
        are taken to be UTC) and covered when ``start 00:00 UTC <= d < end 00:00 UTC``.
        """
        if isinstance(d, datetime):
            return self.start_at <= _as_utc(d) < self.end_at
        return self.start <= d < self.end

    @property
    def days(self) -> int:
        """Number of days covered (``end - start``), always >= 1."""
        return (self.end - self.start).days

    @property
    def start_at(self) -> datetime:
        """The first instant covered: ``start`` at 00:00 UTC (tz-aware)."""
        return _utc_midnight(self.start)

    @property
    def end_at(self) -> datetime:
        """The first instant NOT covered: ``end`` at 00:00 UTC (tz-aware)."""
        return _utc_midnight(self.end)


def anchored_date(anchor: date, months: int) -> date:
    """Return ``anchor + months`` calendar months, clamping the day to the target month's length.

    ``months`` may be negative or zero. Computed from the anchor itself, so it never drifts:
    anchor 2026-01-31: +1 -> 2026-02-28, +2 -> 2026-03-31, +13 -> 2027-02-28; 2028-01-31 +1 -> 2028-02-29.
    """
    result: date = anchor + relativedelta(months=months)
    return result


def _months_between(a: date, b: date) -> int:
    """Whole calendar-month difference between the months of ``a`` and ``b`` (days ignored)."""
    return (b.year - a.year) * 12 + (b.month - a.month)


def _first_index(boundary: Callable[[int], date], target: date, guess: int, *, strict: bool) -> int:
    """Smallest k with ``boundary(k) > target`` (strict) or ``>= target``; ``boundary`` is increasing."""

    def ok(k: int) -> bool:
        b = boundary(k)
        return b > target if strict else b >= target

    k = guess
    while ok(k - 1):
        k -= 1
    while not ok(k):
        k += 1
    return k


def billing_periods(*, start: date, end: date | None, anchor: date, months: int, until: date) -> list[Period]:
    """Return a contract's billing periods, in order, tiling ``[start, end)`` with no gap or overlap.

    Boundaries are ``anchored_date(anchor, k * months)`` for every integer k (so the anchor may lie
    before or after ``start``). The first period runs from ``start`` to the first boundary strictly after
    ``start`` (a short "stub" when the anchor is not aligned with ``start``); the following periods run
    boundary to boundary.

    * Fixed term (``end`` given, exclusive): the last period is clipped to ``end``; no period starts at or
      after ``end``. ``until`` is ignored.
    * Rolling (``end is None``): periods are produced while ``period.start <= until``, i.e. up to and
      including the period containing ``until``; an empty list when ``until < start``.

    ``months`` is the period length in months (see ``FREQUENCY_MONTHS``).
    Raises ``ValueError`` if ``months < 1`` or ``end <= start``.
    """
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    if end is not None and end <= start:
        raise ValueError(f"contract end {end} must be after start {start}")

    def boundary(k: int) -> date:
        return anchored_date(anchor, k * months)

    k = _first_index(boundary, start, _months_between(anchor, start) // months, strict=True)
    periods: list[Period] = []
    current = start
    while True:
        if end is not None:
            if current >= end:
                break
        elif current > until:
            break
        nxt = boundary(k)
        if end is not None and nxt > end:
            nxt = end
        periods.append(Period(current, nxt))
        current = nxt
        k += 1
    return periods


def interval_starts_in(*, origin: date, interval: str, count: int, period: Period) -> int:
    """Count the starts of a recurring interval that fall in ``period`` (start inclusive, end exclusive).

    The n-th start (n >= 0) is ``origin + n*count weeks`` for ``"WEEK"``, ``anchored_date(origin,
    n*count)`` for ``"MONTH"`` and ``anchored_date(origin, n*count*12)`` for ``"YEAR"``; nothing starts
    before ``origin``. Example: origin 2026-01-01, ``"WEEK"`` x1, period January 2026 -> 5.
    Raises ``ValueError`` for an unknown ``interval`` or ``count < 1``.
    """
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; expected one of {INTERVALS}")
    if count < 1:
        raise ValueError(f"interval count must be >= 1, got {count}")

    if interval == "WEEK":
        step_days = 7 * count

        def first_at_or_after(target: date) -> int:
            return max(0, -((origin - target).days // step_days))  # ceil(days / step), floored at 0

    else:
        step_months = count * (12 if interval == "YEAR" else 1)

        def boundary(n: int) -> date:
            return anchored_date(origin, n * step_months)

        def first_at_or_after(target: date) -> int:
            guess = _months_between(origin, target) // step_months
            return max(0, _first_index(boundary, target, guess, strict=False))

    return first_at_or_after(period.end) - first_at_or_after(period.start)


def period_containing(periods: Sequence[Period], at: datetime) -> Period | None:
    """Return the period of ``periods`` containing the instant ``at`` (tz-aware; naive is taken as UTC).

    Returns ``None`` when no period contains it.
    """
    for period in periods:
        if period.contains(at):
            return period
    return None

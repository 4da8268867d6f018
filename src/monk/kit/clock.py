"""An injectable clock, so tests move time instead of sleeping. All times are tz-aware UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


class Clock:
    """The wall clock (UTC)."""

    def now(self) -> datetime:
        """The current instant, tz-aware UTC."""
        return datetime.now(UTC)

    def today(self) -> date:
        """Today's UTC calendar date."""
        return self.now().date()


class FrozenClock(Clock):
    """A clock that stands still until moved: for tests and simulations."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FrozenClock needs a tz-aware datetime")
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to ``at`` (tz-aware)."""
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        self._at += delta


def iso_ms(at: datetime) -> str:
    """Format an instant as the API's ISO 8601 UTC with milliseconds: ``2026-02-27T10:00:00.000Z``
    (the year always four digits: ``0136-07-31T…``, where ``strftime`` would write ``136``)."""
    at = at.astimezone(UTC)
    return f"{at.year:04d}-" + at.strftime("%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"

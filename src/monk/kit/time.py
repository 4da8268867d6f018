"""Parsing and formatting of API dates and timestamps (always UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def ensure_utc(at: datetime) -> datetime:
    """Return ``at`` as tz-aware UTC; a naive datetime is taken to be UTC already."""
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


def midnight(d: date) -> datetime:
    """The UTC instant at the start of calendar day ``d``."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC)

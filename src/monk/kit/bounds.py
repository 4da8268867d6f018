"""The documented bounds of every date, instant, string and JSON value the API takes (README
"Limits"), as reusable Pydantic types and small checks. Beyond a bound: 400 ``VALIDATION_ERROR``
naming the field, before anything reaches the database.

- Instants (event ``timestamp``, usage-cost ``startDate``/``endDate``, event-list ``start``/``end``):
  ``2000-01-01T00:00:00Z`` <= t < ``2100-01-01T00:00:00Z`` after conversion to UTC.
- Calendar dates (contract dates, ``changeDate``, invoice filters): 2000-01-01 .. 2099-12-31.
- Contracts: ``startDate`` at most 2 years before today (the app clock, UTC) and at most 5 years
  after it; a fixed term (``endDate``) at most 10 years long.
- Strings: ids and keys 1..255 characters (the width of the columns they reach); no lone UTF-16
  surrogate (``"\\ud800"``: it has no UTF-8 form, so no column can hold it). Pydantic's ``str``
  refuses those itself; ``lone_surrogate`` covers the Events API's own parser and free-form JSON.
- Free-form JSON objects (``creditSettings``): at most 8 levels deep and 16 KiB as JSON.
- Event bodies: nested at most 200 levels (the fast parser's limit; 64 when the standard parser
  is needed); other bodies too deep for the standard parser are a 400 from FastAPI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from monk.kit.errors import ValidationFailed

EARLIEST_INSTANT = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_INSTANT = datetime(2100, 1, 1, tzinfo=UTC)  # exclusive
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
CONTRACT_PAST_YEARS = 2
CONTRACT_FUTURE_YEARS = 5
CONTRACT_TERM_YEARS = 10
MAX_ID = 255
MAX_JSON_DEPTH = 8
MAX_JSON_BYTES = 16 << 10
MAX_BODY_DEPTH = 64

INSTANT_RANGE = "between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z (exclusive)"
DAY_RANGE = "between 2000-01-01 and 2099-12-31"


def bounded_instant(at: datetime) -> datetime:
    """``at`` as tz-aware UTC (naive = UTC) when it lies in the accepted range.

    Raises ``PydanticCustomError`` (→ 400) otherwise. The year is checked before any conversion,
    so an instant near ``datetime``'s own limits (year 1 or 9999 with an offset) cannot overflow.
    """
    if not 1999 <= at.year <= 2100:
        raise PydanticCustomError("instant_range", f"must be {INSTANT_RANGE}")
    at = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    if not EARLIEST_INSTANT <= at < LATEST_INSTANT:
        raise PydanticCustomError("instant_range", f"must be {INSTANT_RANGE}")
    return at


def bounded_day(d: date) -> date:
    """``d`` when it lies in 2000-01-01 .. 2099-12-31; else ``PydanticCustomError`` (→ 400)."""
    if not FIRST_DAY <= d <= LAST_DAY:
        raise PydanticCustomError("date_range", f"must be {DAY_RANGE}")
    return d


def add_years(d: date, years: int) -> date:
    """``d`` moved by whole ``years`` (Feb 29 becomes Feb 28 in a non-leap year)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def contract_dates_problem(start: date, end: date | None, today: date) -> str | None:
    """Why a contract's ``startDate``/``endDate`` are out of bounds relative to ``today`` (UTC),
    as a message naming the limit, or None when they are fine."""
    earliest, latest = add_years(today, -CONTRACT_PAST_YEARS), add_years(today, CONTRACT_FUTURE_YEARS)
    if start < earliest:
        return (f"startDate may be at most {CONTRACT_PAST_YEARS} years in the past "
                f"(on or after {earliest.isoformat()})")
    if start > latest:
        return (f"startDate may be at most {CONTRACT_FUTURE_YEARS} years in the future "
                f"(on or before {latest.isoformat()})")
    if end is not None and end > add_years(start, CONTRACT_TERM_YEARS):
        return (f"endDate may be at most {CONTRACT_TERM_YEARS} years after startDate "
                f"(on or before {add_years(start, CONTRACT_TERM_YEARS).isoformat()})")
    return None


def lone_surrogate(value: Any, *, max_depth: int = MAX_BODY_DEPTH) -> str | None:
    """Check a parsed JSON value: a message when a string or key holds a lone UTF-16 surrogate
    (``"\\ud800"``: it has no UTF-8 form) or when it nests deeper than ``max_depth``; else None.
    Iterative, so any depth is safe to walk; ASCII strings cost one call each."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and not _encodable(item):
                return "strings must not contain lone UTF-16 surrogates (such as \\ud800)"
        elif isinstance(item, dict):
            if depth >= max_depth:
                return f"the body may be nested at most {max_depth} levels deep"
            stack.extend((k, depth) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            if depth >= max_depth:
                return f"the body may be nested at most {max_depth} levels deep"
            stack.extend((v, depth + 1) for v in item)
    return None


def _encodable(s: str) -> bool:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_object(value: dict[str, Any]) -> dict[str, Any]:
    problem = lone_surrogate(value, max_depth=MAX_JSON_DEPTH)
    if problem is not None:
        raise PydanticCustomError("json_object", problem.replace("the body", "the object"))
    if len(json.dumps(value, separators=(",", ":"))) > MAX_JSON_BYTES:
        raise PydanticCustomError("json_object", f"must be at most {MAX_JSON_BYTES} bytes as JSON")
    return value


InstantIn = Annotated[datetime, AfterValidator(bounded_instant)]
"""An input date-time in ``2000-01-01T00:00:00Z`` .. ``2100-01-01T00:00:00Z`` (exclusive), returned as UTC."""
DayIn = Annotated[date, AfterValidator(bounded_day)]
"""An input calendar date in 2000-01-01 .. 2099-12-31."""
Id = Annotated[str, Field(min_length=1, max_length=MAX_ID)]
"""An id or key (1..255 characters)."""
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_object)]
"""A free-form JSON object: at most 8 levels deep and 16 KiB serialized."""


T = TypeVar("T")


def query_instant(name: str, raw: str | None) -> datetime | None:
    """A query parameter holding an ISO 8601 date or date-time (``Z`` or an offset; naive = UTC),
    as UTC, or None when absent. Raises ``ValidationFailed`` (400) when it does not parse or lies
    outside the instant range."""
    return _query(name, raw, lambda r: datetime.fromisoformat(r.replace("Z", "+00:00")), bounded_instant,
                  "an ISO 8601 date or date-time")


def query_day(name: str, raw: str | None) -> date | None:
    """A query parameter holding a date (``YYYY-MM-DD``; a date-time's first ten characters are
    used), or None when absent. Raises ``ValidationFailed`` (400) when it does not parse or lies
    outside 2000-01-01 .. 2099-12-31."""
    return _query(name, raw, lambda r: date.fromisoformat(r[:10]), bounded_day, "a date (YYYY-MM-DD)")


def _query(name: str, raw: str | None, parse: Callable[[str], T], bound: Callable[[T], T], what: str) -> T | None:
    """``bound(parse(raw))``, None for an absent parameter; ``ValidationFailed`` naming ``name``."""
    if raw is None:
        return None
    try:
        value = parse(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be {what}") from None
    try:
        return bound(value)
    except PydanticCustomError as exc:
        raise ValidationFailed(f"{name} {exc.message()}") from None

"""The bounds of kit/bounds.py, worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic_core import PydanticCustomError

from monk.kit.bounds import (
    add_years,
    bounded_day,
    bounded_instant,
    contract_dates_problem,
    lone_surrogate,
    query_instant,
)
from monk.kit.errors import ValidationFailed


def test_instants_are_bounded_before_conversion() -> None:
    assert bounded_instant(datetime(2000, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == datetime(2000, 1, 1,
                                                                                                     tzinfo=UTC)
    assert bounded_instant(datetime(2099, 12, 31, 23, 59, 59)) == datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)
    for bad in (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
                datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-1))),
                datetime(2000, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # 1999-12-31T23:30Z
                datetime(2100, 1, 1, tzinfo=UTC)):
        with pytest.raises(PydanticCustomError):
            bounded_instant(bad)


def test_days_and_query_values() -> None:
    assert bounded_day(date(2099, 12, 31)) == date(2099, 12, 31)
    with pytest.raises(PydanticCustomError):
        bounded_day(date(1999, 12, 31))
    assert query_instant("start", "2026-01-01") == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValidationFailed, match="start must be between"):
        query_instant("start", "0001-01-01T00:00:00+01:00")
    with pytest.raises(ValidationFailed, match="ISO 8601"):
        query_instant("start", "yesterday")


def test_contract_dates() -> None:
    today = date(2026, 1, 15)
    assert contract_dates_problem(date(2024, 1, 15), None, today) is None
    assert "at most 2 years in the past (on or after 2024-01-15)" in contract_dates_problem(date(2024, 1, 14), None,
                                                                                             today)
    assert contract_dates_problem(date(2031, 1, 15), None, today) is None
    assert "5 years in the future" in contract_dates_problem(date(2031, 1, 16), None, today)
    assert contract_dates_problem(date(2026, 1, 1), date(2036, 1, 1), today) is None
    assert "10 years after startDate" in contract_dates_problem(date(2026, 1, 1), date(2036, 1, 2), today)
    assert add_years(date(2028, 2, 29), -2) == date(2026, 2, 28)


def test_lone_surrogates_and_depth() -> None:
    assert lone_surrogate({"a": ["ok", "\U0001F600"]}) is None
    assert lone_surrogate({"a": ["\ud800"]}) is not None
    assert lone_surrogate({"\udc00": 1}) is not None
    deep: object = 1
    for _ in range(64):
        deep = [deep]
    assert lone_surrogate(deep) is None
    assert "at most 64 levels" in (lone_surrogate([deep]) or "")

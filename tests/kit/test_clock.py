"""The API's instant format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from monk.kit.clock import iso_ms


def test_iso_ms_is_utc_with_milliseconds_and_a_four_digit_year() -> None:
    assert iso_ms(datetime(2026, 2, 27, 10, 0, 0, 123999, tzinfo=UTC)) == "2026-02-27T10:00:00.123Z"
    assert iso_ms(datetime(2026, 2, 27, 12, 0, tzinfo=timezone(timedelta(hours=2)))) == "2026-02-27T10:00:00.000Z"
    assert iso_ms(datetime(136, 7, 31, 19, 31, 41, tzinfo=UTC)) == "0136-07-31T19:31:41.000Z"
    assert iso_ms(datetime(1, 1, 1, tzinfo=UTC)) == "0001-01-01T00:00:00.000Z"

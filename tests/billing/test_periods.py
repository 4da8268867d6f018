from datetime import UTC, date, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monk.billing.periods import (
    FREQUENCY_MONTHS,
    Period,
    anchored_date,
    billing_periods,
    interval_starts_in,
    period_containing,
)


def spans(periods: list[Period]) -> list[tuple[date, date]]:
    return [(p.start, p.end) for p in periods]


# --- Period -------------------------------------------------------------------------------------


def test_period_basics() -> None:
    jan = Period(date(2026, 1, 1), date(2026, 2, 1))
    assert jan.days == 31
    assert jan.start_at == datetime(2026, 1, 1, tzinfo=UTC)
    assert jan.end_at == datetime(2026, 2, 1, tzinfo=UTC)
    assert jan.start_at.tzinfo is not None
    assert jan.end_at.utcoffset() == timedelta(0)


def test_period_contains_dates_half_open() -> None:
    jan = Period(date(2026, 1, 1), date(2026, 2, 1))
    assert jan.contains(date(2026, 1, 1))
    assert jan.contains(date(2026, 1, 31))
    assert not jan.contains(date(2026, 2, 1))
    assert not jan.contains(date(2025, 12, 31))


def test_period_contains_datetimes_by_utc_instant() -> None:
    jan = Period(date(2026, 1, 1), date(2026, 2, 1))
    assert jan.contains(datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC))
    assert not jan.contains(datetime(2026, 2, 1, 0, 0, tzinfo=UTC))
    # 2026-01-31 20:00 at UTC-5 is 2026-02-01 01:00 UTC -> February
    assert not jan.contains(datetime(2026, 1, 31, 20, 0, tzinfo=timezone(timedelta(hours=-5))))
    # 2026-01-01 03:00 at UTC+5 is 2025-12-31 22:00 UTC -> December
    assert not jan.contains(datetime(2026, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=5))))
    # naive datetimes are taken as UTC
    assert jan.contains(datetime(2026, 1, 1, 0, 0))
    assert not jan.contains(datetime(2026, 2, 1, 0, 0))


def test_period_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="after start"):
        Period(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(TypeError):
        Period(datetime(2026, 1, 1, tzinfo=UTC), date(2026, 2, 1))


# --- anchored_date ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("anchor", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 1, 31), 2, date(2026, 3, 31)),
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 1, 31), 13, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 1, 31), -2, date(2025, 11, 30)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2028, 2, 29), 48, date(2032, 2, 29)),
        (date(2026, 5, 15), 0, date(2026, 5, 15)),
    ],
)
def test_anchored_date(anchor: date, months: int, expected: date) -> None:
    assert anchored_date(anchor, months) == expected


# --- billing_periods: month-end anchors per frequency -------------------------------------------


def test_monthly_month_end_anchor_does_not_drift() -> None:
    periods = billing_periods(
        start=date(2026, 1, 31), end=None, anchor=date(2026, 1, 31), months=1, until=date(2026, 5, 15)
    )
    assert spans(periods) == [
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2026, 2, 28), date(2026, 3, 31)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 4, 30), date(2026, 5, 31)),
    ]


def test_monthly_month_end_anchor_in_leap_year() -> None:
    periods = billing_periods(
        start=date(2028, 1, 31),
        end=date(2028, 4, 30),
        anchor=date(2028, 1, 31),
        months=1,
        until=date(2028, 1, 1),
    )
    assert spans(periods) == [
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 3, 31)),
        (date(2028, 3, 31), date(2028, 4, 30)),
    ]


def test_quarterly_month_end_anchor() -> None:
    periods = billing_periods(
        start=date(2026, 1, 31),
        end=date(2027, 1, 31),
        anchor=date(2026, 1, 31),
        months=FREQUENCY_MONTHS["QUARTERLY"],
        until=date(2026, 1, 31),
    )
    assert spans(periods) == [
        (date(2026, 1, 31), date(2026, 4, 30)),
        (date(2026, 4, 30), date(2026, 7, 31)),
        (date(2026, 7, 31), date(2026, 10, 31)),
        (date(2026, 10, 31), date(2027, 1, 31)),
    ]


def test_semi_annual_month_end_anchor_across_leap_february() -> None:
    periods = billing_periods(
        start=date(2027, 8, 31),
        end=None,
        anchor=date(2027, 8, 31),
        months=FREQUENCY_MONTHS["SEMI_ANNUALLY"],
        until=date(2029, 1, 1),
    )
    assert spans(periods) == [
        (date(2027, 8, 31), date(2028, 2, 29)),
        (date(2028, 2, 29), date(2028, 8, 31)),
        (date(2028, 8, 31), date(2029, 2, 28)),
    ]


def test_annual_leap_day_anchor_returns_to_feb_29() -> None:
    periods = billing_periods(
        start=date(2028, 2, 29),
        end=date(2032, 3, 1),
        anchor=date(2028, 2, 29),
        months=FREQUENCY_MONTHS["ANNUALLY"],
        until=date(2028, 2, 29),
    )
    assert spans(periods) == [
        (date(2028, 2, 29), date(2029, 2, 28)),
        (date(2029, 2, 28), date(2030, 2, 28)),
        (date(2030, 2, 28), date(2031, 2, 28)),
        (date(2031, 2, 28), date(2032, 2, 29)),
        (date(2032, 2, 29), date(2032, 3, 1)),
    ]


# --- billing_periods: stubs, clipping, rolling --------------------------------------------------


def test_stub_period_when_anchor_after_start() -> None:
    periods = billing_periods(
        start=date(2026, 1, 15),
        end=date(2026, 4, 1),
        anchor=date(2026, 2, 1),
        months=1,
        until=date(2026, 1, 15),
    )
    assert spans(periods) == [
        (date(2026, 1, 15), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 4, 1)),
    ]


def test_anchor_before_start_uses_its_boundaries() -> None:
    periods = billing_periods(
        start=date(2026, 1, 1),
        end=date(2026, 3, 1),
        anchor=date(2025, 11, 10),
        months=1,
        until=date(2026, 1, 1),
    )
    assert spans(periods) == [
        (date(2026, 1, 1), date(2026, 1, 10)),
        (date(2026, 1, 10), date(2026, 2, 10)),
        (date(2026, 2, 10), date(2026, 3, 1)),
    ]


def test_anchor_far_after_start_on_the_same_lattice_gives_no_stub() -> None:
    periods = billing_periods(
        start=date(2026, 1, 1),
        end=date(2026, 3, 1),
        anchor=date(2026, 6, 1),
        months=1,
        until=date(2026, 1, 1),
    )
    assert spans(periods) == [(date(2026, 1, 1), date(2026, 2, 1)), (date(2026, 2, 1), date(2026, 3, 1))]


def test_fixed_term_january_to_april() -> None:
    periods = billing_periods(
        start=date(2026, 1, 1),
        end=date(2026, 5, 1),
        anchor=date(2026, 1, 1),
        months=1,
        until=date(2030, 1, 1),
    )
    assert spans(periods) == [
        (date(2026, 1, 1), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 4, 1)),
        (date(2026, 4, 1), date(2026, 5, 1)),
    ]


def test_end_inside_a_period_clips_it() -> None:
    periods = billing_periods(
        start=date(2026, 1, 1),
        end=date(2026, 3, 15),
        anchor=date(2026, 1, 1),
        months=1,
        until=date(2026, 1, 1),
    )
    assert spans(periods)[-1] == (date(2026, 3, 1), date(2026, 3, 15))
    assert len(periods) == 3


def test_short_fixed_term_inside_first_period() -> None:
    periods = billing_periods(
        start=date(2026, 1, 10),
        end=date(2026, 1, 20),
        anchor=date(2026, 1, 1),
        months=1,
        until=date(2026, 1, 1),
    )
    assert spans(periods) == [(date(2026, 1, 10), date(2026, 1, 20))]


def test_rolling_includes_the_period_containing_until() -> None:
    kwargs = {"start": date(2026, 1, 1), "end": None, "anchor": date(2026, 1, 1), "months": 1}
    assert len(billing_periods(**kwargs, until=date(2026, 1, 31))) == 1
    assert len(billing_periods(**kwargs, until=date(2026, 2, 1))) == 2
    assert billing_periods(**kwargs, until=date(2025, 12, 31)) == []


@pytest.mark.parametrize(
    ("end", "months"), [(date(2026, 1, 1), 1), (date(2025, 12, 1), 1), (None, 0), (None, -3)]
)
def test_billing_periods_rejects_bad_input(end: date | None, months: int) -> None:
    with pytest.raises(ValueError):
        billing_periods(
            start=date(2026, 1, 1), end=end, anchor=date(2026, 1, 1), months=months, until=date(2026, 6, 1)
        )


dates = st.dates(min_value=date(1995, 1, 1), max_value=date(2045, 12, 31))


@settings(max_examples=300, deadline=None)
@given(
    start=dates,
    anchor=dates,
    months=st.one_of(st.sampled_from(sorted(FREQUENCY_MONTHS.values())), st.integers(1, 24)),
    length=st.one_of(st.none(), st.integers(1, 2000)),
    horizon=st.integers(0, 2000),
)
def test_billing_periods_tile_time(
    start: date, anchor: date, months: int, length: int | None, horizon: int
) -> None:
    end = None if length is None else start + timedelta(days=length)
    until = start + timedelta(days=horizon)
    periods = billing_periods(start=start, end=end, anchor=anchor, months=months, until=until)

    assert periods, "a contract always has at least one period here"
    assert periods[0].start == start
    for previous, current in pairwise(periods):
        assert previous.end == current.start
    if end is not None:
        assert periods[-1].end == end
    else:
        assert periods[-1].start <= until < periods[-1].end
    # every inner boundary sits on the anchor lattice and no lattice point falls strictly inside a period
    first_k = ((start.year - anchor.year) * 12 + start.month - anchor.month) // months - 2
    lattice = [anchored_date(anchor, k * months) for k in range(first_k, first_k + 72 // months + 6)]
    assert lattice[0] <= start and lattice[-1] >= periods[-1].end
    for period in periods[1:]:
        assert period.start in lattice
    for period in periods:
        assert not any(period.start < point < period.end for point in lattice)
        assert period.days <= 31 * months


# --- interval_starts_in -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "interval", "count", "start", "end", "expected"),
    [
        (date(2026, 1, 1), "MONTH", 1, date(2026, 1, 1), date(2026, 4, 1), 3),
        (date(2026, 1, 1), "YEAR", 1, date(2026, 2, 1), date(2026, 3, 1), 0),
        (date(2026, 1, 1), "YEAR", 1, date(2026, 1, 1), date(2026, 2, 1), 1),
        (date(2026, 1, 1), "YEAR", 1, date(2027, 1, 1), date(2027, 2, 1), 1),
        (date(2026, 1, 1), "YEAR", 2, date(2027, 1, 1), date(2027, 2, 1), 0),
        (date(2026, 1, 1), "WEEK", 1, date(2026, 1, 1), date(2026, 2, 1), 5),
        (date(2026, 1, 1), "WEEK", 2, date(2026, 1, 1), date(2026, 2, 1), 3),
        (date(2026, 1, 1), "MONTH", 3, date(2026, 1, 1), date(2027, 1, 1), 4),
        (date(2026, 1, 31), "MONTH", 1, date(2026, 2, 1), date(2026, 3, 1), 1),
        (date(2026, 1, 31), "MONTH", 1, date(2026, 3, 1), date(2026, 4, 1), 1),
        (date(2026, 3, 1), "MONTH", 1, date(2026, 1, 1), date(2026, 3, 1), 0),
        (date(2026, 3, 1), "MONTH", 1, date(2026, 1, 1), date(2026, 3, 2), 1),
        (date(2026, 1, 8), "WEEK", 1, date(2026, 1, 1), date(2026, 1, 8), 0),
    ],
)
def test_interval_starts_in(
    origin: date, interval: str, count: int, start: date, end: date, expected: int
) -> None:
    period = Period(start, end)
    assert interval_starts_in(origin=origin, interval=interval, count=count, period=period) == expected


@pytest.mark.parametrize(("interval", "count"), [("DAY", 1), ("MONTH", 0), ("WEEK", -1)])
def test_interval_starts_in_rejects_bad_input(interval: str, count: int) -> None:
    with pytest.raises(ValueError):
        interval_starts_in(
            origin=date(2026, 1, 1),
            interval=interval,
            count=count,
            period=Period(date(2026, 1, 1), date(2026, 2, 1)),
        )


def _brute_force_starts(origin: date, interval: str, count: int, period: Period) -> int:
    n, found = 0, 0
    while True:
        if interval == "WEEK":
            point = origin + timedelta(weeks=n * count)
        else:
            point = anchored_date(origin, n * count * (12 if interval == "YEAR" else 1))
        if point >= period.end:
            return found
        found += point >= period.start
        n += 1


@settings(max_examples=200, deadline=None)
@given(
    origin=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    interval=st.sampled_from(["WEEK", "MONTH", "YEAR"]),
    count=st.integers(1, 4),
    start=st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31)),
    days=st.integers(1, 800),
)
def test_interval_starts_in_matches_enumeration(
    origin: date, interval: str, count: int, start: date, days: int
) -> None:
    period = Period(start, start + timedelta(days=days))
    expected = _brute_force_starts(origin, interval, count, period)
    assert interval_starts_in(origin=origin, interval=interval, count=count, period=period) == expected


# --- period_containing --------------------------------------------------------------------------


def test_period_containing() -> None:
    periods = billing_periods(
        start=date(2026, 1, 1),
        end=date(2026, 4, 1),
        anchor=date(2026, 1, 1),
        months=1,
        until=date(2026, 1, 1),
    )
    assert period_containing(periods, datetime(2026, 2, 14, 12, tzinfo=UTC)) == periods[1]
    assert period_containing(periods, datetime(2026, 3, 1, tzinfo=UTC)) == periods[2]
    assert period_containing(periods, datetime(2026, 4, 1, tzinfo=UTC)) is None
    assert period_containing(periods, datetime(2025, 12, 31, 23, 59, tzinfo=UTC)) is None
    assert period_containing([], datetime(2026, 2, 14, tzinfo=UTC)) is None

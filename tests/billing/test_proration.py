"""Proration to the second: exact shares of a period and prorated amounts whose parts add up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monk.billing.proration import (
    Share,
    describe_share,
    format_duration,
    prorate,
    prorated_description,
    split_period,
    whole,
)

D = Decimal
JAN_START = datetime(2026, 1, 1, tzinfo=UTC)
FEB_START = datetime(2026, 2, 1, tzinfo=UTC)
JAN_SECONDS = 31 * 86_400  # 2,678,400


def _at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=UTC)


def _tile(start: datetime, end: datetime, cuts: list[datetime]) -> list[tuple[datetime, datetime]]:
    bounds = [start, *cuts, end]
    return list(zip(bounds, bounds[1:], strict=False))


def test_issue_change_ten_minutes_after_the_start() -> None:
    # $31/month from Jan 1 00:00, changed at 00:10 to $62/month (January: 2,678,400 s).
    a, b = split_period(JAN_START, FEB_START, _tile(JAN_START, FEB_START, [_at(1, 0, 10)]))
    assert (a, b) == (Share(0, 600, JAN_SECONDS), Share(600, JAN_SECONDS - 600, JAN_SECONDS))
    # 31 x 600 / 2,678,400 = 0.006944... -> 0.01 (not a whole day's 1.00)
    assert prorate(D("31.00"), a) == D("0.01")
    # round(62 x 1) - round(62 x 600 / 2,678,400 = 0.013888...) = 62.00 - 0.01 = 61.99
    # (its own share 62 x 2,677,800 / 2,678,400 = 61.986111... rounds to 61.99 as well)
    assert prorate(D("62.00"), b) == D("61.99")
    assert prorate(D("31.00"), a) + prorate(D("62.00"), b) == D("62.00")  # less than 31 + 62 share of a day


def test_issue_two_changes_within_one_second() -> None:
    # $31 from 00:00, $62 from 00:10:00, $93 from 00:10:01: the middle phase lasts one second.
    a, b, c = split_period(JAN_START, FEB_START, _tile(JAN_START, FEB_START, [_at(1, 0, 10), _at(1, 0, 10, 1)]))
    assert (a.seconds, b.seconds, c.seconds) == (600, 1, JAN_SECONDS - 601)
    assert a.fraction + b.fraction + c.fraction == 1
    assert prorate(D("31.00"), a) == D("0.01")
    # 62 x 1 / 2,678,400 = 0.0000231...; carried: round(62 x 601/T = 0.013912) - round(62 x 600/T) = 0.00
    assert prorate(D("62.00"), b) == D("0.00")
    # round(93) - round(93 x 601 / 2,678,400 = 0.020868...) = 93.00 - 0.02 = 92.98
    assert prorate(D("93.00"), c) == D("92.98")


def test_minimum_halves_at_mid_period() -> None:
    # A 31-day January split at Jan 16 12:00: 15.5 days each, exactly one half.
    a, b = split_period(JAN_START, FEB_START, _tile(JAN_START, FEB_START, [_at(16, 12)]))
    assert a.fraction == b.fraction == Fraction(1, 2)
    assert prorate(D("100.00"), a) == prorate(D("100.00"), b) == D("50.00")


def test_instants_are_floored_to_the_second_and_parts_clipped() -> None:
    cut = _at(1, 0, 10) + timedelta(microseconds=999_999)
    a, b = split_period(JAN_START, FEB_START, _tile(JAN_START, FEB_START, [cut]))
    assert (a.seconds, b.offset) == (600, 600)
    before, inside = split_period(JAN_START, FEB_START, [(JAN_START - timedelta(days=3), JAN_START),
                                                         (_at(31, 12), FEB_START + timedelta(days=9))])
    assert before == Share(0, 0, JAN_SECONDS) and inside == Share(JAN_SECONDS - 43_200, 43_200, JAN_SECONDS)
    with pytest.raises(ValueError, match="at least one second"):
        split_period(JAN_START, JAN_START, [])
    with pytest.raises(ValueError, match="not a part of a period"):
        Share(offset=10, seconds=5, total=12)


def test_prorate_rounds_half_up_and_keeps_whole_amounts() -> None:
    assert prorate(D("50.00"), whole()) == D("50.00")
    assert prorate(D("0.125"), whole()) == D("0.13")
    assert prorate(D("50.00"), Share(0, 0, 10)) == D("0.00")
    assert prorate(D("0.05"), Share(0, 1, 10)) == D("0.01")  # 0.005 -> 0.01, half up
    assert prorate(D("-0.05"), Share(0, 1, 10)) == D("-0.01")  # half away from zero
    # 50 x 14/31 = 22.580645... -> 22.58; 200 x 17/31 = 109.677... carried: 200.00 - 90.32 = 109.68
    assert prorate(D("50.00"), Share(0, 14, 31)) == D("22.58")
    assert prorate(D("200.00"), Share(14, 17, 31)) == D("109.68")
    # Thirds of $1.00: 0.33, then 0.67 - 0.33 = 0.34, then 1.00 - 0.67 = 0.33
    assert [prorate(D(1), Share(k, 1, 3)) for k in range(3)] == [D("0.33"), D("0.34"), D("0.33")]
    with pytest.raises(ValueError):
        prorate(D("NaN"), whole())


def test_descriptions_state_the_share_and_the_arithmetic() -> None:
    assert format_duration(600) == "10 minutes"
    assert format_duration(1) == "1 second"
    assert format_duration(0) == "0 seconds"
    assert format_duration(14 * 86_400 + 36_000 + 61) == "14 days 10 hours 1 minute 1 second"
    assert describe_share(Share(0, 19 * 86_400, JAN_SECONDS)) == "19 days of 31 days"
    assert describe_share(Share(0, 600, JAN_SECONDS)) == "10 minutes of 31 days (600 of 2,678,400 seconds)"
    assert prorated_description(D("50"), Share(0, 19, 31), D("30.65")) == (
        "Prorated: 19 seconds of 31 seconds (19 of 31 seconds) × $50.00 = $30.65")
    assert prorated_description(D("1"), Share(1, 1, 3), D("0.34")) == (
        "Prorated: 1 second of 3 seconds (1 of 3 seconds) × $1.00 = $0.34 "
        "(a cent carried over so that the parts of the period add up)")
    with pytest.raises(ValueError):
        format_duration(-1)


@st.composite
def _splits(draw: st.DrawFn) -> tuple[datetime, datetime, list[datetime]]:
    start = JAN_START + timedelta(days=draw(st.integers(0, 3650)))
    days = draw(st.sampled_from([1, 7, 28, 29, 30, 31, 90, 92, 181, 365, 366]))
    end = start + timedelta(days=days)
    span_us = days * 86_400 * 1_000_000
    offsets = draw(st.lists(st.integers(1, span_us - 1), max_size=6, unique=True))
    return start, end, [start + timedelta(microseconds=o) for o in sorted(offsets)]


@given(_splits(), st.lists(st.decimals(min_value=0, max_value=10**9, places=4), min_size=1, max_size=3))
def test_shares_of_any_split_sum_to_one_period_and_amounts_to_the_whole_fee(
    split: tuple[datetime, datetime, list[datetime]], fees: list[Decimal],
) -> None:
    start, end, cuts = split
    shares = split_period(start, end, _tile(start, end, cuts))
    assert sum((s.fraction for s in shares), Fraction(0)) == 1
    assert sum(s.seconds for s in shares) == shares[0].total == (end - start) // timedelta(seconds=1)
    for fee in fees:
        parts = [prorate(fee, s) for s in shares]
        assert sum(parts, D(0)) == prorate(fee, whole())  # the parts add up to the whole fee, to the cent
        for part, share in zip(parts, shares, strict=True):
            assert part >= 0 and abs(Fraction(part) - Fraction(fee) * share.fraction) < Fraction(1, 100)

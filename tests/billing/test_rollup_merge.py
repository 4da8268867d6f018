"""The merge arithmetic of usage rollups (``billing.aggregation.fold`` / ``Summary``) and the
incremental ``Tally``: adding and removing values gives what aggregating the values left gives."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monk.billing.aggregation import Summary, Tally, aggregate, fold

D = Decimal


def test_adding_to_an_empty_summary() -> None:
    got, stale_min, stale_max = fold(Summary(), [D("1.5"), D("-2"), None, D("10")])
    assert got == Summary(count=4, sum=D("9.5"), min=D("-2"), max=D("10"))
    assert not stale_min and not stale_max
    assert [got.quantity(k) for k in ("COUNT", "SUM", "MAX", "MIN")] == [4, D("9.5"), 10, -2]


def test_removing_the_extremes_leaves_them_to_be_read_again() -> None:
    start = Summary(count=3, sum=D(6), min=D(1), max=D(3))
    got, stale_min, stale_max = fold(start, [], [D(3)])
    assert (got.count, got.sum, got.min, got.max, stale_min, stale_max) == (2, D(3), D(1), None, False, True)
    got, stale_min, stale_max = fold(start, [D("0.5")], [D(1)])
    # The old minimum went; the new value is smaller, but the minimum is read again all the same.
    assert (got.count, got.sum, got.min, got.max, stale_min, stale_max) == (3, D("5.5"), None, D(3), True, False)


def test_removing_everything_empties_the_summary() -> None:
    assert fold(Summary(count=2, sum=D(5), min=D(2), max=D(3)), [], [D(2), D(3)]) == (Summary(), False, False)
    assert fold(Summary(count=1), [], [None]) == (Summary(), False, False)


def test_sums_are_exact_beyond_28_digits() -> None:
    big = D("999999999999999.999999999999")  # 27 digits: the default context would round the sum
    got = fold(Summary(), [big, big, D("0.000000000001")])[0]
    assert got.sum == D("1999999999999999.999999999999")


def test_summary_refuses_unique_count() -> None:
    with pytest.raises(ValueError, match="UNIQUE_COUNT"):
        Summary().quantity("UNIQUE_COUNT")
    assert Summary().quantity("SUM") == 0 and Summary().quantity("MAX") == 0


def test_tally_matches_aggregate_and_validates() -> None:
    values = ["3", "1.25", "3", "-4"]
    for kind in ("COUNT", "SUM", "MAX", "MIN", "UNIQUE_COUNT"):
        tally = Tally(kind)
        for v in values:
            tally.add(v)
        assert tally.quantity() == aggregate(kind, values)
    assert aggregate("UNIQUE_COUNT", values) == 3 and aggregate("SUM", values) == D("3.25")
    with pytest.raises(ValueError, match="unknown aggregation"):
        Tally("AVG")
    with pytest.raises(ValueError):
        Tally("SUM").add(None)


numbers = st.decimals(min_value=D(-1000), max_value=D(1000), places=4)


@settings(max_examples=200, deadline=None)
@given(st.lists(numbers, max_size=12), st.data())
def test_folding_adds_and_removals_agrees_with_aggregating_what_is_left(values: list[Decimal],
                                                                        data: st.DataObject) -> None:
    removed = data.draw(st.lists(st.sampled_from(values), unique_by=id, max_size=len(values))) if values else []
    left = list((Counter(values) - Counter(removed)).elements())
    got, stale_min, stale_max = fold(fold(Summary(), values)[0], [], removed)
    if not left:
        assert got == Summary()
        return
    assert got.count == len(left)
    assert got.sum == aggregate("SUM", left)
    if not stale_min:
        assert got.min == aggregate("MIN", left)
    if not stale_max:
        assert got.max == aggregate("MAX", left)

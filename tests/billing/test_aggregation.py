from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monk.billing.aggregation import AGGREGATIONS, aggregate

D = Decimal


def test_count_counts_values_including_none() -> None:
    assert aggregate("COUNT", [None, None, "x", D(5)]) == 4


def test_sum_is_exact() -> None:
    assert aggregate("SUM", ["0.1", "0.1", "0.1"]) == D("0.3")
    assert str(aggregate("SUM", ["1.50", D(2)])) == "3.50"


def test_sum_keeps_more_digits_than_the_default_context() -> None:
    # 29 significant digits: the default 28-digit context would round this.
    total = aggregate("SUM", ["12345678901234567890.123456789", "0.000000002"])
    assert total == D("12345678901234567890.123456791")


def test_max_and_min() -> None:
    values = ["3", "-7.5", "10.25", "0"]
    assert aggregate("MAX", values) == D("10.25")
    assert aggregate("MIN", values) == D("-7.5")
    # numeric, not lexicographic comparison
    assert aggregate("MAX", ["9", "10"]) == D(10)


def test_unique_count_compares_strings() -> None:
    assert aggregate("UNIQUE_COUNT", ["a", "b", "a", "c", "b"]) == 3
    assert aggregate("UNIQUE_COUNT", ["1", "1.0"]) == 2


@pytest.mark.parametrize("kind", AGGREGATIONS)
def test_empty_input_is_zero(kind: str) -> None:
    result = aggregate(kind, [])
    assert result == 0
    assert isinstance(result, Decimal)


def test_generators_are_accepted() -> None:
    assert aggregate("SUM", (str(i) for i in range(5))) == 10
    assert aggregate("COUNT", (None for _ in range(3))) == 3


def test_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown aggregation"):
        aggregate("AVG", ["1"])


@pytest.mark.parametrize(("kind", "values"), [("SUM", ["1", None]), ("MAX", ["x"]), ("UNIQUE_COUNT", [None])])
def test_bad_values(kind: str, values: list[str | None]) -> None:
    with pytest.raises(ValueError):
        aggregate(kind, values)


numeric_values = st.lists(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9, places=6),
    max_size=30,
)


@given(st.data(), numeric_values, st.sampled_from(AGGREGATIONS))
def test_aggregation_ignores_order(data: st.DataObject, values: list[Decimal], kind: str) -> None:
    items: list[Decimal | str | None] = [str(v) for v in values]
    shuffled = data.draw(st.permutations(items))
    assert aggregate(kind, shuffled) == aggregate(kind, items)


@given(numeric_values)
def test_sum_matches_fraction_arithmetic(values: list[Decimal]) -> None:
    from fractions import Fraction

    assert Fraction(aggregate("SUM", values)) == sum((Fraction(v) for v in values), Fraction(0))

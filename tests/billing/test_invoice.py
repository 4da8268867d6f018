from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monk.billing.invoice import Line, invoice_total_cents, usage_description
from monk.billing.periods import Period

D = Decimal
JAN = Period(date(2026, 1, 1), date(2026, 2, 1))


def make_line(amount: Decimal, *, metered: bool = False) -> Line:
    return Line(name="x", quantity=D(1), unit_price=amount, amount=amount, is_metered=metered)


def test_line_defaults_and_immutability() -> None:
    line = Line(
        name="API calls",
        quantity=D(5350),
        unit_price=D("0.01"),
        amount=D("53.50"),
        is_metered=True,
        service_period=JAN,
        dimensions=(("region", "eu"),),
    )
    assert line.price_id is None
    assert line.description is None
    with pytest.raises(AttributeError):
        line.amount = D(0)  # type: ignore[misc]


def test_invoice_total_cents() -> None:
    lines = [make_line(D("53.50"), metered=True), make_line(D("100.00")), make_line(D("-10.25"))]
    assert invoice_total_cents(lines) == 14325
    assert invoice_total_cents([]) == 0
    assert invoice_total_cents(iter(lines)) == 14325


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount", "expected"),
    [
        ("5350", "0.01", "53.50", "5,350 units × $0.01/unit = $53.50"),
        ("400", "0.045", "18", "400 units × $0.045/unit = $18.00"),
        ("1234567.50", "0.0800", "98765.4", "1,234,567.5 units × $0.08/unit = $98765.40"),
        ("1", "2", "2", "1 unit × $2.00/unit = $2.00"),
        ("0", "0.10", "0", "0 units × $0.10/unit = $0.00"),
        ("5", "0.001", "0.005", "5 units × $0.001/unit = $0.01"),
        ("3", "-5", "-15", "3 units × -$5.00/unit = -$15.00"),
        ("4E+3", "1E-2", "40", "4,000 units × $0.01/unit = $40.00"),
    ],
)
def test_usage_description(quantity: str, unit_price: str, amount: str, expected: str) -> None:
    assert usage_description(D(quantity), D(unit_price), D(amount)) == expected


cents_lists = st.lists(st.integers(min_value=-(10**9), max_value=10**9), max_size=20)


@given(cents_lists, cents_lists)
def test_invoice_total_is_the_sum_of_line_cents(first: list[int], second: list[int]) -> None:
    lines = [make_line(D(c).scaleb(-2)) for c in first]
    more = [make_line(D(c).scaleb(-2), metered=True) for c in second]
    assert invoice_total_cents(lines) == sum(first)
    assert invoice_total_cents(lines + more) == invoice_total_cents(lines) + invoice_total_cents(more)

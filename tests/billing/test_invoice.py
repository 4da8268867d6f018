from datetime import date
from decimal import Decimal

import pytest

from monk.billing.invoice import Line, usage_description
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

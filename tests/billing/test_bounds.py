"""The documented bounds (``monk.billing.bounds``), worked out by hand."""

from decimal import Decimal

import pytest

from monk.billing.bounds import (
    MAX_CENTS,
    OutOfBounds,
    amount_problem,
    check_cents,
    check_dollars,
    number_in_bounds,
    quantity_problem,
)
from monk.billing.invoice import Line
from monk.billing.money import parse_decimal
from monk.billing.totals import invoice_totals

D = Decimal


def test_the_bounds_fit_64_bit_cents_with_room() -> None:
    assert MAX_CENTS * 9 < 2**63 - 1  # nine maximal lines still add up without overflow


@pytest.mark.parametrize(("value", "ok"), [
    (0, True), (10**15 - 1, True), (-(10**15 - 1), True), (999_999_999_999_999.9, True), (0.30000000000000004, True),
    (10**15, False), (-(10**15), False), (1e15, False), (-1e15, False), (10**50, False), (1e300, False),
    (float("inf"), False), (float("nan"), False),
    (True, True), ("1e30", True), (None, True),  # not JSON numbers: not quantities at ingestion
])
def test_number_in_bounds(value: object, ok: bool) -> None:
    assert number_in_bounds(value) is ok


def test_quantity_and_amount_problems() -> None:
    assert quantity_problem(D("999999999999999.999999999999")) is None
    assert quantity_problem(D("-999999999999999")) is None
    assert quantity_problem(D("1.500000000000000000000000000000")) is None  # trailing zeros are not places
    assert "less than 1,000,000,000,000,000 units" in quantity_problem(D(10**15))
    assert "less than 1,000,000,000,000,000 units" in quantity_problem(D("-1E+15"))
    assert "12 decimal places" in quantity_problem(D("0.0000000000001"))
    # 35 significant digits: a 28-digit context would round this to 0.1 and let it through.
    assert "12 decimal places" in quantity_problem(D("0.1000000000000000000000000000000001"))
    assert amount_problem(D("999999999.999999999999")) is None
    assert "less than 1,000,000,000 dollars" in amount_problem(D("1000000000"))
    assert "finite" in amount_problem(D("NaN"))


def test_check_cents_and_dollars() -> None:
    assert check_cents(MAX_CENTS - 1) == MAX_CENTS - 1 and check_cents(-(MAX_CENTS - 1)) == -(MAX_CENTS - 1)
    with pytest.raises(OutOfBounds, match="the invoice total of 1000000000000000000 cents"):
        check_cents(MAX_CENTS, what="the invoice total")
    assert check_dollars(D("9999999999999999.99")) == D("9999999999999999.99")
    with pytest.raises(OutOfBounds, match=r"\$9,999,999,999,999,999.99"):
        check_dollars(D("10000000000000000"))


def _line(amount: str) -> Line:
    return Line(name="x", quantity=D(1), unit_price=D(amount), amount=D(amount), is_metered=True)


def test_invoice_total_is_bounded_too() -> None:
    half = "5000000000000000.00"  # 5 * 10**17 cents: each line fits, two of them do not
    assert invoice_totals([_line(half), _line("-0.01")]).total_cents == 5 * 10**17 - 1
    with pytest.raises(OutOfBounds, match="invoice total"):
        invoice_totals([_line(half), _line(half)])
    with pytest.raises(OutOfBounds, match="a line amount"):
        invoice_totals([_line("10000000000000000.00"), _line("-10000000000000000.00")])


def test_parse_decimal_range_error_is_out_of_bounds() -> None:
    with pytest.raises(OutOfBounds):
        parse_decimal(10**50)
    assert issubclass(OutOfBounds, ValueError)

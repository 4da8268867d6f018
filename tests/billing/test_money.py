from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monk.billing.money import format_decimal, format_quantity, parse_decimal, round_money, to_cents

D = Decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0.0800", "0.0800"),
        (" 12 ", "12"),
        ("-0.045", "-0.045"),
        (".5", "0.5"),
        ("1.5e3", "1.5E+3"),
        (7, "7"),
        (D("3.10"), "3.10"),
    ],
)
def test_parse_decimal_keeps_digits_exactly(raw: str | int | Decimal, expected: str) -> None:
    result = parse_decimal(raw)
    assert isinstance(result, Decimal)
    assert str(result) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "",
        "  ",
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1_000",
        "1,000",
        "0x10",
        "1e40",
        "1e-41",
        1.5,
        0.0,
        True,
        None,
        D("NaN"),
        D("Infinity"),
    ],
)
def test_parse_decimal_rejects(raw: object) -> None:
    with pytest.raises(ValueError):
        parse_decimal(raw)  # type: ignore[arg-type]


def test_parse_decimal_rejects_float_explicitly() -> None:
    with pytest.raises(ValueError, match="float"):
        parse_decimal(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("0.005", 1),
        ("-0.005", -1),
        ("18.00", 1800),
        ("0.004", 0),
        ("0.015", 2),
        ("-0.015", -2),
        ("2.675", 268),
        ("123456.789", 12345679),
        ("1E+3", 100000),
        ("0", 0),
    ],
)
def test_to_cents(amount: str, cents: int) -> None:
    assert to_cents(D(amount)) == cents


def test_to_cents_rejects_non_finite_and_float() -> None:
    with pytest.raises(ValueError, match="finite"):
        to_cents(D("NaN"))
    with pytest.raises(TypeError):
        to_cents(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [("0.005", "0.01"), ("2.675", "2.68"), ("-1.005", "-1.01"), ("18", "18.00"), ("0.0049", "0.00")],
)
def test_round_money(amount: str, expected: str) -> None:
    assert str(round_money(D(amount))) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (D(18), "18.00"),
        (D("0.045"), "0.045"),
        (D("0.0800"), "0.08"),
        (D("1E+3"), "1000.00"),
        (D("-0"), "0.00"),
        (D("-1.5"), "-1.50"),
        (D("123.4560"), "123.456"),
        (D("1E-7"), "0.0000001"),
    ],
)
def test_format_decimal(amount: Decimal, expected: str) -> None:
    assert format_decimal(amount) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [(D(400), "400"), (D("1.50"), "1.5"), (D("4E+2"), "400"), (D("0.000"), "0"), (D("1E-7"), "0.0000001")],
)
def test_format_quantity(q: Decimal, expected: str) -> None:
    assert format_quantity(q) == expected


decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=8)


@given(decimals)
def test_format_decimal_round_trips_without_exponent(amount: Decimal) -> None:
    text = format_decimal(amount)
    assert "E" not in text.upper()
    assert D(text) == amount
    assert len(text.split(".")[1]) >= 2


@given(decimals)
def test_to_cents_matches_round_money(amount: Decimal) -> None:
    assert D(to_cents(amount)) == round_money(amount) * 100
    assert abs(D(to_cents(amount)) / 100 - amount) <= D("0.005")

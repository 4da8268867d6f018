from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monk.billing.bounds import OutOfBounds
from monk.billing.rating import PriceSpec, Tier, effective_unit_price, rate_usage, validate_tiers

D = Decimal

TWO_TIERS = (Tier(D(0), D(1000), D("0.10")), Tier(D(1000), None, D("0.05")))
FLAT_TIERS = (Tier(D(0), D(100), D(1), D(10)), Tier(D(100), None, D("0.5"), D(5)))


# --- validate_tiers -----------------------------------------------------------------------------


def test_valid_tiers_pass() -> None:
    validate_tiers(TWO_TIERS)
    validate_tiers([Tier(D(0), None, D(1))])
    with pytest.raises(ValueError, match="open-ended"):  # every quantity must have a price
        validate_tiers([Tier(D(0), D(10), D(1)), Tier(D(10), D(20), D(0))])


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ((), "at least one"),
        ((Tier(D(1), None, D(1)),), "start at 0"),
        ((Tier(D(0), D(0), D(1)),), "greater than"),
        ((Tier(D(0), D(10), D(1)), Tier(D(11), None, D(1))), "contiguous"),
        ((Tier(D(0), D(10), D(1)), Tier(D(9), None, D(1))), "contiguous"),
        ((Tier(D(0), None, D(1)), Tier(D(10), None, D(1))), "contiguous|open-ended"),
        ((Tier(D(0), D(10), D(1)), Tier(D(10), D(5), D(1))), "greater than"),
        ((Tier(D(0), None, D(-1)),), "negative"),
        ((Tier(D(0), None, D(1), D("-0.01")),), "negative"),
        ((Tier(D(0), None, D("NaN")),), "finite"),
    ],
)
def test_invalid_tiers(tiers: tuple[Tier, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_tiers(tiers)


def test_open_tier_before_last_is_rejected() -> None:
    tiers = (Tier(D(0), D(10), D(1)), Tier(D(10), None, D(1)), Tier(D(20), None, D(1)))
    with pytest.raises(ValueError, match="contiguous|open-ended"):
        validate_tiers(tiers)


# --- rate_usage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "quantity", "expected"),
    [
        (PriceSpec(unit_amount=D("0.045")), "400", "18.00"),
        (PriceSpec(unit_amount=D("0.045"), minimum_amount=D(15)), "0", "15.00"),
        (PriceSpec(unit_amount=D("0.045"), minimum_amount=D(15)), "400", "18.00"),
        (PriceSpec(unit_amount=D("0.001")), "5", "0.01"),
        (PriceSpec(unit_amount=D("0.001")), "4", "0.00"),
        (PriceSpec(unit_amount=D("0.02"), flat_amount=D(5)), "100", "7.00"),
        (PriceSpec(unit_amount=D("0.01")), "5350", "53.50"),
        (PriceSpec(unit_amount=D("0.0049"), flat_amount=D("0.0001")), "1", "0.01"),  # rounded once, not twice
        (PriceSpec(tiering="VOLUME", tiers=TWO_TIERS), "1500", "75.00"),
        (PriceSpec(tiering="GRADUATED", tiers=TWO_TIERS), "1500", "125.00"),
        (PriceSpec(tiering="VOLUME", tiers=TWO_TIERS), "1000", "100.00"),
        (PriceSpec(tiering="GRADUATED", tiers=TWO_TIERS), "1000", "100.00"),
        (PriceSpec(tiering="VOLUME", tiers=TWO_TIERS), "1000.5", "50.03"),  # 50.025 half up
        (PriceSpec(tiering="GRADUATED", tiers=TWO_TIERS), "0", "0.00"),
        (PriceSpec(tiering="VOLUME", tiers=FLAT_TIERS), "0", "10.00"),
        (PriceSpec(tiering="VOLUME", tiers=FLAT_TIERS), "100", "110.00"),
        (PriceSpec(tiering="VOLUME", tiers=FLAT_TIERS), "150", "80.00"),
        (PriceSpec(tiering="GRADUATED", tiers=FLAT_TIERS), "0", "10.00"),
        (PriceSpec(tiering="GRADUATED", tiers=FLAT_TIERS), "50", "60.00"),
        (PriceSpec(tiering="GRADUATED", tiers=FLAT_TIERS), "100", "110.00"),
        (PriceSpec(tiering="GRADUATED", tiers=FLAT_TIERS), "150", "140.00"),
        (PriceSpec(tiering="GRADUATED", tiers=TWO_TIERS, flat_amount=D(20)), "1500", "145.00"),
        (PriceSpec(tiering="GRADUATED", tiers=TWO_TIERS, minimum_amount=D(200)), "1500", "200.00"),
    ],
)
def test_rate_usage(spec: PriceSpec, quantity: str, expected: str) -> None:
    assert str(rate_usage(spec, D(quantity))) == expected


def test_negative_net_usage_bills_as_zero() -> None:
    assert rate_usage(PriceSpec(unit_amount=D("0.045")), D(-30)) == D("0.00")
    assert rate_usage(PriceSpec(unit_amount=D("0.045"), flat_amount=D(2)), D(-1)) == D("2.00")
    assert rate_usage(PriceSpec(unit_amount=D(1), minimum_amount=D(15)), D(-5)) == D("15.00")


def test_rate_usage_is_exact_beyond_default_precision() -> None:
    # 29 significant digits: a 28-digit context would first round ...0.004999999999999 to ...0.005, then
    # to ...0.01. (Within the cents bound: $10,000,000,000,000 < $10**16.)
    big = D("10000000000000")
    assert rate_usage(PriceSpec(unit_amount=D(1)), D("10000000000000.004999999999999")) == big
    assert rate_usage(PriceSpec(unit_amount=D(1), flat_amount=D("0.004999999999999")), big) == big
    assert rate_usage(PriceSpec(unit_amount=D(1)), D("10000000000000.005")) == D("10000000000000.01")


def test_a_line_at_the_cents_bound_is_refused() -> None:
    # The largest line: 10**18 - 1 cents = $9,999,999,999,999,999.99; one cent more is refused.
    assert rate_usage(PriceSpec(unit_amount=D("0.01")), D(10**18 - 1)) == D("9999999999999999.99")
    for quantity in (D(10**18), D("999999999999999999.995")):
        with pytest.raises(OutOfBounds, match="line amount"):
            rate_usage(PriceSpec(unit_amount=D("0.01")), quantity)
    with pytest.raises(OutOfBounds):  # a maximal event quantity at a maximal price
        rate_usage(PriceSpec(unit_amount=D("999999999.99")), D("999999999999999"))
    with pytest.raises(OutOfBounds):  # a minimum that large too
        rate_usage(PriceSpec(minimum_amount=D(10**16)), D(0))


@pytest.mark.parametrize(
    ("spec", "quantity", "message"),
    [
        (PriceSpec(unit_amount=D(1)), D("NaN"), "finite"),
        (PriceSpec(tiering="STAIRCASE"), D(1), "tiering"),
        (PriceSpec(tiering="VOLUME"), D(1), "at least one"),
        (PriceSpec(tiering="VOLUME", tiers=(Tier(D(0), D(10), D(1)),)), D(11), "open-ended"),
        (PriceSpec(tiering="GRADUATED", tiers=(Tier(D(0), D(10), D(1)),)), D(11), "open-ended"),
    ],
)
def test_rate_usage_errors(spec: PriceSpec, quantity: Decimal, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rate_usage(spec, quantity)


# --- effective_unit_price -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "quantity", "expected"),
    [
        ("18.00", "400", "0.045000"),
        ("1", "3", "0.333333"),
        ("2", "3", "0.666667"),
        ("-1", "3", "-0.333333"),
        ("0.0000005", "1", "0.000001"),
        ("-0.0000005", "1", "-0.000001"),
        ("53.50", "5350", "0.010000"),
        ("15.00", "0", "0"),
        # exact: a 28-digit intermediate division would round up to ...4565 and then to 0.123457
        ("0.12345649999999999999999999999999", "1", "0.123456"),
    ],
)
def test_effective_unit_price(amount: str, quantity: str, expected: str) -> None:
    assert str(effective_unit_price(D(amount), D(quantity))) == expected


# --- properties ---------------------------------------------------------------------------------

quantities = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False)
prices = st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False)


@st.composite
def tier_ladders(draw: st.DrawFn) -> tuple[Tier, ...]:
    widths = draw(st.lists(st.decimals(min_value="0.5", max_value=10**6, places=2), min_size=0, max_size=4))
    tiers: list[Tier] = []
    low = D(0)
    for width in widths:
        tiers.append(Tier(low, low + width, draw(prices), draw(prices)))
        low += width
    tiers.append(Tier(low, None, draw(prices), draw(prices)))
    return tuple(tiers)


@given(unit=prices, flat=prices, spec_flat=prices, quantity=quantities)
def test_single_open_tier_volume_equals_graduated(
    unit: Decimal, flat: Decimal, spec_flat: Decimal, quantity: Decimal
) -> None:
    tiers = (Tier(D(0), None, unit, flat),)
    volume = rate_usage(PriceSpec(tiering="VOLUME", tiers=tiers, flat_amount=spec_flat), quantity)
    graduated = rate_usage(PriceSpec(tiering="GRADUATED", tiers=tiers, flat_amount=spec_flat), quantity)
    plain = rate_usage(PriceSpec(unit_amount=unit, flat_amount=flat + spec_flat), quantity)
    assert volume == graduated == plain


@given(tiers=tier_ladders(), quantity=quantities, tiering=st.sampled_from(["NONE", "VOLUME", "GRADUATED"]))
def test_rate_usage_is_exact_to_the_cent(tiers: tuple[Tier, ...], quantity: Decimal, tiering: str) -> None:
    spec = PriceSpec(unit_amount=tiers[0].unit_amount, tiering=tiering, tiers=tiers)
    amount = rate_usage(spec, quantity)
    assert amount.as_tuple().exponent == -2
    if tiering == "NONE":
        exact = Fraction(quantity) * Fraction(tiers[0].unit_amount)
        assert abs(Fraction(amount) - exact) <= Fraction(1, 200)


@given(tiers=tier_ladders(), a=quantities, b=quantities)
def test_graduated_is_monotonic(tiers: tuple[Tier, ...], a: Decimal, b: Decimal) -> None:
    low, high = sorted((a, b))
    spec = PriceSpec(tiering="GRADUATED", tiers=tiers)
    assert rate_usage(spec, low) <= rate_usage(spec, high)


@given(tiers=tier_ladders(), quantity=quantities)
def test_graduated_matches_slice_by_slice_fraction_oracle(tiers: tuple[Tier, ...], quantity: Decimal) -> None:
    q = Fraction(quantity)
    expected = Fraction(0)
    for i, tier in enumerate(tiers):
        lo = Fraction(tier.min_qty)
        hi = q if tier.max_qty is None else min(q, Fraction(tier.max_qty))
        if i == 0 or q > lo:
            expected += max(hi - lo, Fraction(0)) * Fraction(tier.unit_amount) + Fraction(tier.flat_amount)
    amount = rate_usage(PriceSpec(tiering="GRADUATED", tiers=tiers), quantity)
    assert abs(Fraction(amount) - expected) <= Fraction(1, 200)

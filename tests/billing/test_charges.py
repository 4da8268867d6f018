"""Usage charges: flat amounts and minimums prorated by the phase's share, and descriptions that add up."""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from monk.billing.charges import period_charge, prorate_spec, usage_charge
from monk.billing.proration import Share, prorate, whole
from monk.billing.rating import PriceSpec, Tier

D = Decimal
JAN = 31 * 86_400
HALF = "15 days 12 hours of 31 days (1,339,200 of 2,678,400 seconds)"
FIRST_HALF, SECOND_HALF = Share(0, JAN // 2, JAN), Share(JAN // 2, JAN // 2, JAN)  # split at Jan 16 12:00


def test_issue_minimums_a_to_b_at_mid_period() -> None:
    # Plan A: usage $1, minimum $100; changed at Jan 16 12:00 (15.5 of 31 days) to plan B: usage $2,
    # minimum $100. 5 units before, 3 after: $11 of usage.
    a = usage_charge(PriceSpec(unit_amount=D(1), minimum_amount=D(100)), D(5), share=FIRST_HALF)
    b = usage_charge(PriceSpec(unit_amount=D(2), minimum_amount=D(100)), D(3), share=SECOND_HALF)
    # A: max(5.00, 100 x 1/2 = 50.00) = 50.00; B: max(6.00, 50.00) = 50.00; total 100.00 (was 200.00)
    assert (a.amount, b.amount) == (D("50.00"), D("50.00"))
    assert a.description() == ("5 units × $1.00/unit = $5.00; minimum $50.00 applies "
                               f"(minimum $100.00 prorated: {HALF})")
    assert b.description() == ("3 units × $2.00/unit = $6.00; minimum $50.00 applies "
                               f"(minimum $100.00 prorated: {HALF})")


def test_issue_minimum_lifted_line_says_so() -> None:
    c = usage_charge(PriceSpec(unit_amount=D(1), minimum_amount=D(100)), D(3))
    assert (c.quantity, c.unit_price, c.amount) == (D(3), D(1), D("100.00"))
    assert c.description() == "3 units × $1.00/unit = $3.00; minimum $100.00 applies"  # not "= $100.00"
    assert usage_charge(PriceSpec(unit_amount=D("0.045")), D(400)).description() == "400 units × $0.045/unit = $18.00"


def test_flat_amounts_tiers_and_negative_usage() -> None:
    c = usage_charge(PriceSpec(unit_amount=D("0.10"), flat_amount=D(2), minimum_amount=D(5)), D(1500))
    assert (c.amount, c.description()) == (D("152.00"), "1,500 units × $0.10/unit = $150.00 + flat fee $2.00 = $152.00")
    c = usage_charge(PriceSpec(unit_amount=D("0.10"), flat_amount=D(2), minimum_amount=D(5)), D(20))
    assert c.description() == "20 units × $0.10/unit = $2.00 + flat fee $2.00 = $4.00; minimum $5.00 applies"
    tiers = (Tier(D(0), D(1000), D("0.10")), Tier(D(1000), None, D("0.05")))
    grad = PriceSpec(tiering="GRADUATED", tiers=tiers, minimum_amount=D(50))
    c = usage_charge(grad, D(1500))  # 1000 x 0.10 + 500 x 0.05 = 125.00
    assert (c.unit_price, c.amount) == (D("0.083333"), D("125.00"))
    assert c.description() == "1,500 units at graduated tiers = $125.00 (average $0.083333/unit)"
    c = usage_charge(grad, D(20))  # 2.00 -> minimum 50.00; the unit price is the tiers', not 50 / 20
    assert (c.unit_price, c.amount) == (D("0.10"), D("50.00"))
    assert c.description() == "20 units at graduated tiers = $2.00 (average $0.10/unit); minimum $50.00 applies"
    c = usage_charge(PriceSpec(unit_amount=D(1), flat_amount=D(3)), D(-5))
    assert (c.amount, c.description()) == (D("3.00"), "-5 units (corrections net below zero, rated as 0 "
                                                      "units) = $0.00 + flat fee $3.00 = $3.00")


def test_flat_amount_prorated_and_zero_share() -> None:
    spec = PriceSpec(unit_amount=D("0.10"), flat_amount=D("2.00"), minimum_amount=D("100.00"))
    assert prorate_spec(spec, whole()) is spec
    assert prorate_spec(spec, SECOND_HALF) == PriceSpec(unit_amount=D("0.10"), flat_amount=D("1.00"),
                                                        minimum_amount=D("50.00"))
    # A phase without a share (a change that asked for no proration) has no flat amount or minimum yet.
    assert prorate_spec(spec, Share(0, 0, JAN)) == PriceSpec(unit_amount=D("0.10"), flat_amount=D("0.00"))
    c = usage_charge(spec, D(1000), share=SECOND_HALF)
    assert (c.amount, c.description()) == (D("101.00"), "1,000 units × $0.10/unit = $100.00 + flat fee $1.00 = "
                                           f"$101.00 (flat fee $2.00 prorated: {HALF})")


def test_period_charge_of_dimensional_pricing() -> None:
    spec = PriceSpec(unit_amount=D(5), flat_amount=D(10), minimum_amount=D(100))
    assert period_charge(spec, D(30)) == (D("70.00"), "Flat fee $10.00; minimum $100.00 (usage $40.00, top-up $60.00)")
    assert period_charge(spec, D(200)) == (D("10.00"), "Flat fee $10.00")
    assert period_charge(PriceSpec(minimum_amount=D(100)), D(30), share=FIRST_HALF) == (
        D("20.00"), "Minimum $50.00 (usage $30.00, top-up $20.00) "
                    f"(minimum $100.00 prorated: {HALF})")
    assert period_charge(PriceSpec(minimum_amount=D(100)), D(130)) is None


_FORMULA = re.compile(r"^(-?[\d,.]+) units? × \$([\d.]+)/unit = \$([\d.]+)")


def _money(text: str) -> Decimal:
    return D(text.replace("$", "").replace(",", ""))


def assert_line_explained(quantity: Decimal, unit: Decimal, amount: Decimal, description: str) -> None:
    """The invariant: a shown quantity x unit price either is the amount, or the description states
    the amount billed and why; and a formula the description shows is itself right."""
    formula = _FORMULA.match(description)
    if formula:
        q, u, shown = (_money(g) for g in formula.groups())
        assert (q, u) == (quantity, unit) and prorate(q * u, whole()) == shown, description
    if prorate(quantity * unit, whole()) != amount:
        assert f"${amount}" in description, description
        assert re.search(r"minimum|flat fee|tiers|net below zero|top-up", description), description
    else:
        assert description.endswith(f"${amount}") or f"= ${amount}" in description or "applies" not in description


_amounts = st.decimals(min_value=0, max_value=10_000, places=2)
_quantities = st.decimals(min_value=-50, max_value=100_000, places=3)


@st.composite
def _specs(draw: st.DrawFn) -> PriceSpec:
    minimum = draw(st.none() | _amounts)
    flat = draw(_amounts | st.just(D(0)))
    if draw(st.booleans()):
        return PriceSpec(unit_amount=draw(st.decimals(min_value=0, max_value=50, places=4)), flat_amount=flat,
                         minimum_amount=minimum)
    cut = draw(st.integers(1, 5000))
    tiers = (Tier(D(0), D(cut), draw(st.decimals(0, 5, places=3)), draw(_amounts | st.just(D(0)))),
             Tier(D(cut), None, draw(st.decimals(0, 5, places=3))))
    return PriceSpec(tiering=draw(st.sampled_from(["VOLUME", "GRADUATED"])), tiers=tiers, flat_amount=flat,
                     minimum_amount=minimum)


@st.composite
def _shares(draw: st.DrawFn) -> Share:
    total = draw(st.sampled_from([28, 29, 30, 31])) * 86_400
    offset = draw(st.integers(0, total))
    return Share(offset, draw(st.integers(0, total - offset)), total)


@given(_specs(), _quantities, _shares())
def test_every_usage_line_adds_up_or_says_why(spec: PriceSpec, quantity: Decimal, share: Share) -> None:
    c = usage_charge(spec, quantity, share=share)
    assert_line_explained(c.quantity, c.unit_price, c.amount, c.description())
    # The pieces are what the amount is made of.
    assert c.amount == max(c.with_flat, prorate(c.minimum or D(0), whole()))


@given(_specs(), _amounts, _shares())
def test_every_period_charge_line_adds_up(spec: PriceSpec, usage: Decimal, share: Share) -> None:
    charge = period_charge(spec, usage, share=share)
    if charge is None:
        return
    amount, text = charge  # billed as 1 x amount; the text names the pieces, which add up to it
    flat = re.search(r"Flat fee \$([\d.]+)", text)
    top_up = re.search(r"top-up \$([\d.]+)", text)
    assert flat or top_up
    assert amount > 0 and sum((_money(m.group(1)) for m in (flat, top_up) if m), D(0)) == amount

"""Dimensional rate resolution (concepts §9, §15): override → plain override → entry → fallback → unitAmount."""

from __future__ import annotations

from decimal import Decimal

import pytest

from monk.billing.dimensions import canonical, parse_dimension_spec, resolve_rate, resolve_unit_amount

D = Decimal
CARD = {
    canonical({"region": r, "call_outcome": o}): D(rate)
    for r, o, rate in [
        ("US", "resolved", "2.00"), ("US", "transferred", "4.00"), ("US", "escalated", "6.00"),
        ("EU", "resolved", "2.50"), ("EU", "transferred", "5.00"), ("EU", "escalated", "7.50"),
        ("APAC", "resolved", "3.00"), ("APAC", "transferred", "6.00"), ("APAC", "escalated", "9.00"),
    ]
}


def us(outcome: str, region: str = "US") -> tuple[tuple[str, str], ...]:
    """A combination in the meter's groupKeys order (region, call_outcome), as events produce it."""
    return (("region", region), ("call_outcome", outcome))


def test_canonical_sorts_by_key_and_rejects_repeats() -> None:
    assert canonical({"region": "US", "call_outcome": "resolved"}) == (("call_outcome", "resolved"), ("region", "US"))
    assert canonical([("b", "1"), ("a", "2")]) == (("a", "2"), ("b", "1"))
    assert canonical(()) == ()
    with pytest.raises(ValueError, match="twice"):
        canonical([("a", "1"), ("a", "2")])


def test_worked_example_rates_come_from_the_card() -> None:
    expected = {"resolved": D("2.00"), "transferred": D("4.00"), "escalated": D("6.00")}
    for outcome, rate in expected.items():
        assert resolve_unit_amount(us(outcome), pricing_unit=D("9.99"), rate_entries=CARD, fallback=D("4.00")) == rate
    eu = resolve_rate(us("escalated", "EU"), pricing_unit=D("9.99"), rate_entries=CARD, fallback=D("4.00"))
    assert eu is not None and (eu.unit_amount, eu.source) == (D("7.50"), "rate_card")
    # 60 x 2.00 + 30 x 4.00 + 10 x 6.00 + 50 x 2.50 = 425.00
    total = sum(q * resolve_unit_amount(dims, pricing_unit=D(0), rate_entries=CARD)
                for q, dims in [(60, us("resolved")), (30, us("transferred")), (10, us("escalated")),
                                (50, us("resolved", "EU"))])
    assert total == D("425.00")


@pytest.mark.parametrize("dims", [
    us("resolved", "LATAM"),          # unknown region
    us("Resolved"),                   # case-sensitive
    us("resolved", "us"),
    us(""),                           # the event lacked call_outcome
    (("region", "US"),),              # a combination with fewer keys never matches
])
def test_no_exact_entry_falls_back(dims: tuple[tuple[str, str], ...]) -> None:
    got = resolve_rate(dims, pricing_unit=D("9.99"), rate_entries=CARD, fallback=D("4.00"))
    assert got is not None and (got.unit_amount, got.source) == (D("4.00"), "fallback")


def test_without_fallback_the_pricing_unit_applies() -> None:
    got = resolve_rate(us("resolved", "LATAM"), pricing_unit=D("0.10"), rate_entries=CARD)
    assert got is not None and (got.unit_amount, got.source) == (D("0.10"), "pricing")
    assert resolve_unit_amount((), pricing_unit=D("0.045")) == D("0.045")
    assert resolve_rate(us("resolved", "LATAM"), pricing_unit=None, rate_entries=CARD) is None
    assert resolve_rate(us("resolved"), pricing_unit=None, rate_entries=CARD).unit_amount == D("2.00")  # type: ignore[union-attr]


def test_overrides_come_first() -> None:
    exact = {canonical(us("resolved")): D("1.50")}
    kw = {"pricing_unit": D("9.99"), "rate_entries": CARD, "fallback": D("4.00")}
    got = resolve_rate(us("resolved"), override_exact=exact, **kw)
    assert got is not None and (got.unit_amount, got.source) == (D("1.50"), "override")
    # An exact override beats a plain one; a plain one beats every card rate and the fallback.
    assert resolve_unit_amount(us("resolved"), override_exact=exact, override_all=D("1.00"), **kw) == D("1.50")
    for dims in (us("transferred"), us("escalated", "EU"), us("resolved", "LATAM")):
        got = resolve_rate(dims, override_exact=exact, override_all=D("1.00"), **kw)
        assert got is not None and (got.unit_amount, got.source) == (D("1.00"), "override_all")
    # An override of zero is an override (free), not "no override".
    assert resolve_unit_amount(us("resolved"), override_all=D("0"), **kw) == D(0)
    # Pair order is irrelevant: the lookup is canonical.
    assert resolve_unit_amount(tuple(reversed(us("resolved"))), override_exact=exact, **kw) == D("1.50")


def test_sub_cent_rates_stay_exact() -> None:
    card = {canonical({"model": "gpt-4"}): D("0.03"), canonical({"model": "gpt-3.5"}): D("0.002")}
    acme = {canonical({"model": "gpt-4"}): D("0.02")}
    assert resolve_unit_amount((("model", "gpt-4"),), pricing_unit=D(0), rate_entries=card) == D("0.03")
    assert resolve_unit_amount((("model", "gpt-4"),), pricing_unit=D(0), rate_entries=card,
                               override_exact=acme) == D("0.02")
    assert resolve_unit_amount((("model", "gpt-3.5"),), pricing_unit=D(0), rate_entries=card,
                               override_exact=acme) == D("0.002")
    assert resolve_unit_amount((("model", "x"),), pricing_unit=D("0.0000001"), rate_entries=card) == D("0.0000001")


def test_repeated_key_in_the_combination_is_an_error() -> None:
    with pytest.raises(ValueError):
        resolve_unit_amount((("a", "1"), ("a", "2")), pricing_unit=D(1))


@pytest.mark.parametrize(("spec", "expected"), [
    ("model=gpt-4", (("model", "gpt-4"),)),
    ("region=US,call_outcome=resolved", (("call_outcome", "resolved"), ("region", "US"))),
    (" region = US , call_outcome=resolved ", (("call_outcome", "resolved"), ("region", "US"))),
    ("expr=a=b", (("expr", "a=b"),)),
])
def test_parse_dimension_spec(spec: str, expected: tuple[tuple[str, str], ...]) -> None:
    assert parse_dimension_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", "  ", "model", "=gpt-4", "model=", "model=gpt-4,", "a=1,a=2", "a=1;b=2,c"])
def test_parse_dimension_spec_rejects_malformed(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_dimension_spec(spec)

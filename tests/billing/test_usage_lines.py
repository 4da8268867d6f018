"""Metered lines (``billing.usage_lines.rate_pricings``): flat amounts, minimums and tiers with
dimensions, rate cards and overrides, worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from monk.billing.context import Override, PriceTerms, RateCardTerms
from monk.billing.dimensions import canonical
from monk.billing.periods import Period
from monk.billing.rating import Tier
from monk.billing.usage_lines import UsageLine, rate_pricings

MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))
US = '{"region":"US","call_outcome":"resolved"}'
EU = '{"region":"EU","call_outcome":"resolved"}'
CARD = {"m1": RateCardTerms(entries={canonical({"region": "US", "call_outcome": "resolved"}): Decimal("2.00")},
                            fallback=Decimal("4.00"))}


def _pricing(**kw: Any) -> PriceTerms:
    base: dict[str, Any] = {"id": "p1", "name": "AI Calls", "model": "USAGE", "billing_mode": "RECURRING",
                            "tiering": "NONE", "meter_id": "m1", "unit_amount": Decimal("5.00")}
    return PriceTerms(**{**base, **kw})


def _rate(p: PriceTerms, qty: dict[str, Decimal], overrides: tuple[Override, ...] = (),
          dimensional: frozenset[str] = frozenset()) -> list[UsageLine]:
    return rate_pricings(MARCH, [p], {"m1": qty} if qty else {}, rate_cards=CARD, overrides=overrides,
                         dimensional_meters=dimensional)


def _lines(p: PriceTerms, qty: dict[str, Decimal], overrides: tuple[Override, ...] = ()) -> list[tuple[Any, ...]]:
    built = _rate(p, qty, overrides)
    assert len({(b.line.price_id, b.line.dimensions) for b in built}) == len(built)  # identities are unique
    assert all(b.line.service_period == MARCH and b.line.is_metered for b in built)
    return [(b.line.name, b.line.quantity, b.line.unit_price, b.line.amount, b.line.dimensions) for b in built]


def test_split_usage_charges_flat_amount_and_minimum_once() -> None:
    p = _pricing(flat_amount=Decimal("10.00"), minimum_amount=Decimal("100.00"))
    us_dims = (("region", "US"), ("call_outcome", "resolved"))
    eu_dims = (("region", "EU"), ("call_outcome", "resolved"))
    got = _lines(p, {US: Decimal(10), EU: Decimal(5)})
    # EU 5 x 4.00 (fallback) = 20; US 10 x 2.00 = 20; flat 10 → 50; minimum 100 → top-up 50; one extra line.
    assert got == [
        ("AI Calls - EU / resolved", 5, Decimal("4.00"), Decimal("20.00"), eu_dims),
        ("AI Calls - US / resolved", 10, Decimal("2.00"), Decimal("20.00"), us_dims),
        ("AI Calls", 1, Decimal("60.00"), Decimal("60.00"), ()),  # one charge: 1 x 60.00
    ]
    built = _rate(p, {US: Decimal(10)})
    assert built[-1].line.description == "Flat fee $10.00; minimum $100.00 (usage $30.00, top-up $70.00)"
    # Above the minimum only the flat fee is added.
    got = _lines(p, {US: Decimal(50)})
    assert [g[3] for g in got] == [Decimal("100.00"), Decimal("10.00")]
    # Without usage: the single zero line carries flat + minimum (100), explained.
    assert _lines(p, {}) == [("AI Calls", 0, Decimal("4.00"), Decimal("100.00"), ())]
    alone = _rate(p, {})[0].line
    assert alone.description == "0 units × $4.00/unit = $0.00 + flat fee $10.00 = $10.00; minimum $100.00 applies"
    # On a meter known to have group keys it is the pricing's one charge: 1 x 100.00, not 0 at the fallback.
    built = _rate(p, {}, dimensional=frozenset({"m1"}))
    assert [(b.line.name, b.line.quantity, b.line.unit_price, b.line.amount) for b in built] == [
        ("AI Calls", 1, Decimal("100.00"), Decimal("100.00"))]
    assert built[0].line.description == "Flat fee $10.00; minimum $100.00 (usage $10.00, top-up $90.00)"
    # Nothing extra when there is no flat amount or minimum.
    assert len(_lines(_pricing(), {US: Decimal(1), EU: Decimal(1)})) == 2


def test_tiered_pricing_keeps_its_tiers() -> None:
    tiers = (Tier(Decimal(0), Decimal(10), Decimal("1.00")), Tier(Decimal(10), None, Decimal("0.50")))
    p = _pricing(model="TIER", tiering="VOLUME", unit_amount=None, tiers=tiers)
    overrides = (Override("p1", Decimal("0.01")),
                 Override("p1", Decimal("0.01"), canonical({"region": "US", "call_outcome": "resolved"})))
    got = _lines(p, {US: Decimal(20), EU: Decimal(4)}, overrides)
    assert [(g[0], g[3]) for g in got] == [("AI Calls - EU / resolved", Decimal("4.00")),
                                          ("AI Calls - US / resolved", Decimal("10.00"))]


def test_overrides_of_other_pricing_are_ignored_and_later_ones_win() -> None:
    overrides = (Override("other", Decimal("0.01")), Override("p1", Decimal("3.00")),
                 Override("p1", Decimal("1.00")), Override("p1", Decimal("9.00"), ()))
    got = _lines(_pricing(), {US: Decimal(2)}, overrides)
    assert [(g[2], g[3]) for g in got] == [(Decimal("9.00"), Decimal("18.00"))]


def test_fixed_fees_and_pricing_without_meter_bill_no_usage() -> None:
    flat = _pricing(id="f", model="FLAT", meter_id=None, unit_amount=Decimal("100"))
    no_meter = _pricing(id="u", meter_id=None)
    assert rate_pricings(MARCH, [flat, no_meter], {}, rate_cards={}, overrides=()) == []

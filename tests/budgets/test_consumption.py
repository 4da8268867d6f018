"""The budget rules of the draw-down (budgets.consumption), worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

from monk.budgets.consumption import (
    BudgetTerms,
    Record,
    UsageLine,
    assign,
    attribute,
    credit_target,
    dimensions_of,
    outcomes,
    overage,
    percent,
    phase_of,
    shown,
)

CALLS = ("ph", "calls", ())
EU = ("ph", "tokens", (("region", "eu"),))


def test_attribution_is_the_matching_share_of_each_line() -> None:
    lines = [UsageLine(CALLS, D(10), 1000), UsageLine(EU, D(3), 100), UsageLine(("ph", "idle", ()), D(0), 0)]
    # 4 of 10 calls: $4.00; 1 of 3 EU tokens: 33.33… cents; together 433.33… → 433.
    assert attribute(lines, {CALLS: D(4), EU: D(1)}) == 433
    assert attribute(lines, {CALLS: D(25)}) == 1000  # a share beyond the line (a MAX meter) counts once
    assert attribute(lines, {CALLS: D(-2)}) == 0  # and below zero, not at all
    assert attribute(lines, {("other", "calls", ()): D(4)}) == 0  # another phase's usage
    assert attribute([UsageLine(CALLS, D(3), 1)], {CALLS: D(1)}) == 0  # 0.33… cents rounds half-up to 0
    assert attribute([UsageLine(CALLS, D(2), 1)], {CALLS: D(1)}) == 1  # 0.5 cents → 1


def test_overage_and_the_credit_target() -> None:
    assert overage(5000, D(3000)) == 2000
    assert overage(4, D("3.3")) == 1  # 0.7 cents over a credit cap: rounded up, credits never pay past the cap
    assert overage(2000, D(3000)) == 0 and overage(2000, None) == 0
    # $80 metered; Dove $50 against $30 ($20 over), an uncapped budget $20: credits may pay $60.
    assert credit_target(8000, [(5000, D(3000)), (2000, None)]) == 6000
    assert credit_target(100, [(500, D(0))]) == 0  # never below zero
    assert credit_target(8000, []) == 8000


def test_consumption_scales_when_the_wallet_falls_short() -> None:
    budgets = [(5000, D(3000)), (1000, D(2000))]
    full = outcomes(budgets, target=6000, applied=6000)
    assert [(o.consumed, o.exhausted) for o in full] == [(D(3000), True), (D(1000), False)]
    half = outcomes(budgets, target=6000, applied=3000)  # the wallet paid half of what it might
    assert [(o.consumed, o.exhausted) for o in half] == [(D(1500), False), (D(500), False)]
    third = outcomes([(1000, D(1000))], target=3000, applied=1000)
    assert shown(third[0].consumed) == 333  # 333.33… cents, rounded down when shown
    # A cap of 0 is exhausted by the first matching usage, not before; no cap is never exhausted.
    zero = outcomes([(0, D(0)), (200, D(0)), (900, None)], target=900, applied=900)
    assert [(o.consumed, o.exhausted) for o in zero] == [(D(0), False), (D(0), True), (D(900), False)]


def test_a_record_counts_against_the_first_budget_it_matches() -> None:
    dove = BudgetTerms(0, "business_unit", "dove", None, D(1000))
    red = BudgetTerms(1, "team", "red", None, None)
    calls_only = BudgetTerms(2, "team", "blue", "calls", None)
    both = Record(1, "calls", CALLS, None, {"business_unit": "dove", "team": "red"})
    red_only = Record(2, "calls", CALLS, None, {"team": "red"})
    blue_tokens = Record(3, "tokens", EU, "5", {"team": "blue"})
    blue_calls = Record(4, "calls", CALLS, None, {"team": "blue"})
    owned = assign([both, red_only, blue_tokens, blue_calls], [red, dove, calls_only])
    assert {i: [r.id for r in rs] for i, rs in owned.items()} == {0: [1], 1: [2], 2: [4]}


def test_percent_keys_and_identities() -> None:
    assert percent(D(1200), D(3000)) == 40.0
    assert percent(D(1), D(3)) == 33.33
    assert percent(D(5), D(0)) is None and percent(D(5), None) is None
    assert dimensions_of('{"tier":"1","region":"eu"}') == (("region", "eu"), ("tier", "1"))
    assert dimensions_of("") == ()
    assert phase_of('usage:ph-1:price-1:[["region","eu"]]') == "ph-1"

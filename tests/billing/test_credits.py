"""The credit core (billing/credits.py): priorities, draw-down, give-backs and expiry, with the
documentation's numbers worked by hand and hypothesis stating the invariants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monk.billing.credits import (
    Block,
    BlockStatus,
    Draw,
    allocate,
    apply,
    expiring,
    give_back,
    priorities,
    priority_order,
    settle,
    status,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
D = Decimal


def block(id: str, amount: str, *, promo: bool = False, basis: str = "1", days: int | None = None,
          created: int = 0, remaining: str | None = None, starts: int = 0) -> Block:
    return Block(id=id, original=D(amount), remaining=D(remaining if remaining is not None else amount),
                 is_promotional=promo, cost_basis=D("0") if promo else D(basis),
                 created_at=T0 + timedelta(minutes=created), starts_at=T0 + timedelta(days=starts),
                 expires_at=T0 + timedelta(days=days) if days is not None else None)


def test_fifty_left_and_eighty_of_usage_applies_fifty_and_leaves_thirty_due() -> None:
    draws, uncovered = allocate([block("paid", "5000")], D("8000"), at=T0)
    assert draws == [Draw("paid", D("5000"))] and uncovered == D("3000")


def test_priority_soonest_expiry_then_promotional_then_cost_basis_then_oldest() -> None:
    blocks = [
        block("paid-late", "100", days=90),
        block("paid-soon", "100", days=30),
        block("promo-soon", "100", promo=True, days=30),
        block("never", "100"),
        block("paid-cheap-late", "100", days=90, basis="0.5"),
        block("paid-late-older", "100", days=90, created=-5),
        block("empty", "100", remaining="0", days=10),
        block("gone", "100", days=-1),
    ]
    order = [b.id for b in priority_order(blocks, T0)]
    assert order == ["promo-soon", "paid-soon", "paid-cheap-late", "paid-late-older", "paid-late", "never"]
    p = priorities(blocks, T0)
    assert (p["promo-soon"], p["never"], p["empty"], p["gone"]) == (1, 6, None, None)
    assert status(blocks[6], T0) == BlockStatus.DEPLETED and status(blocks[7], T0) == BlockStatus.EXPIRED
    draws, uncovered = allocate(blocks, D("250"), at=T0)
    assert draws == [Draw("promo-soon", D("100")), Draw("paid-soon", D("100")), Draw("paid-cheap-late", D("50"))]
    assert uncovered == 0


def test_a_block_pays_only_for_usage_inside_its_validity() -> None:
    jan = (T0, T0 + timedelta(days=31))
    blocks = [block("feb-grant", "100", starts=40), block("expired-mid-jan", "100", days=10),
              block("all-year", "100", days=365)]
    draws, _ = allocate(blocks, D("150"), at=T0 + timedelta(days=5), period=jan)
    assert draws == [Draw("expired-mid-jan", D("100")), Draw("all-year", D("50"))]


def test_give_back_newest_draw_first_and_never_more_than_drawn() -> None:
    drawn = [Draw("b", D("30")), Draw("a", D("50"))]  # newest first
    assert give_back(drawn, D("40")) == [Draw("b", D("30")), Draw("a", D("10"))]
    assert give_back(drawn, D("0")) == []
    with pytest.raises(ValueError):
        give_back(drawn, D("81"))
    with pytest.raises(ValueError):
        give_back(drawn, D("-1"))


def test_expiry_takes_what_is_left() -> None:
    blocks = [block("a", "100", remaining="40", days=10), block("b", "100", days=20), block("c", "100", days=5,
                                                                                          remaining="0")]
    assert expiring(blocks, T0 + timedelta(days=10)) == [Draw("a", D("40"))]
    assert expiring(blocks, T0 + timedelta(days=9)) == []


def test_credit_units_of_the_documentation() -> None:
    # $500 as 1,562.5 credits: 50000 / 1562.5 = 32 cents a credit; 45,000 cents are 1,406.25 credits.
    assert D(50000) / D("1562.5") == 32 and D(45000) / 32 == D("1406.25")
    wallet = [block("grant", "1562.5", basis="32", days=365)]
    draws, uncovered = allocate(wallet, D(5000) / 32, at=T0)  # $50.00 of usage
    assert draws == [Draw("grant", D("156.25"))] and uncovered == 0
    assert apply(wallet, draws)[0].remaining * 32 == 45000


amounts = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
blocks_st = st.lists(st.tuples(amounts, st.booleans(), st.integers(-5, 60), st.integers(0, 3)), min_size=0,
                     max_size=6).map(lambda rows: [
                         block(f"b{i}", str(a), promo=p, days=d, basis=str(c)) for i, (a, p, d, c) in enumerate(rows)])


@given(blocks_st, amounts)
def test_draws_cover_the_amount_or_empty_every_eligible_block(blocks: list[Block], amount: Decimal) -> None:
    draws, uncovered = allocate(blocks, amount, at=T0)
    assert sum((d.amount for d in draws), D(0)) + uncovered == amount
    assert all(d.amount > 0 for d in draws) and uncovered >= 0
    after = apply(blocks, draws)  # raises if a block went below zero
    if uncovered > 0:
        assert all(b.remaining == 0 for b in priority_order(after, T0))
    order = [b.id for b in priority_order(blocks, T0)]
    drawn = [d.block_id for d in draws]
    assert drawn == order[:len(drawn)]  # a block is drawn only once every earlier one is empty
    assert all(a.remaining == 0 for a in after if a.id in drawn[:-1])


@given(blocks_st, amounts, amounts)
def test_drawing_then_giving_back_restores_the_blocks(blocks: list[Block], first: Decimal, back: Decimal) -> None:
    draws, _ = allocate(blocks, first, at=T0)
    drawn = sum((d.amount for d in draws), D(0))
    back = min(back, drawn)
    returned = give_back(list(reversed(draws)), back)
    assert sum((d.amount for d in returned), D(0)) == back
    after = apply(apply(blocks, draws), returned, sign=+1)
    assert sum((b.remaining for b in after), D(0)) == sum((b.remaining for b in blocks), D(0)) - drawn + back
    assert all(0 <= b.remaining <= b.original for b in after)
    if back == drawn:
        assert after == blocks


@given(blocks_st, st.lists(amounts, max_size=5))
def test_the_ledger_replays_to_the_blocks(blocks: list[Block], usages: list[Decimal]) -> None:
    """Grants minus draws, replayed per block, give every block's remaining: the ledger sums to the balance."""
    state = blocks
    ledger: list[Draw] = []
    for usage in usages:
        draws, _ = allocate(state, usage, at=T0)
        state = apply(state, draws)
        ledger += draws
    for b in state:
        original = next(x for x in blocks if x.id == b.id)
        assert b.remaining == original.remaining - sum((d.amount for d in ledger if d.block_id == b.id), D(0))
    assert sum((b.remaining for b in state), D(0)) >= 0


def test_settle_draws_when_charges_rise_and_gives_back_when_they_fall() -> None:
    wallet = [block("promo", "30", promo=True, days=10), block("paid", "100", days=365)]
    first = settle(wallet, [], D("50"), at=T0)
    assert first.draws == [Draw("promo", D("30")), Draw("paid", D("20"))] and first.uncovered == 0
    wallet = apply(wallet, first.draws)
    drawn = list(reversed(first.draws))
    # A resend lowers the usage to 25: 25 goes back, newest draw first (all 20 of paid, 5 of promo).
    lower = settle(wallet, drawn, D("25"), at=T0)
    assert lower.give_backs == [Draw("paid", D("20")), Draw("promo", D("5"))] and lower.expirations == []
    # Once promo expired, what returns to it expires at once.
    late = settle(wallet, drawn, D("25"), at=T0 + timedelta(days=11))
    assert late.expirations == [Draw("promo", D("5"))]
    # Settling at the same charges changes nothing.
    same = settle(wallet, drawn, D("50"), at=T0)
    assert (same.draws, same.give_backs, same.uncovered) == ([], [], 0)


def test_a_grant_after_depletion_pays_the_overage_at_the_next_settlement() -> None:
    wallet = [block("a", "50", days=30)]
    first = settle(wallet, [], D("80"), at=T0)
    assert first.uncovered == D("30")
    wallet = apply(wallet, first.draws) + [block("b", "100", days=30, created=10)]
    second = settle(wallet, list(reversed(first.draws)), D("80"), at=T0)
    assert second.draws == [Draw("b", D("30"))] and second.uncovered == 0


@given(blocks_st, st.lists(amounts, min_size=1, max_size=6))
def test_any_sequence_of_charges_ends_as_one_settlement_of_the_last(blocks: list[Block],
                                                                    targets: list[Decimal]) -> None:
    """Settling through any sequence of charges leaves the same blocks as settling the last one at once
    (when nothing expired meanwhile): the order of usage and resends does not change the outcome."""
    state, drawn = blocks, []
    for target in targets:
        s = settle(state, list(reversed(drawn)), target, at=T0)
        state = apply(apply(state, s.draws), s.give_backs, sign=+1)
        drawn = _net(drawn + s.draws, s.give_backs)
        assert sum((d.amount for d in drawn), D(0)) <= target
    once = settle(blocks, [], targets[-1], at=T0)
    assert sum((b.remaining for b in state), D(0)) == sum((b.remaining for b in apply(blocks, once.draws)), D(0))


def _net(drawn_oldest_first: list[Draw], back: list[Draw]) -> list[Draw]:
    out = list(drawn_oldest_first)
    for b in back:  # give-backs came newest first
        left = b.amount
        for i in range(len(out) - 1, -1, -1):
            if left == 0:
                break
            if out[i].block_id == b.block_id and out[i].amount > 0:
                take = min(out[i].amount, left)
                out[i] = Draw(out[i].block_id, out[i].amount - take)
                left -= take
    return [d for d in out if d.amount > 0]


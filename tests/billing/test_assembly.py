"""Invoice assembly (``billing.assembly.invoice_lines``) and totals (``billing.totals``): worked
examples by hand, and properties over generated contracts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monk.billing.assembly import Billed, Reopened, invoice_lines, line_id
from monk.billing.context import BillingContext, ContractTerms, Phase, PriceTerms
from monk.billing.invoice import Line
from monk.billing.money import round_money, to_cents
from monk.billing.periods import Period
from monk.billing.totals import invoice_totals

D = Decimal
JAN = Period(date(2026, 1, 1), date(2026, 2, 1))
FEB = Period(date(2026, 2, 1), date(2026, 3, 1))
FEE = PriceTerms(id="fee", name="Platform fee", model="FLAT", billing_mode="RECURRING", unit_amount=D("100.00"),
                 price_interval="MONTH", price_interval_count=1)
CALLS = PriceTerms(id="calls", name="API calls", model="USAGE", billing_mode="RECURRING", meter_id="m1",
                   unit_amount=D("0.01"))
SETUP = PriceTerms(id="setup", name="Setup", model="FLAT", billing_mode="ONE_TIME", unit_amount=D("250.00"))


def _context(*phases: Phase) -> BillingContext:
    terms = ContractTerms(id="c1", start_date=date(2026, 1, 1), end_date=date(2026, 5, 1),
                          billing_cycle_anchor=date(2026, 1, 1), billing_frequency="MONTHLY")
    return BillingContext(contract=terms, phases=phases, meter_ids=frozenset({"m1"}))


def _phase(pid: str, starts: datetime, *pricings: PriceTerms, prorate: bool = True) -> Phase:
    return Phase(id=pid, plan_id="plan-" + pid, starts_at=starts, prorate=prorate, pricings=pricings)


START = datetime(2026, 1, 1, tzinfo=UTC)
ONE = _context(_phase("c1", START, SETUP, FEE, CALLS))


def _rows(lines: list) -> list[tuple[str, str, Decimal, Decimal, Decimal]]:
    return [(e.kind, e.line.name, e.line.quantity, e.line.unit_price, e.line.amount) for e in lines]


def test_first_invoice_bills_fees_in_advance_and_no_usage() -> None:
    got = invoice_lines(ONE, fee_period=JAN, usage_period=None, quantities={})
    assert _rows(got) == [("one_time", "Setup", 1, D("250.00"), D("250.00")),
                          ("fee", "Platform fee", 1, D("100.00"), D("100.00"))]
    assert invoice_totals([e.line for e in got]).total_cents == 35000


def test_second_invoice_bills_february_fee_and_january_usage() -> None:
    got = invoice_lines(ONE, fee_period=FEB, usage_period=JAN, quantities={"c1": {"m1": {"": D(5350)}}})
    # 5,350 calls × $0.01 = $53.50, billed in arrears with January as its service period.
    assert _rows(got) == [("fee", "Platform fee", 1, D("100.00"), D("100.00")),
                          ("usage", "API calls", 5350, D("0.01"), D("53.50"))]
    assert got[1].line.service_period == JAN and got[1].line.is_metered and got[1].meter_id == "m1"
    assert got[1].identity == 'usage:c1:calls:[]'
    totals = invoice_totals([e.line for e in got])
    assert (totals.subtotal_cents, totals.credits_applied_cents, totals.total_cents) == (15350, 0, 15350)


def test_a_mid_period_plan_change_prorates_the_fee_to_the_second() -> None:
    # Jan 15 10:00 splits January's 2,678,400 seconds into 1,245,600 and 1,432,800:
    # $100 × 1,245,600 / 2,678,400 = $46.5054 → $46.51; the rest, $53.49, so the parts add up to $100.
    later = _phase("p2", datetime(2026, 1, 15, 10, tzinfo=UTC), FEE)
    ctx = _context(_phase("c1", START, FEE), later)
    got = invoice_lines(ctx, fee_period=JAN, usage_period=None, quantities={})
    assert [(e.identity, e.line.amount) for e in got] == [("fee:c1:fee", D("46.51")), ("fee:p2:fee", D("53.49"))]
    assert sum(e.line.amount for e in got) == D("100.00")
    # Without proration the new plan's fee starts with the next period: January bills the old one whole.
    ctx = _context(_phase("c1", START, FEE), _phase("p2", later.starts_at, FEE, prorate=False))
    got = invoice_lines(ctx, fee_period=JAN, usage_period=None, quantities={})
    assert [(e.identity, e.line.amount) for e in got] == [("fee:c1:fee", D("100.00"))]


def test_late_usage_on_a_finalized_period_is_billed_as_the_difference() -> None:
    billed = {'usage:c1:calls:[]': Billed(quantity=D(5350), amount=D("53.50"), name="API calls",
                                          unit_price=D("0.01"), is_metered=True, price_id="calls")}
    reopened = Reopened(period=JAN, usage=True, billed=billed, quantities={"c1": {"m1": {"": D(6000)}}})
    got = invoice_lines(ONE, fee_period=None, usage_period=None, quantities={}, reopened=[reopened])
    # Now 6,000 × $0.01 = $60.00; billed $53.50: 650 more calls, $6.50.
    assert _rows(got) == [("adjustment", "API calls (late usage, 2026-01-01 to 2026-01-31)", 650, D("0.01"),
                           D("6.50"))]
    assert got[0].line.service_period == JAN


def test_line_ids_are_stable_and_distinct() -> None:
    got = invoice_lines(ONE, fee_period=FEB, usage_period=JAN, quantities={"c1": {"m1": {"": D(1)}}})
    ids = [line_id("inv-1", e) for e in got]
    assert len(set(ids)) == len(ids)
    assert ids == [line_id("inv-1", e) for e in got]
    assert ids != [line_id("inv-2", e) for e in got]


def test_totals_apply_credits_up_to_a_positive_subtotal() -> None:
    lines = [Line(name="x", quantity=D(1), unit_price=a, amount=a, is_metered=True) for a in (D("10.00"), D("2.50"))]
    assert invoice_totals(lines, credits_cents=500).total_cents == 750
    assert invoice_totals(lines, credits_cents=5000).credits_applied_cents == 1250
    negative = [Line(name="x", quantity=D(1), unit_price=D("-3"), amount=D("-3.00"), is_metered=False)]
    assert invoice_totals(negative, credits_cents=100).credits_applied_cents == 0
    with pytest.raises(ValueError, match="credits_cents"):
        invoice_totals(lines, credits_cents=-1)


# --- properties ---------------------------------------------------------------------------------

units = st.decimals(min_value=D("0.000001"), max_value=D("1000"), places=6)
amounts = st.decimals(min_value=D("0"), max_value=D("100000"), places=2)
quantities = st.decimals(min_value=D("0"), max_value=D("1000000"), places=3)
dim_keys = st.sampled_from(['', '{"region":"US"}', '{"region":"EU"}', '{"region":"APAC"}'])
instants = st.integers(min_value=0, max_value=31 * 86_400 - 1)


@st.composite
def contracts(draw: st.DrawFn) -> tuple[BillingContext, dict[str, dict[str, dict[str, Decimal]]]]:
    """A contract of one or two phases (the second starting inside January), each with a fee and a
    usage pricing, and January's quantities by phase."""
    phases = []
    qty: dict[str, dict[str, dict[str, Decimal]]] = {}
    for i in range(draw(st.integers(min_value=1, max_value=2))):
        fee = PriceTerms(id=f"fee{i}", name=f"Fee {i}", model="FLAT", billing_mode="RECURRING",
                         unit_amount=draw(amounts), price_interval="MONTH")
        usage = PriceTerms(id=f"use{i}", name=f"Usage {i}", model="USAGE", billing_mode="RECURRING",
                           meter_id="m1", unit_amount=draw(units))
        starts = START if i == 0 else datetime.fromtimestamp(START.timestamp() + draw(instants) + 1, UTC)
        phases.append(Phase(id=f"ph{i}", plan_id=f"plan{i}", starts_at=starts, prorate=draw(st.booleans()),
                            pricings=(fee, usage)))
        keys = draw(st.lists(dim_keys, max_size=3, unique=True))
        qty[f"ph{i}"] = {"m1": {k: draw(quantities) for k in keys}} if keys else {}
    return _context(*phases), qty


@settings(max_examples=60, deadline=None)
@given(contracts())
def test_the_total_is_the_sum_of_its_lines(case: tuple[BillingContext, dict]) -> None:
    ctx, qty = case
    lines = [e.line for e in invoice_lines(ctx, fee_period=JAN, usage_period=JAN, quantities=qty)]
    totals = invoice_totals(lines)
    assert totals.subtotal_cents == sum(to_cents(ln.amount) for ln in lines)
    assert totals.total_cents == totals.subtotal_cents - totals.credits_applied_cents == totals.subtotal_cents


@settings(max_examples=60, deadline=None)
@given(contracts())
def test_lines_are_rounded_once(case: tuple[BillingContext, dict]) -> None:
    ctx, qty = case
    for e in invoice_lines(ctx, fee_period=None, usage_period=JAN, quantities=qty):
        ln = e.line
        assert ln.amount == round_money(ln.amount)  # at cents precision
        if ln.description is None or "Prorated" not in ln.description:
            # quantity × exact unit price, rounded once: never the sum of rounded parts
            assert ln.amount == round_money(ln.quantity * ln.unit_price)


@settings(max_examples=60, deadline=None)
@given(contracts())
def test_assembling_twice_gives_the_same_invoice(case: tuple[BillingContext, dict]) -> None:
    ctx, qty = case
    first = invoice_lines(ctx, fee_period=FEB, usage_period=JAN, quantities=qty)
    again = invoice_lines(ctx, fee_period=FEB, usage_period=JAN, quantities=qty)
    assert first == again
    assert [line_id("inv", e) for e in first] == [line_id("inv", e) for e in again]
    assert invoice_totals([e.line for e in first]) == invoice_totals([e.line for e in again])

"""The orchestration that bills a contract (``invoicing.service`` and ``invoicing.matching``) on a
real database, called directly: the calendar of drafts, totals persisted exactly as
``billing.totals.invoice_totals`` of the stored lines, matching events to the contract and the
drafts they change, and finalization numbering.

The contract: customer "acme", monthly from 2026-01-01, plan "basic" = a $10.00 monthly fee billed
in advance + calls at $0.50 each billed in arrears. Now is 2026-01-15 12:00 UTC. Invoice ``n`` (slot
n) is dated the first of month n+1 and bills that month's fee and the previous month's usage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.invoice import Line
from monk.billing.totals import invoice_totals
from monk.events import repository as event_store
from monk.events import service as events
from monk.events.schemas import ValidEvent
from monk.invoicing import matching, service
from monk.kit.auth import Principal
from monk.models import Contract, Customer, Event, Invoice, InvoiceLine, Pricing
from tests import storage as build

NOW = build.T0  # 2026-01-15 12:00 UTC
JAN_10 = datetime(2026, 1, 10, 9, tzinfo=UTC)


async def _contract(session: AsyncSession, who: Principal) -> tuple[Customer, Contract]:
    m = await build.meter(session, who, "CALLS")
    fee = await build.pricing(session, who, "base", unit="10")
    calls = await build.pricing(session, who, "calls", meter_id=m.id, unit="0.5")
    cust = await build.customer(session, who, "Acme", external_id="acme")
    return cust, await build.contract(session, who, cust, await build.plan(session, who, "basic", [fee, calls]))


async def _calendar(session: AsyncSession, c: Contract) -> int:
    return await service.sync_calendar(session, await service.load_billing(session, c), now=NOW, periods_ahead=2)


async def _invoices(session: AsyncSession, c: Contract) -> list[Invoice]:
    session.expunge_all()
    return list((await session.execute(select(Invoice).where(Invoice.contract_id == c.id)
                                       .order_by(Invoice.invoice_date))).scalars())


async def _lines(session: AsyncSession, inv: Invoice) -> list[InvoiceLine]:
    return list((await session.execute(select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id)
                                       .order_by(InvoiceLine.position))).scalars())


async def _totals(session: AsyncSession, c: Contract) -> list[tuple[int | None, int, int, int]]:
    """(slot, subtotal, credits applied, total) per invoice; each checked against ``invoice_totals``
    of its stored lines and against the lines' own cents."""
    out = []
    for inv in await _invoices(session, c):
        lines = await _lines(session, inv)
        pure = invoice_totals([Line(name=ln.name, quantity=ln.quantity, unit_price=ln.unit_price, amount=ln.amount,
                                    is_metered=ln.is_metered) for ln in lines])
        assert (inv.subtotal_cents, inv.credits_applied_cents, inv.total_cents) == (
            pure.subtotal_cents, pure.credits_applied_cents, pure.total_cents)
        assert inv.subtotal_cents == sum(ln.amount_cents for ln in lines)
        out.append((inv.slot, inv.subtotal_cents, inv.credits_applied_cents, inv.total_cents))
    return out


def _event(key: str, at: datetime, *, external_id: str = "acme", name: str = "calls") -> ValidEvent:
    return ValidEvent(name, None, external_id, None, key, at, {})


async def _send(session: AsyncSession, who: Principal, *evs: ValidEvent) -> int:
    await event_store.upsert_events(session, events.to_rows(who, list(evs), NOW))
    return await matching.match_pending(session, now=NOW, batch_size=100)


async def test_the_calendar_drafts_one_invoice_per_period(session: AsyncSession, who: Principal) -> None:
    _, c = await _contract(session, who)
    assert await _calendar(session, c) == 3  # January to March: two periods ahead of 2026-01-15
    assert await _calendar(session, c) == 0  # idempotent
    got = [(i.slot, i.kind, i.status, i.invoice_date, i.due_date, i.fee_start, i.fee_end, i.usage_start, i.usage_end)
           for i in await _invoices(session, c)]
    jan, feb, mar, apr = (date(2026, m, 1) for m in (1, 2, 3, 4))
    assert got == [(0, "regular", "Drafted", jan, jan, jan, feb, None, None),
                   (1, "regular", "Drafted", feb, feb, feb, mar, jan, feb),
                   (2, "regular", "Drafted", mar, mar, mar, apr, feb, mar)]
    # the fee is $10.00 = 1000 cents on each; no usage measured yet; no credits exist
    assert await _totals(session, c) == [(0, 1000, 0, 1000), (1, 1000, 0, 1000), (2, 1000, 0, 1000)]
    first = await _lines(session, (await _invoices(session, c))[1])
    assert [(ln.kind, ln.name, ln.quantity, ln.unit_price, ln.amount_cents) for ln in first] == [
        ("fee", "base", 1, Decimal("10"), 1000), ("usage", "calls", 0, Decimal("0.5"), 0)]


async def test_matched_events_land_on_the_draft_of_their_period(session: AsyncSession, who: Principal) -> None:
    _, c = await _contract(session, who)
    await _calendar(session, c)
    assert await _send(session, who, *(_event(f"e{k}", JAN_10) for k in range(3)),
                       _event("stranger", JAN_10, external_id="nobody"), _event("other", JAN_10, name="other")) == 5
    statuses = dict((await session.execute(select(Event.idempotency_key, Event.status))).all())
    assert statuses == {"e0": "matched", "e1": "matched", "e2": "matched", "stranger": "unmatched",
                        "other": "unmatched"}
    reasons = dict((await session.execute(select(Event.idempotency_key, Event.unmatched_reason)
                                          .where(Event.status == "unmatched"))).all())
    assert reasons["stranger"] == "CUSTOMER_NOT_FOUND"
    # January's usage is billed on invoice 1: 3 calls x $0.50 = $1.50 = 150 cents, + the 1000-cent fee
    assert await _totals(session, c) == [(0, 1000, 0, 1000), (1, 1150, 0, 1150), (2, 1000, 0, 1000)]
    # e0 resent for February moves from invoice 1 (2 x 50 = 100 + 1000) to invoice 2 (1 x 50 = 50 + 1000)
    assert await _send(session, who, _event("e0", datetime(2026, 2, 5, tzinfo=UTC))) == 1
    assert await _totals(session, c) == [(0, 1000, 0, 1000), (1, 1100, 0, 1100), (2, 1050, 0, 1050)]


async def test_lines_are_rounded_once_each(session: AsyncSession, who: Principal) -> None:
    _, c = await _contract(session, who)
    calls = (await service.load_billing(session, c)).context.phases[0].pricings[1]
    row = await session.get(Pricing, calls.id)
    row.unit_amount = Decimal("0.333")
    await _calendar(session, c)
    await _send(session, who, *(_event(f"e{k}", JAN_10) for k in range(3)))
    # 3 x $0.333 = $0.999, rounded once to $1.00 = 100 cents (not 3 x 33 = 99)
    assert await _totals(session, c) == [(0, 1000, 0, 1000), (1, 1100, 0, 1100), (2, 1000, 0, 1000)]


async def test_finalization_numbers_due_invoices_in_order(session: AsyncSession, who: Principal) -> None:
    _, c = await _contract(session, who)
    await _calendar(session, c)
    await _send(session, who, *(_event(f"e{k}", JAN_10) for k in range(3)))
    feb_1 = datetime(2026, 2, 1, 12, tzinfo=UTC)
    assert await service.finalize_due(session, now=feb_1, grace=timedelta(0)) == 2  # dated Jan 1 and Feb 1
    got = [(i.slot, i.status, i.invoice_number, i.finalized_at, i.total_cents) for i in await _invoices(session, c)]
    assert got == [(0, "Sent", "INV-00001", feb_1, 1000), (1, "Sent", "INV-00002", feb_1, 1150),
                   (2, "In Progress", None, None, 1000)]  # its usage period (February) has begun
    assert await service.finalize_due(session, now=feb_1, grace=timedelta(0)) == 0
    mar_2 = datetime(2026, 3, 2, tzinfo=UTC)
    assert await service.finalize_due(session, now=mar_2, grace=timedelta(days=2)) == 0  # Mar 1 + 2 days grace
    assert await service.finalize_due(session, now=mar_2, grace=timedelta(days=1)) == 1
    last = (await _invoices(session, c))[2]
    assert (last.status, last.invoice_number, last.total_cents) == ("Sent", "INV-00003", 1000)

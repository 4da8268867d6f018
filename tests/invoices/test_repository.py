"""``invoices.repository`` on a real database: lookups and listing, lines, the invoices that carry
a period, finalization's claim, numbering and compare-and-set status changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from monk.invoices import repository
from monk.invoices.transitions import Mover
from monk.jobs import repository as failures
from monk.kit.auth import Principal
from monk.kit.pagination import Page
from monk.models.statuses import InvoiceStatus
from tests import storage as build

NOW = datetime(2026, 3, 5, tzinfo=UTC)
JAN, FEB, MAR, APR = (date(2026, m, 1) for m in (1, 2, 3, 4))


async def _contract(session: AsyncSession, who: Principal, name: str = "Acme"):  # noqa: ANN202
    cust = await build.customer(session, who, name)
    return await build.contract(session, who, cust, await build.plan(session, who, f"plan-{name}"))


async def test_get_and_of_contract(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    c = await _contract(session, who)
    second = await build.invoice(session, who, c, 1, FEB)
    first = await build.invoice(session, who, c, 0, JAN)
    assert (await repository.get(session, who, first.id)).id == first.id
    assert await repository.get(session, stranger, first.id) is None
    assert [i.id for i in await repository.of_contract(session, c.id)] == [first.id, second.id]


async def test_lines_in_position_order_and_replaced(session: AsyncSession, who: Principal) -> None:
    c = await _contract(session, who)
    inv, empty = await build.invoice(session, who, c, 0, JAN), await build.invoice(session, who, c, 1, FEB)
    await build.line(session, inv, 1, cents=200)
    await build.line(session, inv, 0, cents=100)
    got = await repository.lines_of(session, [inv.id, empty.id])
    assert {k: [ln.amount_cents for ln in v] for k, v in got.items()} == {inv.id: [100, 200], empty.id: []}
    await repository.replace_lines(session, inv.id, [build.line_row(inv.id, 0, cents=7)])
    session.expunge_all()
    assert [ln.amount_cents for ln in (await repository.lines_of(session, [inv.id]))[inv.id]] == [7]
    await repository.replace_lines(session, inv.id, [])
    assert (await repository.lines_of(session, [inv.id]))[inv.id] == []
    assert await repository.lines_of(session, []) == {}


async def test_list_page_filters(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    a, b = await _contract(session, who, "A"), await _contract(session, who, "B")
    a1 = await build.invoice(session, who, a, 0, JAN, status="Sent")
    b2 = await build.invoice(session, who, b, 1, FEB)
    a2 = await build.invoice(session, who, a, 1, FEB)
    await build.invoice(session, stranger, await _contract(session, stranger, "C"), 0, JAN)
    everything = {"customer_id": None, "contract_id": None, "status": None, "created_after": None,
                  "created_before": None}

    async def ids(page: Page = Page(limit=10, offset=0), **filters: object) -> tuple[list[str], int]:
        rows, total = await repository.list_page(session, who, page, **{**everything, **filters})
        return [r.id for r in rows], total

    by_date = sorted([a2, b2], key=lambda i: i.contract_id)
    assert await ids() == ([a1.id] + [i.id for i in by_date], 3)
    assert await ids(Page(limit=1, offset=0)) == ([a1.id], 3)
    assert await ids(contract_id=a.id) == ([a1.id, a2.id], 2)
    assert await ids(customer_id=b.customer_id) == ([b2.id], 1)
    assert await ids(status="Sent") == ([a1.id], 1)
    assert await ids(created_after=b2.created_at) == ([i.id for i in by_date], 2)
    assert await ids(created_before=b2.created_at) == ([a1.id], 1)


async def test_upcoming_is_the_next_open_invoice_of_an_active_contract(session: AsyncSession, who: Principal) -> None:
    c = await _contract(session, who)
    await build.invoice(session, who, c, 0, JAN, status="Sent")
    await build.invoice(session, who, c, 1, FEB)  # today: not after it
    mar = await build.invoice(session, who, c, 2, MAR)
    await build.invoice(session, who, c, 3, APR)
    assert (await repository.upcoming(session, who, c.customer_id, FEB)).id == mar.id
    assert await repository.upcoming(session, who, c.customer_id, APR) is None
    c.is_active = False
    await session.flush()
    assert await repository.upcoming(session, who, c.customer_id, JAN) is None


async def test_earliest_open_and_carrying(session: AsyncSession, who: Principal) -> None:
    c = await _contract(session, who)
    jan = await build.invoice(session, who, c, 0, JAN, status="Sent")
    feb = await build.invoice(session, who, c, 1, FEB, status="In Progress")
    await build.invoice(session, who, c, 2, MAR)
    assert (await repository.earliest_open(session, c.id)).id == feb.id
    assert (await repository.carrying(session, c.id, JAN, usage=True)).id == feb.id  # January's usage
    assert (await repository.carrying(session, c.id, JAN, usage=False)).id == jan.id  # January's fees
    feb.status = "Cancelled"
    await session.flush()
    assert await repository.carrying(session, c.id, JAN, usage=True) is None


async def test_reopened_and_billed_lines(session: AsyncSession, who: Principal) -> None:
    c = await _contract(session, who)
    jan = await build.invoice(session, who, c, 0, JAN, status="Sent", reopened=True)
    feb = await build.invoice(session, who, c, 1, FEB, reopened=True)  # open: not "reopened"
    await build.line(session, jan, 0, identity="fee:x", service_start=JAN)
    await build.line(session, jan, 1, identity="usage:y", kind="usage", service_start=JAN)
    await build.line(session, feb, 0, identity="fee:x", service_start=JAN)
    assert [i.id for i in await repository.reopened(session, c.id)] == [jan.id]
    assert [ln.identity for ln in await repository.billed_lines(session, c.id, JAN, ("fee:", "one_time:"))] == [
        "fee:x"]
    assert [ln.identity for ln in await repository.billed_lines(session, c.id, JAN, ("usage:",))] == ["usage:y"]
    await repository.clear_reopened(session, c.id)
    session.expunge_all()
    assert await repository.reopened(session, c.id) == []


async def test_due_for_finalization_and_held_back_contracts(session: AsyncSession, who: Principal) -> None:
    a, b = await _contract(session, who, "A"), await _contract(session, who, "B")
    a_jan = await build.invoice(session, who, a, 0, JAN)
    b_jan = await build.invoice(session, who, b, 0, JAN)
    a_feb = await build.invoice(session, who, a, 1, FEB)
    await build.invoice(session, who, a, 2, MAR)  # not due yet
    await build.invoice(session, who, b, 1, FEB, status="Sent")
    due = await repository.due_for_finalization(session, FEB, 10)
    assert sorted(i.id for i in due[:2]) == sorted([a_jan.id, b_jan.id]) and due[2].id == a_feb.id
    assert len(await repository.due_for_finalization(session, FEB, 1, claim=False)) == 1
    assert [i.id for i in await repository.due_for_finalization(session, FEB, 10, ids=[a_feb.id])] == [a_feb.id]
    await failures.record(session, kind=repository.FINALIZE_JOB, item_id=a_jan.id, org_id=who.org_id,
                          group_id=a.id, error=ValueError("bad"), now=NOW)
    got = await repository.due_for_finalization(session, FEB, 10, now=NOW)
    assert [i.id for i in got] == [b_jan.id]  # A's invoices wait behind its failed one
    assert len(await repository.due_for_finalization(session, FEB, 10, now=NOW + timedelta(hours=2))) == 3


async def test_start_usage_periods(session: AsyncSession, who: Principal) -> None:
    c = await _contract(session, who)
    fees_only = await build.invoice(session, who, c, 0, JAN, usage=False)
    feb = await build.invoice(session, who, c, 1, FEB)  # usage from January 1
    mar = await build.invoice(session, who, c, 2, MAR)  # usage from February 1
    assert await repository.start_usage_periods(session, date(2026, 1, 20), NOW) == [feb.id]
    session.expunge_all()
    statuses = {i.id: i.status for i in await repository.of_contract(session, c.id)}
    assert statuses == {fees_only.id: "Drafted", feb.id: "In Progress", mar.id: "Drafted"}


async def test_next_number_counts_per_organization_and_mode(
        session: AsyncSession, who: Principal, stranger: Principal) -> None:
    assert [await repository.next_number(session, who.org_id, "live") for _ in range(3)] == [1, 2, 3]
    assert await repository.next_number(session, who.org_id, "test") == 1
    assert await repository.next_number(session, stranger.org_id, "live") == 1
    assert await repository.next_number(session, who.org_id, "live") == 4


async def test_mark_finalized_once(session: AsyncSession, who: Principal) -> None:
    c = await _contract(session, who)
    inv = await build.invoice(session, who, c, 0, JAN, reopened=True)
    await repository.set_processing_error(session, inv.id, "earlier failure")
    assert await repository.mark_finalized(session, inv.id, "INV-00001", NOW)
    assert not await repository.mark_finalized(session, inv.id, "INV-00002", NOW)
    session.expunge_all()
    got = await repository.get(session, who, inv.id)
    assert (got.status, got.invoice_number, got.finalized_at, got.reopened, got.processing_error) == (
        "Sent", "INV-00001", NOW, False, None)


async def test_status_changes(session: AsyncSession, who: Principal) -> None:
    c = await _contract(session, who)
    a, b = await build.invoice(session, who, c, 0, JAN), await build.invoice(session, who, c, 1, FEB)
    assert await repository.move(session, [a.id], InvoiceStatus.SENT, Mover.FINALIZER, NOW) == [a.id]
    assert await repository.move(session, [a.id], InvoiceStatus.PAID, Mover.FINALIZER, NOW) == []  # not its move
    assert await repository.move(session, [a.id], InvoiceStatus.PAID, Mover.API, NOW) == [a.id]
    assert await repository.move(session, [a.id], InvoiceStatus.PAID, Mover.API, NOW) == []  # paid once
    assert await repository.move(session, [b.id], InvoiceStatus.CANCELLED, Mover.CALENDAR, NOW) == [b.id]
    assert await repository.move(session, [], InvoiceStatus.CANCELLED, Mover.CALENDAR, NOW) == []
    session.expunge_all()
    assert {i.id: (i.status, i.updated_at) for i in await repository.of_contract(session, c.id)} == {
        a.id: ("Paid", NOW), b.id: ("Cancelled", NOW)}


async def test_set_processing_error(session: AsyncSession, who: Principal) -> None:
    c = await _contract(session, who)
    inv = await build.invoice(session, who, c, 0, JAN)
    assert (await repository.set_processing_error(session, inv.id, "boom")).processing_error == "boom"
    assert (await repository.set_processing_error(session, inv.id, None)).processing_error is None
    assert await repository.set_processing_error(session, "missing", "boom") is None


async def test_open_usage_invoices_on_meter(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    m = await build.meter(session, who, "TOKENS")
    priced = await build.plan(session, who, "tokens", [await build.pricing(session, who, "tok", meter_id=m.id)])
    unpriced = await build.plan(session, who, "fees", [await build.pricing(session, who, "fee")])
    cust = await build.customer(session, who)
    on = await build.contract(session, who, cust, priced)
    off = await build.contract(session, who, cust, unpriced)
    feb = await build.invoice(session, who, on, 1, date(2026, 2, 1), status="In Progress")
    mar = await build.invoice(session, who, on, 2, date(2026, 3, 1))
    await build.invoice(session, who, on, 0, date(2026, 1, 1), usage=False)  # bills no usage
    await build.invoice(session, who, on, 3, date(2026, 4, 1), status="Sent")  # finalized
    await build.invoice(session, who, off, 1, date(2026, 2, 1))  # its plan does not price the meter
    got = await repository.open_usage_invoices_on_meter(session, who, m.id)
    assert [i.id for i in got] == [feb.id, mar.id]
    assert await repository.open_usage_invoices_on_meter(session, stranger, m.id) == []

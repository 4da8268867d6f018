"""``ratecards.repository`` on a real database: one card per meter, deletion, and the open usage
invoices a change of a meter's rates re-rates."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.ratecards import repository
from tests import storage as build


async def test_get_by_meter_and_delete(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    m, other = await build.meter(session, who, "TOKENS"), await build.meter(session, who, "CALLS")
    card = await build.rate_card(session, who, m, fallback="0.5")
    got = await repository.get(session, who, m.id)
    assert got is not None and got.id == card.id and got.entries == [{"dimensions": {"model": "a"},
                                                                        "unitAmount": "2.00"}]
    assert str(got.fallback_rate) == "0.5"
    assert await repository.get(session, stranger, m.id) is None
    assert await repository.get(session, who, other.id) is None
    assert {k: v.id for k, v in (await repository.by_meter(session, who, {m.id, other.id})).items()} == {m.id: card.id}
    assert await repository.by_meter(session, stranger, {m.id}) == {}
    assert await repository.by_meter(session, who, set()) == {}
    await repository.delete(session, card)
    assert await repository.get(session, who, m.id) is None


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

"""``invoices.lifecycle.mark_paid`` on a real database, on each status an invoice can be in: only a
``Sent`` invoice becomes ``Paid``; every other status is refused with ``IllegalTransition`` (409)
and the row is left as it was; an unknown invoice, or one of another organization or mode, is
``NotFound``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.invoices import lifecycle
from monk.invoices.transitions import IllegalTransition, Mover
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound
from monk.models import Invoice
from monk.models.statuses import InvoiceStatus as S
from tests import storage as build

NOW = build.T0 + timedelta(days=3)


async def _invoice(session: AsyncSession, who: Principal, status: str) -> Invoice:
    c = await build.contract(session, who, await build.customer(session, who),
                             await build.plan(session, who, "basic"))
    return await build.invoice(session, who, c, 1, date(2026, 2, 1), status=status, total_cents=4200)


async def _stored(session: AsyncSession, invoice_id: str) -> tuple[str, object]:
    session.expunge_all()
    row = (await session.execute(select(Invoice.status, Invoice.updated_at).where(Invoice.id == invoice_id))).one()
    return row.status, row.updated_at


async def test_a_sent_invoice_becomes_paid(session: AsyncSession, who: Principal) -> None:
    inv = await _invoice(session, who, S.SENT)
    paid = await lifecycle.mark_paid(session, who, inv.id, now=NOW)
    assert (paid.id, paid.status, paid.total_cents) == (inv.id, S.PAID, 4200)
    assert await _stored(session, inv.id) == (S.PAID, NOW)


@pytest.mark.parametrize("status", [S.DRAFTED, S.IN_PROGRESS, S.PAID, S.CANCELLED, S.IN_TRANSIT, S.REFUNDED])
async def test_any_other_status_is_refused_and_left_unchanged(session: AsyncSession, who: Principal,
                                                              status: S) -> None:
    inv = await _invoice(session, who, status)
    before = await _stored(session, inv.id)
    with pytest.raises(IllegalTransition) as refused:
        await lifecycle.mark_paid(session, who, inv.id, now=NOW)
    err = refused.value
    assert isinstance(err, Conflict) and err.status_code == 409
    assert (err.current, err.target, err.mover) == (status, S.PAID, Mover.API)
    assert err.message == f"Invoice is {status}; only Sent invoices can be marked paid"
    assert await _stored(session, inv.id) == before


async def test_paying_twice_is_refused(session: AsyncSession, who: Principal) -> None:
    inv = await _invoice(session, who, S.SENT)
    await lifecycle.mark_paid(session, who, inv.id, now=NOW)
    with pytest.raises(IllegalTransition):
        await lifecycle.mark_paid(session, who, inv.id, now=NOW + timedelta(hours=1))
    assert await _stored(session, inv.id) == (S.PAID, NOW)


async def test_unknown_or_foreign_invoices_are_not_found(session: AsyncSession, who: Principal,
                                                         stranger: Principal) -> None:
    inv = await _invoice(session, who, S.SENT)
    with pytest.raises(NotFound):
        await lifecycle.mark_paid(session, who, "inv_missing", now=NOW)
    with pytest.raises(NotFound):
        await lifecycle.mark_paid(session, stranger, inv.id, now=NOW)
    sandbox = await build.principal(session, mode="test", org_id=who.org_id)
    with pytest.raises(NotFound):
        await lifecycle.mark_paid(session, sandbox, inv.id, now=NOW)
    assert (await _stored(session, inv.id))[0] == S.SENT

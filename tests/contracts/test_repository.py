"""``contracts.repository`` on a real database: scoped lookups, contracts of a customer, rolling
contracts and their retries, phases and due plan moves, and the listing's filters. (The billing
context's queries, the contract lock among them, are ``invoicing.repository``'s: tests/invoicing.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from monk.contracts import repository
from monk.jobs import repository as failures
from monk.kit.auth import Principal
from monk.kit.db import session_factory
from monk.kit.pagination import Page
from tests import storage as build

JAN = datetime(2026, 1, 1, tzinfo=UTC)


async def _setup(session: AsyncSession, who: Principal) -> tuple:
    cust = await build.customer(session, who, "Acme", external_id="acme")
    p = await build.plan(session, who, "pro")
    return cust, p


async def test_get_is_scoped_and_fresh_rereads(session: AsyncSession, who: Principal, stranger: Principal,
                                               engine: AsyncEngine) -> None:
    cust, p = await _setup(session, who)
    c = await build.contract(session, who, cust, p)
    await session.commit()
    assert (await repository.get(session, who, c.id)).id == c.id
    assert await repository.get(session, stranger, c.id) is None
    await session.commit()  # the session keeps its copy (SQLite: and lets the other write)
    async with session_factory(engine)() as other:  # another transaction renames it
        row = await repository.get(other, who, c.id)
        row.name = "renamed"
        await other.commit()
    assert (await repository.get(session, who, c.id)).name != "renamed"  # the session's copy
    assert (await repository.get(session, who, c.id, fresh=True)).name == "renamed"


async def test_contracts_of_a_customer_oldest_start_first(session: AsyncSession, who: Principal) -> None:
    cust, p = await _setup(session, who)
    await build.customer(session, who, "Other")
    late = await build.contract(session, who, cust, p, date(2026, 3, 1))
    early = await build.contract(session, who, cust, p, date(2026, 1, 1))
    assert [c.id for c in await repository.of_customer(session, cust.id)] == [early.id, late.id]


async def test_rolling_active_leaves_out_ended_inactive_and_waiting_contracts(
        session: AsyncSession, who: Principal) -> None:
    cust, p = await _setup(session, who)
    rolling = [await build.contract(session, who, cust, p) for _ in range(3)]
    await build.contract(session, who, cust, p, end=date(2027, 1, 1))
    await build.contract(session, who, cust, p, active=False)
    ids = sorted(c.id for c in rolling)
    assert [c.id for c in await repository.rolling_active(session)] == ids
    assert [c.id for c in await repository.rolling_active(session, ids=[ids[0], ids[2]])] == [ids[0], ids[2]]
    now = datetime(2026, 1, 20, tzinfo=UTC)
    await failures.record(session, kind=repository.HORIZON_JOB, item_id=ids[1], org_id=who.org_id, group_id=None,
                          error=RuntimeError("boom"), now=now)
    assert [c.id for c in await repository.rolling_active(session, now=now)] == [ids[0], ids[2]]
    retry = now + timedelta(hours=2)  # past the backoff: due again
    assert [c.id for c in await repository.rolling_active(session, now=retry)] == ids


async def test_list_page_filters(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    cust, p = await _setup(session, who)
    other_cust = await build.customer(session, who, "Other", external_id="other")
    other_plan = await build.plan(session, who, "basic")
    a = await build.contract(session, who, cust, p)
    b = await build.contract(session, who, other_cust, p, active=False)
    c = await build.contract(session, who, cust, other_plan)
    theirs = await build.customer(session, stranger, "Theirs", external_id="acme")
    await build.contract(session, stranger, theirs, await build.plan(session, stranger, "pro"))

    async def ids(page: Page = Page(limit=10, offset=0), **filters: object) -> tuple[list[str], int]:
        args = {"customer_id": None, "external_customer_id": None, "plan_id": None, "is_active": None, **filters}
        rows, total = await repository.list_page(session, who, page, **args)
        return [r.id for r in rows], total

    assert await ids() == ([a.id, b.id, c.id], 3)
    assert await ids(Page(limit=1, offset=2)) == ([c.id], 3)
    assert await ids(customer_id=cust.id) == ([a.id, c.id], 2)
    assert await ids(external_customer_id="acme") == ([a.id, c.id], 2)
    assert await ids(external_customer_id="other") == ([b.id], 1)
    assert await ids(plan_id=p.id, is_active=True) == ([a.id], 1)
    assert await ids(is_active=False) == ([b.id], 1)


async def test_phases_drop_and_due_plan_moves(session: AsyncSession, who: Principal) -> None:
    cust, p = await _setup(session, who)
    nxt = await build.plan(session, who, "next")
    c = await build.contract(session, who, cust, p)
    feb = await build.phase(session, c, nxt, JAN.replace(month=2))
    mar = await build.phase(session, c, p, JAN.replace(month=3))
    got = await repository.phases_of(session, [c.id])
    assert [ph.id for ph in got[c.id]] == [c.id, feb.id, mar.id]
    assert await repository.due_plan_moves(session, JAN.replace(day=20)) == []
    moves = await repository.due_plan_moves(session, JAN.replace(month=2, day=2))
    assert [(m.id, plan_id) for m, plan_id in moves] == [(c.id, nxt.id)]
    assert await repository.due_plan_moves(session, JAN.replace(month=3, day=2)) == []  # back on p
    await repository.drop_phases_from(session, c.id, JAN)  # never phase 0
    assert [ph.id for ph in (await repository.phases_of(session, [c.id]))[c.id]] == [c.id]


@pytest.mark.parametrize("fresh", [False, True])
async def test_due_plan_moves_fresh(session: AsyncSession, who: Principal, fresh: bool) -> None:
    cust, p = await _setup(session, who)
    nxt = await build.plan(session, who, "next")
    c = await build.contract(session, who, cust, p)
    await build.phase(session, c, nxt, JAN.replace(day=10))
    moves = await repository.due_plan_moves(session, JAN.replace(day=11), fresh=fresh)
    assert [(m.id, plan_id) for m, plan_id in moves] == [(c.id, nxt.id)]

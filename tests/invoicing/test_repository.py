"""``invoicing.repository`` on a real database: the billing context's queries (contracts of
customers, phases, meters and rate cards by id) and the contract lock (PostgreSQL: a second
transaction waits for it)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from monk.invoicing import repository
from monk.kit.auth import Principal
from monk.kit.db import session_factory
from tests import storage as build
from tests.waiting import until_blocked_on_lock

JAN = datetime(2026, 1, 1, tzinfo=UTC)


async def _setup(session: AsyncSession, who: Principal) -> tuple:
    return await build.customer(session, who, "Acme", external_id="acme"), await build.plan(session, who, "pro")


async def test_contracts_of_customers_oldest_start_first(session: AsyncSession, who: Principal) -> None:
    cust, p = await _setup(session, who)
    other = await build.customer(session, who, "Other")
    late = await build.contract(session, who, cust, p, date(2026, 3, 1))
    early = await build.contract(session, who, cust, p, date(2026, 1, 1))
    got = await repository.of_customers(session, [cust.id, other.id])
    assert {k: [c.id for c in v] for k, v in got.items()} == {cust.id: [early.id, late.id], other.id: []}
    assert await repository.of_customers(session, []) == {}
    assert (await repository.contract(session, late.id)).id == late.id
    assert await repository.contract(session, "missing") is None


async def test_phases_by_contract_oldest_first(session: AsyncSession, who: Principal) -> None:
    cust, p = await _setup(session, who)
    a, b = await build.contract(session, who, cust, p), await build.contract(session, who, cust, p)
    later = await build.phase(session, a, p, JAN.replace(month=2))
    got = [(ph.contract_id, ph.id) for ph in await repository.phases_of(session, [a.id, b.id])]
    assert got == sorted([(a.id, a.id), (a.id, later.id), (b.id, b.id)], key=lambda t: t[0])


async def test_meters_and_rate_cards_by_id(session: AsyncSession, who: Principal) -> None:
    live, old = await build.meter(session, who, "A"), await build.meter(session, who, "B", archived=True)
    card = await build.rate_card(session, who, live)
    got = await repository.meters_by_id(session, {live.id, old.id, "missing"})
    assert {k: v.code for k, v in got.items()} == {live.id: "A", old.id: "B"}
    assert await repository.meters_by_id(session, set()) == {}
    assert {k: v.id for k, v in (await repository.rate_cards_of(session, {live.id, old.id})).items()} == {
        live.id: card.id}
    assert await repository.rate_cards_of(session, set()) == {}


async def test_lock_makes_a_second_transaction_wait(
        session: AsyncSession, who: Principal, engine: AsyncEngine, database_url: str) -> None:
    cust, p = await _setup(session, who)
    c = await build.contract(session, who, cust, p)
    await session.commit()
    await repository.lock(session)  # nothing to lock: no statement
    if database_url.startswith("sqlite"):
        await repository.lock(session, [c.id], customer_ids=[cust.id])  # the write transaction excludes others
        return
    await repository.lock(session, [c.id])
    async with session_factory(engine)() as second:
        waiting = asyncio.create_task(repository.lock(second, customer_ids=[cust.id]))
        await until_blocked_on_lock(database_url)
        assert not waiting.done()
        await session.commit()
        await asyncio.wait_for(waiting, 10)
        await second.commit()



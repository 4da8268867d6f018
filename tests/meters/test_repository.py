"""``meters.repository`` on a real database: archived meters, codes, listing by status, and what
keeps a meter from being archived."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.pagination import Page
from monk.meters import repository
from tests import storage as build


async def test_get_includes_archived_meters_get_live_does_not(
        session: AsyncSession, who: Principal, stranger: Principal) -> None:
    live = await build.meter(session, who, "CALLS")
    old = await build.meter(session, who, "OLD", archived=True)
    assert (await repository.get(session, who, old.id)).id == old.id
    assert await repository.get_live(session, who, old.id) is None
    assert (await repository.get_live(session, who, live.id)).id == live.id
    assert await repository.get(session, stranger, live.id) is None
    assert await repository.get_live(session, stranger, live.id) is None


async def test_an_archived_meter_frees_its_code(session: AsyncSession, who: Principal) -> None:
    await build.meter(session, who, "CALLS", archived=True)
    assert await repository.live_by_code(session, who, "CALLS") is None
    new = await build.meter(session, who, "CALLS")
    assert (await repository.live_by_code(session, who, "CALLS")).id == new.id
    assert await repository.live_by_code(session, who, "calls") is None


async def test_list_page_by_status(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    a = await build.meter(session, who, "A")
    b = await build.meter(session, who, "B", archived=True)
    c = await build.meter(session, who, "C")
    await build.meter(session, stranger, "D")
    page = Page(limit=10, offset=0)
    rows, total = await repository.list_page(session, who, page, status="all")
    assert [m.id for m in rows] == [a.id, b.id, c.id] and total == 3
    rows, total = await repository.list_page(session, who, page, status="active")
    assert [m.id for m in rows] == [a.id, c.id] and total == 2
    rows, total = await repository.list_page(session, who, page, status="inactive")
    assert [m.id for m in rows] == [b.id] and total == 1
    rows, total = await repository.list_page(session, who, Page(limit=1, offset=1), status="all")
    assert [m.id for m in rows] == [b.id] and total == 3


async def test_blocking_use_names_a_draft_or_active_plan(session: AsyncSession, who: Principal) -> None:
    m = await build.meter(session, who, "CALLS")
    assert await repository.blocking_use(session, who, m.id) is None
    price = await build.pricing(session, who, "calls-usage", meter_id=m.id)
    assert await repository.blocking_use(session, who, m.id) is None  # priced, in no plan
    await build.plan(session, who, "gone", [price], status="ARCHIVED")
    assert await repository.blocking_use(session, who, m.id) is None
    await build.plan(session, who, "next", [price], status="DRAFT")
    await build.plan(session, who, "later", [price], status="ACTIVE")
    assert await repository.blocking_use(session, who, m.id) == ("calls-usage", "next", "DRAFT")  # oldest plan


async def test_blocking_use_is_scoped(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    m = await build.meter(session, who, "CALLS")
    await build.plan(session, who, "p", [await build.pricing(session, who, "usage", meter_id=m.id)])
    assert await repository.blocking_use(session, stranger, m.id) is None

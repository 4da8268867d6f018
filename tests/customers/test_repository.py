"""``customers.repository`` on a real database: scoped lookups and the paged listing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from monk.customers import repository
from monk.kit.auth import Principal
from monk.kit.pagination import Page
from tests import storage as build


async def test_get_sees_only_the_callers_organization_and_mode(
        session: AsyncSession, who: Principal, stranger: Principal) -> None:
    c = await build.customer(session, who, "Acme", external_id="acme")
    assert (await repository.get(session, who, c.id)).id == c.id
    assert await repository.get(session, stranger, c.id) is None
    test_mode = await build.principal(session, org_id=who.org_id, mode="test")
    assert await repository.get(session, test_mode, c.id) is None
    assert await repository.get(session, who, "missing") is None


async def test_by_external_id(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    c = await build.customer(session, who, "Acme", external_id="acme")
    await build.customer(session, stranger, "Other Acme", external_id="acme")
    await build.customer(session, who, "No external id")
    assert (await repository.by_external_id(session, who, "acme")).id == c.id
    assert await repository.by_external_id(session, who, "ACME") is None


async def test_list_page_oldest_first_with_total_and_filter(
        session: AsyncSession, who: Principal, stranger: Principal) -> None:
    made = [await build.customer(session, who, f"C{i}", external_id=f"c{i}") for i in range(5)]
    await build.customer(session, stranger, "Theirs", external_id="c1")
    rows, total = await repository.list_page(session, who, Page(limit=2, offset=1), external_id=None)
    assert [r.id for r in rows] == [made[1].id, made[2].id] and total == 5
    rows, total = await repository.list_page(session, who, Page(limit=10, offset=4), external_id=None)
    assert [r.id for r in rows] == [made[4].id] and total == 5
    rows, total = await repository.list_page(session, who, Page(limit=10, offset=0), external_id="c1")
    assert [r.id for r in rows] == [made[1].id] and total == 1
    assert await repository.list_page(session, stranger, Page(limit=10, offset=0), external_id="c0") == ([], 0)

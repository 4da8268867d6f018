"""``plans.repository`` on a real database: lookups, the pricing a plan bundles in order, and
the listing by status."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.pagination import Page
from monk.plans import repository
from tests import storage as build


async def test_get_and_by_code_are_scoped(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    p = await build.plan(session, who, "pro")
    await build.plan(session, stranger, "pro")
    assert (await repository.get(session, who, p.id)).id == p.id
    assert await repository.get(session, stranger, p.id) is None
    assert (await repository.by_code(session, who, "pro")).id == p.id
    assert await repository.by_code(session, who, "PRO") is None


async def test_pricing_of_plans_in_position_order(session: AsyncSession, who: Principal) -> None:
    a, b, c = [await build.pricing(session, who, code) for code in "abc"]
    one = await build.plan(session, who, "one", [c, a, b])
    two = await build.plan(session, who, "two", [b])
    empty = await build.plan(session, who, "empty")
    assert [p.code for p in await repository.pricing_of(session, one.id)] == ["c", "a", "b"]
    got = await repository.pricing_of_plans(session, {one.id, two.id, empty.id})
    assert {k: [p.code for p in v] for k, v in got.items()} == {one.id: ["c", "a", "b"], two.id: ["b"], empty.id: []}
    assert await repository.pricing_of_plans(session, set()) == {}


async def test_expanded_pricing_carries_product_names(session: AsyncSession, who: Principal) -> None:
    prod = await build.product(session, who, "API")
    a, b = await build.pricing(session, who, "a", of=prod), await build.pricing(session, who, "b")
    p = await build.plan(session, who, "p", [b, a])
    got = await repository.expanded_pricing(session, who, [p.id])
    assert [(pr.code, name) for pr, name in got[p.id]] == [("b", "b product"), ("a", "API")]
    assert await repository.expanded_pricing(session, who, []) == {}


async def test_add_pricing_stages_positions(session: AsyncSession, who: Principal) -> None:
    a, b = await build.pricing(session, who, "a"), await build.pricing(session, who, "b")
    p = await build.plan(session, who, "p")
    repository.add_pricing(session, p.id, [b.id, a.id])
    await session.flush()
    assert [pr.code for pr in await repository.pricing_of(session, p.id)] == ["b", "a"]


async def test_list_page_by_status(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    a = await build.plan(session, who, "a")
    b = await build.plan(session, who, "b", status="DRAFT")
    c = await build.plan(session, who, "c")
    await build.plan(session, stranger, "d")
    rows, total = await repository.list_page(session, who, Page(limit=10, offset=0), status=None)
    assert [p.id for p in rows] == [a.id, b.id, c.id] and total == 3
    rows, total = await repository.list_page(session, who, Page(limit=1, offset=1), status="ACTIVE")
    assert [p.id for p in rows] == [c.id] and total == 2
    assert await repository.list_page(session, who, Page(limit=10, offset=0), status="ARCHIVED") == ([], 0)

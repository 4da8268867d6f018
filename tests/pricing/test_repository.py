"""``pricing.repository`` on a real database: pricing with its product's name, in the order asked,
listing, and code lookups (``LIKE`` wildcards in a code are literal)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.pagination import Page
from monk.pricing import repository
from tests import storage as build


async def test_get_returns_the_pricing_and_its_product_name(
        session: AsyncSession, who: Principal, stranger: Principal) -> None:
    prod = await build.product(session, who, "API")
    p = await build.pricing(session, who, "api-fee", of=prod)
    found = await repository.get(session, who, p.id)
    assert found is not None and (found[0].id, found[1]) == (p.id, "API")
    assert await repository.get(session, stranger, p.id) is None
    assert await repository.get(session, who, "missing") is None


async def test_get_many_keeps_the_order_asked_and_drops_unknown_ids(
        session: AsyncSession, who: Principal, stranger: Principal) -> None:
    a, b = await build.pricing(session, who, "a"), await build.pricing(session, who, "b")
    theirs = await build.pricing(session, stranger, "c")
    got = await repository.get_many(session, who, [b.id, "missing", a.id, b.id, theirs.id])
    assert [(p.id, name) for p, name in got] == [(b.id, "b product"), (a.id, "a product"), (b.id, "b product")]
    assert await repository.get_many(session, who, []) == []


async def test_list_page_filters_by_product(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    prod = await build.product(session, who, "Shared")
    a = await build.pricing(session, who, "a", of=prod)
    b = await build.pricing(session, who, "b")
    c = await build.pricing(session, who, "c", of=prod)
    await build.pricing(session, stranger, "d")
    rows, total = await repository.list_page(session, who, Page(limit=10, offset=0), product_id=None)
    assert [p.id for p, _ in rows] == [a.id, b.id, c.id] and total == 3
    rows, total = await repository.list_page(session, who, Page(limit=1, offset=1), product_id=prod.id)
    assert [(p.id, n) for p, n in rows] == [(c.id, "Shared")] and total == 2


async def test_get_product_is_scoped(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    prod = await build.product(session, who, "API")
    assert (await repository.get_product(session, who, prod.id)).name == "API"
    assert await repository.get_product(session, stranger, prod.id) is None


async def test_codes_with_prefix_and_code_taken(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    for code in ("api_fee", "api_fee-2", "api_fee-x", "apiXfee-3", "api_fee2", "other"):
        await build.pricing(session, who, code)
    await build.pricing(session, stranger, "api_fee-9")
    assert await repository.codes_with_prefix(session, who, "api_fee") == {"api_fee", "api_fee-2", "api_fee-x"}
    assert await repository.codes_with_prefix(session, who, "none") == set()
    assert await repository.code_taken(session, who, "api_fee-2")
    assert not await repository.code_taken(session, who, "api_fee-9")
    assert await repository.code_taken(session, stranger, "api_fee-9")

"""``ratecards.repository`` on a real database: one card per meter, and deletion."""

from __future__ import annotations

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

"""``ratecards.service`` on a real database: a rate card prices combinations of a live meter's
group keys; one card per meter, replaced by a second PUT; removal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.ratecards import service
from monk.ratecards.schemas import RateCardPut
from tests import storage as build

NOW = build.T0


def card(*rates: tuple[str, str], fallback: str | None = None) -> RateCardPut:
    return RateCardPut.model_validate({"rates": [{"dimensions": {"model": m}, "unitAmount": a} for m, a in rates],
                                       "fallbackRate": fallback})


async def test_put_replaces_and_delete_removes(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    m = await build.meter(session, who, "TOKENS", aggregation="SUM", key="n", group_keys=["model"])
    first, meter = await service.put(session, who, m.id, card(("a", "2"), ("b", "0.5")), NOW)
    assert meter.id == m.id and first.fallback_rate is None
    second, _ = await service.put(session, who, m.id, card(("c", "3"), fallback="1.25"), NOW + timedelta(hours=1))
    assert second.id == first.id and second.fallback_rate == Decimal("1.25")
    assert second.updated_at == NOW + timedelta(hours=1) and len(second.entries) == 1
    got, _ = await service.get(session, who, m.id)
    assert got.id == first.id
    with pytest.raises(NotFound):
        await service.get(session, stranger, m.id)
    await service.delete(session, who, m.id, NOW)
    with pytest.raises(NotFound, match="has no rate card"):
        await service.get(session, who, m.id)


async def test_put_rules(session: AsyncSession, who: Principal) -> None:
    plain = await build.meter(session, who, "CALLS")
    with pytest.raises(ValidationFailed, match="no groupKeys"):
        await service.put(session, who, plain.id, card(("a", "1")), NOW)
    grouped = await build.meter(session, who, "TOKENS", aggregation="SUM", key="n", group_keys=["model"])
    with pytest.raises(ValidationFailed):
        await service.put(session, who, grouped.id, card(("a", "1"), ("a", "2")), NOW)  # one combination twice
    old = await build.meter(session, who, "OLD", group_keys=["model"], archived=True)
    with pytest.raises(Conflict):
        await service.put(session, who, old.id, card(("a", "1")), NOW)
    with pytest.raises(NotFound):
        await service.put(session, who, "missing", card(("a", "1")), NOW)

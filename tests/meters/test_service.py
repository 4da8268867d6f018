"""``meters.service`` on a real database: creation rules, unique live codes, and archiving
(blocked while a draft or active plan prices the meter; frees the code)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.meters import service
from monk.meters.schemas import MeterCreate
from tests import storage as build

NOW = build.T0


def body(code: str = "TOKENS", **fields: object) -> MeterCreate:
    return MeterCreate.model_validate({"code": code, "displayName": code.title(), "aggregationType": "SUM",
                                       "aggregationKey": "n", **fields})


async def test_create_rules(session: AsyncSession, who: Principal) -> None:
    m = await service.create(session, who, body(eventTypeFilter={"include": ["tokens"]}, groupKeys=["model"]), NOW)
    assert (m.status, m.aggregation_key, m.event_include, m.group_keys, m.archived_at) == (
        "active", "n", ["tokens"], ["model"], None)
    count = await service.create(session, who, body("CALLS", aggregationType="COUNT"), NOW)
    assert count.aggregation_key is None  # ignored for COUNT
    with pytest.raises(ValidationFailed):
        await service.create(session, who, body("MAXED", aggregationType="MAX", aggregationKey=None), NOW)
    with pytest.raises(Conflict):
        await service.create(session, who, body(), NOW)


async def test_archive(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    m = await service.create(session, who, body(), NOW)
    with pytest.raises(NotFound):
        await service.archive(session, stranger, m.id, NOW)
    price = await build.pricing(session, who, "tokens", meter_id=m.id)
    p = await build.plan(session, who, "tokens", [price], status="DRAFT")
    with pytest.raises(Conflict, match="pricing 'tokens' in DRAFT plan 'tokens'"):
        await service.archive(session, who, m.id, NOW)
    p.status = "ARCHIVED"
    await session.flush()
    later = NOW + timedelta(hours=1)
    archived = await service.archive(session, who, m.id, later)
    assert (archived.status, archived.archived_at, archived.updated_at) == ("inactive", later, later)
    with pytest.raises(Conflict):
        await service.archive(session, who, m.id, later)
    assert (await service.create(session, who, body(), later)).id != m.id  # the code is free again

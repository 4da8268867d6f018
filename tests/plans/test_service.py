"""``plans.service`` on a real database: a plan bundles known pricing in order; codes are unique."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.plans import service
from monk.plans.schemas import PlanCreate
from tests import storage as build

NOW = build.T0


def body(code: str, pricing_ids: list[str]) -> PlanCreate:
    return PlanCreate.model_validate({"name": code.title(), "planCode": code, "billingFrequency": "MONTHLY",
                                      "pricingIds": pricing_ids})


async def test_create_and_get(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    a, b = await build.pricing(session, who, "a"), await build.pricing(session, who, "b")
    plan, pricing = await service.create(session, who, body("pro", [b.id, a.id]), NOW)
    assert [(p.id, name) for p, name in pricing] == [(b.id, "b product"), (a.id, "a product")]
    got, got_pricing = await service.get(session, who, plan.id)
    assert got.id == plan.id and [p.id for p, _ in got_pricing] == [b.id, a.id]
    with pytest.raises(NotFound):
        await service.get(session, stranger, plan.id)


async def test_unknown_pricing_and_taken_codes(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    a = await build.pricing(session, who, "a")
    theirs = await build.pricing(session, stranger, "t")
    with pytest.raises(ValidationFailed, match=f"pricing '{theirs.id}' not found"):
        await service.create(session, who, body("pro", [a.id, theirs.id]), NOW)
    await service.create(session, who, body("pro", [a.id]), NOW)
    with pytest.raises(Conflict):
        await service.create(session, who, body("pro", []), NOW)

"""``pricing.service`` on a real database: codes from names (suffixed when taken), products made
on the way or looked up, exact amounts, and the meter a usage price needs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.pricing import service
from monk.pricing.schemas import PricingCreate
from tests import storage as build

NOW = build.T0


def fee(name: str = "Platform Fee", **fields: object) -> PricingCreate:
    return PricingCreate.model_validate({"name": name, "model": "FLAT", "billingMode": "RECURRING",
                                         "priceInterval": "MONTH", "unitAmount": "49.99", "productName": "Platform",
                                         **fields})


async def test_codes_are_slugs_suffixed_when_taken(session: AsyncSession, who: Principal) -> None:
    codes = [(await service.create(session, who, fee(), NOW))[0].code for _ in range(3)]
    assert codes == ["platform-fee", "platform-fee-2", "platform-fee-3"]
    with pytest.raises(Conflict):
        await service.create(session, who, fee(code="platform-fee-2"), NOW)
    assert (await service.create(session, who, fee(code="custom"), NOW))[0].code == "custom"


async def test_product_by_name_or_id(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    pricing, product_name = await service.create(session, who, fee(), NOW)
    assert product_name == "Platform" and pricing.unit_amount == Decimal("49.99") and pricing.tiering == "NONE"
    again, name = await service.create(session, who, fee("Other", productName=None, productId=pricing.product_id), NOW)
    assert (again.product_id, name) == (pricing.product_id, "Platform")
    with pytest.raises(NotFound):
        await service.create(session, stranger, fee(productName=None, productId=pricing.product_id), NOW)
    assert (await service.get(session, who, pricing.id))[0].id == pricing.id
    with pytest.raises(NotFound):
        await service.get(session, stranger, pricing.id)


async def test_usage_pricing_needs_a_live_meter_of_the_caller(session: AsyncSession, who: Principal,
                                                               stranger: Principal) -> None:
    usage = {"model": "USAGE", "priceInterval": None, "unitAmount": "0.0001234"}
    live, old = await build.meter(session, who, "CALLS"), await build.meter(session, who, "OLD", archived=True)
    theirs = await build.meter(session, stranger, "CALLS")
    pricing, _ = await service.create(session, who, fee("Calls", meterId=live.id, **usage), NOW)
    assert (pricing.meter_id, pricing.unit_amount) == (live.id, Decimal("0.0001234"))
    for meter_id in (old.id, theirs.id):
        with pytest.raises(ValidationFailed, match="meterId"):
            await service.create(session, who, fee("Calls", meterId=meter_id, **usage), NOW)

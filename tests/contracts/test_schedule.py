"""``contracts.schedule.preview`` (the review step's invoice schedule) against the engine: for the same
body, the invoices ``contracts.service.create`` drafts have the preview's dates and fixed amounts (stub
periods, one-time fees, quarterly billing, overrides); ``contracts.service.check`` writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.contracts import service
from monk.contracts.schedule import preview
from monk.contracts.schemas import ContractCreate
from monk.kit.auth import Principal
from monk.models import Contract, Invoice
from monk.plans import repository as plans
from tests import storage as build

NOW = build.T0  # 2026-01-15 12:00 UTC


@pytest.mark.parametrize(("frequency", "fields"), [
    ("MONTHLY", {"endDate": "2026-04-01", "billingCycleAnchor": "2026-01-10"}),
    ("MONTHLY", {"endDate": "2026-03-01", "setup": True}),
    ("QUARTERLY", {"endDate": "2027-01-01"}),
    ("MONTHLY", {}),
])
async def test_the_preview_is_the_calendar_create_drafts(session: AsyncSession, who: Principal, frequency: str,
                                                         fields: dict[str, Any]) -> None:
    m = await build.meter(session, who, "CALLS")
    fee = await build.pricing(session, who, "base", unit="10.50")
    calls = await build.pricing(session, who, "calls", meter_id=m.id, unit="0.5")
    bundle = [fee, calls]
    if fields.pop("setup", False):
        setup = await build.pricing(session, who, "setup", unit="99")
        setup.billing_mode = "ONE_TIME"
        bundle.append(setup)
    plan = await build.plan(session, who, "basic", bundle)
    plan.billing_frequency = frequency
    customer = await build.customer(session, who)
    body = ContractCreate.model_validate({"customerId": customer.id, "planId": plan.id, "startDate": "2026-01-01",
                                          "overrides": [{"basePricingId": calls.id, "unitAmount": "0.25"}],
                                          **fields})
    checked = await service.check(session, who, body, now=NOW)
    assert (await session.execute(select(func.count()).select_from(Contract))).scalar_one() == 0
    schedule = preview(body, checked.plan, await plans.pricing_of(session, plan.id), checked.overrides)
    contract = await service.create(session, who, body, now=NOW, periods_ahead=3)
    drafts = (await session.execute(select(Invoice).where(Invoice.contract_id == contract.id)
                                    .order_by(Invoice.invoice_date))).scalars().all()
    engine = [(i.invoice_date, i.total_cents) for i in drafts]
    previewed = [(i.invoice_date, i.fees_cents) for i in schedule.invoices]
    if body.end_date is None:
        assert schedule.open_ended and engine[:len(previewed)] == previewed and len(previewed) == 4
    else:
        assert engine == previewed
    assert schedule.invoices[0].usage_period is None and schedule.invoices[1].usage_period is not None
    if frequency == "QUARTERLY":
        assert previewed == [(date(2026, 1, 1), 3150), (date(2026, 4, 1), 3150), (date(2026, 7, 1), 3150),
                             (date(2026, 10, 1), 3150), (date(2027, 1, 1), 0)]
    if "billingCycleAnchor" in fields:
        assert [d for d, _ in previewed] == [date(2026, 1, 1), date(2026, 1, 10), date(2026, 2, 10),
                                             date(2026, 3, 10), date(2026, 4, 1)]

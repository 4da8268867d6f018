"""``contracts.service`` on a real database, called directly: creation (defaults, the phase 0, the
pre-generated drafts, overrides in their stored snake_case shape, every refusal), cancellation (end
of period and immediate, and a second cancel), and plan changes (immediate, end of period,
requested date, and their refusals). Dates: now is 2026-01-15 12:00 UTC; contracts start
2026-01-01, monthly."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.contracts import service
from monk.contracts.schemas import CancelBody, ChangePlanBody, ContractCreate
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.models import Contract, ContractPhase, Customer, Invoice, Plan, Pricing
from tests import storage as build

NOW = build.T0  # 2026-01-15 12:00 UTC
AHEAD = 2


def body(customer: Customer, plan: Plan, **fields: Any) -> ContractCreate:
    return ContractCreate.model_validate({"customerId": customer.id, "planId": plan.id, "startDate": "2026-01-01",
                                          **fields})


async def _setup(session: AsyncSession, who: Principal) -> tuple[Customer, Plan, Pricing, Pricing]:
    m = await build.meter(session, who, "CALLS", group_keys=["region"])
    fee = await build.pricing(session, who, "base", unit="10")
    calls = await build.pricing(session, who, "calls", meter_id=m.id, unit="0.5")
    return await build.customer(session, who), await build.plan(session, who, "basic", [fee, calls]), fee, calls


async def _phases(session: AsyncSession, contract_id: str) -> list[tuple[str, datetime, str | None]]:
    rows = (await session.execute(select(ContractPhase).where(ContractPhase.contract_id == contract_id)
                                  .order_by(ContractPhase.starts_at))).scalars()
    return [(p.plan_id, p.starts_at, p.change_option) for p in rows]


async def _invoices(session: AsyncSession, contract_id: str) -> list[tuple[date, str]]:
    rows = (await session.execute(select(Invoice).where(Invoice.contract_id == contract_id)
                                  .order_by(Invoice.invoice_date, Invoice.created_at))).scalars()
    return [(i.invoice_date, i.status) for i in rows]


async def test_create_takes_the_plan_defaults_and_drafts_the_calendar(session: AsyncSession, who: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    plan.net_terms, plan.credit_grant_cents = 15, 500
    c = await service.create(session, who, body(cust, plan, metadata={"po": "7"}), now=NOW, periods_ahead=AHEAD)
    assert (c.org_id, c.mode, c.customer_id, c.plan_id, c.name, c.start_date, c.end_date) == (
        who.org_id, "live", cust.id, plan.id, "Basic", date(2026, 1, 1), None)
    assert (c.billing_cycle_anchor, c.billing_frequency, c.net_terms, c.credit_grant_cents, c.overrides,
            c.metadata_, c.is_active) == (date(2026, 1, 1), "MONTHLY", 15, 500, [], {"po": "7"}, True)
    assert await _phases(session, c.id) == [(plan.id, datetime(2026, 1, 1, tzinfo=UTC), None)]
    drafts = await _invoices(session, c.id)
    assert drafts and {s for _, s in drafts} == {"Drafted"}
    assert drafts[0][0] == date(2026, 1, 1)  # fees in advance: the first invoice is dated on the start
    assert (await service.get(session, who, c.id)).id == c.id


async def test_explicit_terms_override_the_plan(session: AsyncSession, who: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    plan.net_terms, plan.credit_grant_cents = 15, 500
    c = await service.create(session, who, body(cust, plan, name="Deal", netTerms=0, creditGrantCents=None,
                                                endDate="2026-07-01", billingCycleAnchor="2026-01-10"),
                             now=NOW, periods_ahead=AHEAD)
    assert (c.name, c.net_terms, c.credit_grant_cents, c.end_date, c.billing_cycle_anchor) == (
        "Deal", 0, None, date(2026, 7, 1), date(2026, 1, 10))


async def test_overrides_are_stored_snake_case(session: AsyncSession, who: Principal) -> None:
    cust, plan, fee, calls = await _setup(session, who)
    c = await service.create(session, who, body(cust, plan, overrides=[
        {"basePricingId": calls.id, "unitAmount": "0.25"},
        {"basePricingId": calls.id, "unitAmount": "0.75", "dimensions": {"region": "eu"}}]),
        now=NOW, periods_ahead=AHEAD)
    session.expunge_all()
    stored = (await session.execute(select(Contract.overrides).where(Contract.id == c.id))).scalar_one()
    assert stored == [{"base_pricing_id": calls.id, "unit_amount": "0.25"},
                      {"base_pricing_id": calls.id, "unit_amount": "0.75", "dimensions": {"region": "eu"}}]


async def test_creation_refusals(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    with pytest.raises(NotFound):
        await service.create(session, stranger, body(cust, plan), now=NOW, periods_ahead=AHEAD)
    with pytest.raises(NotFound):
        await service.create(session, who, ContractCreate.model_validate(
            {"customerId": "cus_missing", "planId": plan.id, "startDate": "2026-01-01"}), now=NOW, periods_ahead=AHEAD)
    with pytest.raises(ValidationFailed, match="planId: plan 'pln_missing' not found"):
        await service.create(session, who, ContractCreate.model_validate(
            {"customerId": cust.id, "planId": "pln_missing", "startDate": "2026-01-01"}), now=NOW, periods_ahead=AHEAD)
    draft = await build.plan(session, who, "draft", status="DRAFT")
    with pytest.raises(ValidationFailed, match="plan 'draft' is DRAFT; only ACTIVE plans take contracts"):
        await service.create(session, who, body(cust, draft), now=NOW, periods_ahead=AHEAD)
    elsewhere = await build.pricing(session, who, "other", unit="1")
    with pytest.raises(ValidationFailed, match=f"basePricingId '{elsewhere.id}' is not a pricing of the plan"):
        await service.create(session, who, body(cust, plan, overrides=[
            {"basePricingId": elsewhere.id, "unitAmount": "1"}]), now=NOW, periods_ahead=AHEAD)
    with pytest.raises(ValidationFailed, match="startDate may be at most"):
        await service.create(session, who, body(cust, plan, startDate="2020-01-01"), now=NOW, periods_ahead=AHEAD)
    assert (await session.execute(select(Contract.id))).all() == []


async def test_cancel_at_end_of_period(session: AsyncSession, who: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    c = await service.create(session, who, body(cust, plan), now=NOW, periods_ahead=AHEAD)
    out = await service.cancel(session, who, c.id, CancelBody(cancel_at="end_of_period"), now=NOW)
    assert out["id"] == c.id and out["isActive"] is False
    assert out["effectiveCancellationDate"] == "2026-01-31"  # the January period runs to Feb 1 (exclusive)
    assert (c.end_date, c.is_active, c.cancelled_at, c.ended_at) == (date(2026, 2, 1), False, NOW, None)
    with pytest.raises(Conflict) as again:
        await service.cancel(session, who, c.id, CancelBody(cancel_at="end_of_period"), now=NOW)
    assert again.value.details == {"effectiveCancellationDate": "2026-01-31"}
    drafts = await _invoices(session, c.id)
    assert out["cancelledInvoiceCount"] == sum(1 for d, s in drafts if s == "Cancelled")
    assert all(d <= date(2026, 2, 1) for d, s in drafts if s != "Cancelled")


async def test_cancel_immediately(session: AsyncSession, who: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    c = await service.create(session, who, body(cust, plan), now=NOW, periods_ahead=AHEAD)
    out = await service.cancel(session, who, c.id, CancelBody(cancel_at="immediate"), now=NOW)
    assert out["effectiveCancellationDate"] == "2026-01-15"  # today is the last covered day
    assert (c.end_date, c.ended_at, c.cancelled_at, c.is_active) == (date(2026, 1, 16), NOW, NOW, False)
    open_dates = [d for d, s in await _invoices(session, c.id) if s == "Drafted"]
    assert date(2026, 1, 15) in open_dates  # the closing usage invoice is dated today
    with pytest.raises(NotFound):
        await service.cancel(session, who, "con_missing", CancelBody(cancel_at="immediate"), now=NOW)


async def test_change_plan_immediately(session: AsyncSession, who: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    pro = await build.plan(session, who, "pro", [await build.pricing(session, who, "pro-base", unit="30")])
    c = await service.create(session, who, body(cust, plan), now=NOW, periods_ahead=AHEAD)
    out = await service.change_plan(session, who, c.id, ChangePlanBody(plan_id=pro.id, change_option="immediate"),
                                    now=NOW)
    assert out == {"id": c.id, "currentPlanId": plan.id, "newPlanId": pro.id, "effectiveDate": "2026-01-15",
                   "changeOption": "immediate", "prorate": True, "status": "applied"}
    assert c.plan_id == pro.id
    assert await _phases(session, c.id) == [(plan.id, datetime(2026, 1, 1, tzinfo=UTC), None),
                                            (pro.id, NOW, "immediate")]
    with pytest.raises(ValidationFailed, match="already on this plan"):
        await service.change_plan(session, who, c.id, ChangePlanBody(plan_id=pro.id, change_option="immediate"),
                                  now=NOW + timedelta(hours=1))


async def test_change_plan_at_end_of_period_is_scheduled(session: AsyncSession, who: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    pro = await build.plan(session, who, "pro", [await build.pricing(session, who, "pro-base", unit="30")])
    c = await service.create(session, who, body(cust, plan), now=NOW, periods_ahead=AHEAD)
    out = await service.change_plan(session, who, c.id,
                                    ChangePlanBody(plan_id=pro.id, change_option="end_of_period", prorate=False),
                                    now=NOW)
    assert (out["effectiveDate"], out["status"], out["prorate"]) == ("2026-02-01", "scheduled", False)
    assert c.plan_id == plan.id  # not yet
    assert await _phases(session, c.id) == [(plan.id, datetime(2026, 1, 1, tzinfo=UTC), None),
                                            (pro.id, datetime(2026, 2, 1, tzinfo=UTC), "end_of_period")]
    assert await service.apply_due_phases(session, NOW) == 0
    assert await service.apply_due_phases(session, datetime(2026, 2, 1, tzinfo=UTC)) == 1
    assert c.plan_id == pro.id


async def test_change_plan_on_a_requested_date_replaces_a_scheduled_change(session: AsyncSession,
                                                                            who: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    pro = await build.plan(session, who, "pro", [await build.pricing(session, who, "pro-base", unit="30")])
    c = await service.create(session, who, body(cust, plan), now=NOW, periods_ahead=AHEAD)
    await service.change_plan(session, who, c.id, ChangePlanBody(plan_id=pro.id, change_option="end_of_period"),
                              now=NOW)
    out = await service.change_plan(session, who, c.id, ChangePlanBody(
        plan_id=pro.id, change_option="requested_date", change_date=date(2026, 1, 20)), now=NOW)
    assert (out["effectiveDate"], out["status"]) == ("2026-01-20", "scheduled")
    assert await _phases(session, c.id) == [(plan.id, datetime(2026, 1, 1, tzinfo=UTC), None),
                                            (pro.id, datetime(2026, 1, 20, tzinfo=UTC), "requested_date")]
    with pytest.raises(ValidationFailed, match="changeDate is required"):
        await service.change_plan(session, who, c.id, ChangePlanBody(plan_id=pro.id, change_option="requested_date"),
                                  now=NOW)
    with pytest.raises(ValidationFailed, match="changeDate must be today or later"):
        await service.change_plan(session, who, c.id, ChangePlanBody(
            plan_id=pro.id, change_option="requested_date", change_date=date(2026, 1, 14)), now=NOW)


async def test_change_plan_refusals(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    cust, plan, _, _ = await _setup(session, who)
    pro = await build.plan(session, who, "pro")
    c = await service.create(session, who, body(cust, plan, endDate="2026-03-01"), now=NOW, periods_ahead=AHEAD)
    with pytest.raises(NotFound):
        await service.change_plan(session, stranger, c.id, ChangePlanBody(plan_id=pro.id, change_option="immediate"),
                                  now=NOW)
    with pytest.raises(ValidationFailed, match="after the contract ends"):
        await service.change_plan(session, who, c.id, ChangePlanBody(
            plan_id=pro.id, change_option="requested_date", change_date=date(2026, 3, 1)), now=NOW)
    yearly = await build.plan(session, who, "yearly")
    yearly.billing_frequency = "YEARLY"
    with pytest.raises(ValidationFailed, match="changing the billing frequency is not supported"):
        await service.change_plan(session, who, c.id, ChangePlanBody(plan_id=yearly.id, change_option="immediate"),
                                  now=NOW)
    await service.cancel(session, who, c.id, CancelBody(cancel_at="immediate"), now=NOW)
    with pytest.raises(Conflict, match="already cancelled"):
        await service.change_plan(session, who, c.id, ChangePlanBody(plan_id=pro.id, change_option="immediate"),
                                  now=NOW)

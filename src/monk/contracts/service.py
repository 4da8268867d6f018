"""Contract rules: subscribing a customer to a plan and pre-generating its invoices. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from monk.contracts import repository
from monk.contracts.schemas import ContractCreate
from monk.customers import service as customers
from monk.invoices.service import ContractBilling, sync_calendar
from monk.kit.auth import Principal
from monk.kit.errors import NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.models import Contract
from monk.plans import repository as plans


async def billing_of(session: AsyncSession, contract: Contract) -> ContractBilling:
    """Load what billing ``contract`` needs: its plan's pricing in order, their meters and rate cards."""
    pricings = await plans.pricing_of(session, contract.plan_id)
    meters = await repository.meters_by_id(session, {p.meter_id for p in pricings if p.meter_id})
    rate_cards = await repository.rate_cards_of(session, set(meters))
    return ContractBilling(contract=contract, pricings=pricings, meters=meters, rate_cards=rate_cards)


async def create(
    session: AsyncSession, who: Principal, body: ContractCreate, *, now: datetime, periods_ahead: int
) -> Contract:
    """Subscribe a customer to an ACTIVE plan and pre-generate its draft invoices (reference §9.1).

    ``netTerms`` and ``creditGrantCents`` default to the plan's. Raises ``NotFound`` (404) for an
    unknown customer; ``ValidationFailed`` (400) for an unknown or non-ACTIVE plan or an override
    naming a pricing that is not in the plan.
    """
    await customers.get(session, who, body.customer_id)
    plan = await plans.get(session, who, body.plan_id)
    if plan is None:
        raise ValidationFailed(f"planId: plan '{body.plan_id}' not found")
    if plan.status != "ACTIVE":
        raise ValidationFailed(f"planId: plan '{plan.plan_code}' is {plan.status}; only ACTIVE plans take contracts")
    pricing_ids = {p.id for p in await plans.pricing_of(session, plan.id)}
    for o in body.overrides:
        if o.base_pricing_id not in pricing_ids:
            raise ValidationFailed(f"overrides: basePricingId '{o.base_pricing_id}' is not a pricing of the plan")
    fields = body.model_fields_set
    contract = Contract(
        id=new_id(), org_id=who.org_id, mode=who.mode, created_at=now, updated_at=now,
        customer_id=body.customer_id, plan_id=plan.id, name=body.name or plan.name,
        start_date=body.start_date, end_date=body.end_date,
        billing_cycle_anchor=body.billing_cycle_anchor or body.start_date,
        billing_frequency=plan.billing_frequency,
        net_terms=body.net_terms if body.net_terms is not None else plan.net_terms,
        credit_grant_cents=body.credit_grant_cents if "credit_grant_cents" in fields else plan.credit_grant_cents,
        credit_settings=body.credit_settings,
        overrides=[o.model_dump(by_alias=True, exclude_none=True) for o in body.overrides],
        metadata_=body.metadata or {}, is_active=True,
    )
    session.add(contract)
    await session.flush()
    await sync_calendar(session, await billing_of(session, contract), now=now, periods_ahead=periods_ahead)
    return contract


async def get(session: AsyncSession, who: Principal, contract_id: str) -> Contract:
    """The caller's contract. Raises ``NotFound`` (404)."""
    contract = await repository.get(session, who, contract_id)
    if contract is None:
        raise NotFound(f"Contract '{contract_id}' not found")
    return contract

"""Plan rules: unique plan code, pricing that exists in the caller's organization and mode, the billing
mode's terms (``auto_charge``: Net 0, auto-pay on). Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.models import Plan, Pricing
from monk.models.statuses import CollectionMethod
from monk.plans import repository
from monk.plans.schemas import PlanCreate
from monk.pricing import repository as pricing_repo


def _duplicate(code: str) -> Conflict:
    return Conflict(f"A plan with planCode '{code}' already exists")


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[{"field": field, "message": message}])


def _terms(body: PlanCreate) -> tuple[int, bool]:
    """The plan's ``(netTerms in days, autoPay)`` under its ``collectionMethod`` (concepts §18).

    ``auto_charge`` plans are due on receipt and charge automatically: ``netTerms`` is 0 and ``autoPay``
    true whether sent or not; sending a non-zero ``netTerms`` or ``autoPay: false`` with them raises
    ``ValidationFailed`` (400) naming the field. ``invoice_and_collect`` plans keep what was sent.
    """
    if body.collection_method != CollectionMethod.AUTO_CHARGE.value:
        return body.net_terms, body.auto_pay
    if body.net_terms != 0:
        raise _invalid("netTerms", "auto_charge plans are due on receipt (Net 0); omit netTerms or send 0")
    if "auto_pay" in body.model_fields_set and not body.auto_pay:
        raise _invalid("autoPay", "auto_charge plans charge automatically (auto-pay on); omit autoPay or send true")
    return 0, True


async def create(
    session: AsyncSession, principal: Principal, body: PlanCreate, now: datetime
) -> tuple[Plan, list[tuple[Pricing, str]]]:
    """Create a plan bundling ``pricingIds`` in the given order; returns ``(plan, [(pricing, product name)])``.

    ``collectionMethod`` ``auto_charge`` sets ``netTerms`` 0 and ``autoPay`` true (``_terms``).
    Raises ``ValidationFailed`` (400) naming the first pricing id unknown in this organization and mode,
    or ``netTerms``/``autoPay`` contradicting ``auto_charge``; ``Conflict`` (409) when ``planCode`` is
    already used.
    """
    net_terms, auto_pay = _terms(body)
    pricing = await pricing_repo.get_many(session, principal, body.pricing_ids)
    if len(pricing) != len(body.pricing_ids):
        found = {p.id for p, _ in pricing}
        missing = next(i for i in body.pricing_ids if i not in found)
        raise ValidationFailed(f"pricingIds: pricing '{missing}' not found")
    if await repository.by_code(session, principal, body.plan_code):
        raise _duplicate(body.plan_code)
    plan = Plan(
        id=new_id(), org_id=principal.org_id, mode=principal.mode, created_at=now, updated_at=now,
        name=body.name, plan_code=body.plan_code, currency=body.currency,
        billing_frequency=body.billing_frequency, collection_method=body.collection_method,
        net_terms=net_terms, auto_pay=auto_pay,
        credit_grant_cents=body.credit_grant_cents, status=body.status, description=body.description,
    )
    try:
        async with session.begin_nested():  # a savepoint, so the code can be re-checked on failure
            session.add(plan)
            await session.flush()
    except IntegrityError:
        if await repository.by_code(session, principal, body.plan_code):  # a concurrent create took the code
            raise _duplicate(body.plan_code) from None
        raise
    repository.add_pricing(session, plan.id, body.pricing_ids)
    await session.flush()
    return plan, pricing


async def get(session: AsyncSession, principal: Principal, plan_id: str) -> tuple[Plan, list[tuple[Pricing, str]]]:
    """The caller's plan with its ``(pricing, product name)`` list in order. Raises ``NotFound`` (404)."""
    plan = await repository.get(session, principal, plan_id)
    if plan is None:
        raise NotFound(f"Plan '{plan_id}' not found")
    return plan, (await repository.expanded_pricing(session, principal, [plan.id]))[plan.id]

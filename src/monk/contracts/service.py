"""Contract rules: subscribing, cancelling, changing plan, metadata, auto-pay and the contract's own saved
payment method. Never commits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.calendar import due_date
from monk.billing.periods import period_containing
from monk.contracts import repository
from monk.contracts.schemas import CancelBody, ChangePlanBody, ContractCreate, ContractUpdate, contract_out
from monk.customers import service as customers
from monk.events import repository as event_store
from monk.events import service as events
from monk.gateway import repository as connections
from monk.invoices import repository as invoices
from monk.invoicing import repository as billing_store
from monk.invoicing.context import ContractBilling
from monk.invoicing.service import load_billing, rebuild_open, reshape_calendar, sync_calendar
from monk.invoicing.wallets import start_wallet
from monk.kit.auth import Principal
from monk.kit.bounds import contract_dates_problem
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.kit.time import midnight
from monk.models import Contract, ContractPhase, Customer, Plan
from monk.models.shapes import Override, dump_overrides
from monk.models.statuses import ChangeOption, CollectionMethod, InvoiceStatus, PlanStatus
from monk.plans import repository as plans
from monk.ratecards.service import normalize_rate_overrides, validate_overrides
from monk.webhooks import outbox
from monk.webhooks.catalogue import CONTRACT_CREATED, CONTRACT_TERMINATED, CONTRACT_UPDATED


async def billing_of(session: AsyncSession, contract: Contract) -> ContractBilling:
    """Load what billing ``contract`` needs (phases, pricing, meters, rate cards)."""
    return await load_billing(session, contract)


async def shaped(session: AsyncSession, contract: Contract) -> dict[str, Any]:
    """The API shape of ``contract`` with its plan schedule (reference §3.2)."""
    return (await shaped_many(session, [contract]))[0]


async def shaped_many(session: AsyncSession, contracts: list[Contract]) -> list[dict[str, Any]]:
    """The API shapes of ``contracts`` in order, each with its plan schedule and its current plan's
    ``collectionMethod`` (two queries)."""
    phases = await repository.phases_of(session, [c.id for c in contracts])
    methods = await plans.collection_methods(session, {c.plan_id for c in contracts})
    return [contract_out(c, phases[c.id], collection_method=methods[c.plan_id]) for c in contracts]


async def _announce(session: AsyncSession, contract: Contract, event_type: str, now: datetime) -> None:
    """Write the ``contract.*`` webhook ``event_type`` with the contract as the API returns it."""
    await outbox.emit(session, org_id=contract.org_id, mode=contract.mode, event_type=event_type,
                      resource_id=contract.id, payload=await shaped(session, contract), now=now)


async def _active_plan(session: AsyncSession, principal: Principal, plan_id: str) -> Plan:
    plan = await plans.get(session, principal, plan_id)
    if plan is None:
        raise ValidationFailed(f"planId: plan '{plan_id}' not found")
    if plan.status != PlanStatus.ACTIVE:
        raise ValidationFailed(f"planId: plan '{plan.plan_code}' is {plan.status}; only ACTIVE plans take contracts")
    return plan


@dataclass(frozen=True)
class Checked:
    """What ``check`` resolved of a ``ContractCreate``: the customer, the ACTIVE plan and the overrides'
    stored form (``models.shapes``)."""

    customer: Customer
    plan: Plan
    overrides: list[dict[str, Any]]


async def check(session: AsyncSession, principal: Principal, body: ContractCreate, *, now: datetime) -> Checked:
    """Every check ``create`` makes before it writes, writing nothing (a dry run: the dashboard's review
    step shows the schedule of a contract ``create`` would accept). Raises what ``create`` raises:
    ``NotFound`` (404) for an unknown customer; ``ValidationFailed`` (400) for dates out of bounds, an
    unknown or non-ACTIVE plan, auto-pay asked without a Stripe connection, a non-zero ``netTerms`` on
    an ``auto_charge`` plan or an override naming a pricing that is not in the plan."""
    problem = contract_dates_problem(body.start_date, body.end_date, now.date())
    if problem is not None:
        raise ValidationFailed(problem)
    customer = await customers.get(session, principal, body.customer_id)
    plan = await _active_plan(session, principal, body.plan_id)
    if body.auto_pay:
        await _can_auto_pay(session, principal)
    if plan.collection_method == CollectionMethod.AUTO_CHARGE and body.net_terms:
        message = "auto_charge plans are due on receipt (Net 0); omit netTerms or send 0"
        raise ValidationFailed(f"netTerms: {message}", details=[{"field": "netTerms", "message": message}])
    return Checked(customer=customer, plan=plan, overrides=await _overrides(session, plan.id, body))


async def create(
    session: AsyncSession, principal: Principal, body: ContractCreate, *, now: datetime, periods_ahead: int
) -> Contract:
    """Subscribe a customer to an ACTIVE plan and pre-generate its draft invoices (reference §9.1).

    ``netTerms`` (days), ``creditGrantCents`` and ``autoPay`` default to the plan's (auto-pay is on by
    default on ``auto_charge`` plans, concepts §18; ``autoPay: false`` still turns it off). Raises
    ``NotFound`` (404) for an unknown customer; ``ValidationFailed`` (400) for an unknown or non-ACTIVE
    plan, a non-zero ``netTerms`` on an ``auto_charge`` plan (due on receipt), an override naming a
    pricing that is not in the plan, or dates out of bounds (``startDate`` more than 2 years before or
    5 years after today, UTC; a term longer than 10 years: kit/bounds.py).

    The customer's unmatched events inside the contract's coverage (``[startDate, endDate)``) go
    back to matching (``events.requeue_customer``): usage sent before the customer or the contract
    existed is billed on the contract's invoices.
    """
    checked = await check(session, principal, body, now=now)
    customer, plan, overrides = checked.customer, checked.plan, checked.overrides
    fields = body.model_fields_set
    contract = Contract(
        id=new_id(), org_id=principal.org_id, mode=principal.mode, created_at=now, updated_at=now,
        customer_id=body.customer_id, plan_id=plan.id, name=body.name or plan.name,
        start_date=body.start_date, end_date=body.end_date,
        billing_cycle_anchor=body.billing_cycle_anchor or body.start_date,
        billing_frequency=plan.billing_frequency,
        net_terms=body.net_terms if body.net_terms is not None else plan.net_terms,
        credit_grant_cents=body.credit_grant_cents if "credit_grant_cents" in fields else plan.credit_grant_cents,
        credit_settings=_credit_settings(body, now),
        overrides=overrides,
        metadata_=body.metadata or {}, is_active=True,
        auto_pay=body.auto_pay if body.auto_pay is not None else plan.auto_pay,
    )
    session.add(contract)
    session.add(ContractPhase(id=contract.id, contract_id=contract.id, plan_id=plan.id,
                              starts_at=midnight(body.start_date), change_option=None, prorate=True, created_at=now))
    await session.flush()
    billing = await load_billing(session, contract)
    await sync_calendar(session, billing, now=now, periods_ahead=periods_ahead)
    await start_wallet(session, billing, now=now)
    await events.requeue_customer(session, customer, start=midnight(contract.start_date),
                                  end=midnight(contract.end_date) if contract.end_date else None)
    await _announce(session, contract, CONTRACT_CREATED, now)
    return contract


def _credit_settings(body: ContractCreate, now: datetime) -> dict[str, Any] | None:
    """The stored form of the contract's ``creditSettings`` (``credits.schemas.CreditSettings``)."""
    if body.credit_settings is None:
        return None
    if body.credit_settings.expires_at is not None and body.credit_settings.expires_at <= now:
        raise ValidationFailed("creditSettings.expiresAt must be in the future")
    return body.credit_settings.stored()


async def _overrides(session: AsyncSession, plan_id: str, body: ContractCreate) -> list[dict[str, Any]]:
    """The contract's price overrides: ``overrides`` plus ``rateOverrides`` in the same form, each
    checked to take effect on a pricing of the plan (400 otherwise); returns their stored form."""
    pricings = await plans.pricing_of(session, plan_id)
    pricing_ids = {p.id for p in pricings}
    for o in body.overrides:
        if o.base_pricing_id not in pricing_ids:
            raise ValidationFailed(f"overrides: basePricingId '{o.base_pricing_id}' is not a pricing of the plan")
    meters = await billing_store.meters_by_id(session, {p.meter_id for p in pricings if p.meter_id})
    out = [Override(base_pricing_id=o.base_pricing_id, unit_amount_text=o.unit_amount,
                    dimensions=None if o.dimensions is None else tuple(o.dimensions.items()))
           for o in body.overrides]
    try:
        if body.rate_overrides:
            by_code = {m.code: m for m in meters.values()}
            out += normalize_rate_overrides(body.rate_overrides, by_code, pricings)
        validate_overrides(out, pricings, meters)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    return dump_overrides(out)


async def get(session: AsyncSession, principal: Principal, contract_id: str) -> Contract:
    """The caller's contract. Raises ``NotFound`` (404)."""
    contract = await repository.get(session, principal, contract_id)
    if contract is None:
        raise NotFound(f"Contract '{contract_id}' not found")
    return contract


async def get_for_update(session: AsyncSession, principal: Principal, contract_id: str) -> Contract:
    """The caller's contract, its row locked until the transaction ends (``invoicing.repository.lock``, the
    lock the worker, finalization and re-rating take) and read after the lock was granted.

    Every change of a contract starts here, so concurrent changes of one contract run one after
    another, each on the state the previous one committed (PostgreSQL; on SQLite the write
    transaction already excludes every other writer). Raises ``NotFound`` (404)."""
    await billing_store.lock(session, [contract_id])
    contract = await repository.get(session, principal, contract_id, fresh=True)
    if contract is None:
        raise NotFound(f"Contract '{contract_id}' not found")
    return contract


def _ensure_running(contract: Contract, now: datetime) -> None:
    """409 ``CONFLICT`` unless the contract still runs; names the last covered day (``details``
    ``{"effectiveCancellationDate"}``), so a client that retries a cancel sees what took effect."""
    if contract.is_active and (contract.end_date is None or contract.end_date > now.date()):
        return
    last = (contract.end_date - timedelta(days=1)).isoformat() if contract.end_date else None
    state = "cancelled" if contract.cancelled_at is not None else "ended"
    raise Conflict(f"Contract '{contract.id}' is already {state}" + (f" (last covered day {last})" if last else ""),
                   details={"effectiveCancellationDate": last})


async def cancel(session: AsyncSession, principal: Principal, contract_id: str, body: CancelBody, *,
                 now: datetime) -> dict[str, Any]:
    """Cancel a contract (reference §9.5; concepts §10).

    ``end_of_period``: the contract runs to the end of the current billing period (the first period
    if it has not started); that period's invoice is kept, its usage is billed on the next invoice,
    which becomes the last one (usage only), and every later draft is cancelled.
    ``immediate``: the contract ends now; usage up to now is billed on a final invoice dated today;
    fees already billed in advance are not refunded; every later draft is cancelled.
    Returns ``{id, isActive, effectiveCancellationDate, cancelledInvoiceCount}``. Raises ``NotFound``
    (404) and ``Conflict`` (409) when the contract is already cancelled or ended, also when the same
    cancellation is sent twice (as Stripe answers a second cancel of a cancelled subscription with
    an error, not a replay): its ``details.effectiveCancellationDate`` tells what took effect.
    Concurrent cancels of one contract: the first to lock it wins, the others get that 409.
    """
    contract = await get_for_update(session, principal, contract_id)
    _ensure_running(contract, now)
    billing = await load_billing(session, contract)
    today = now.date()
    if body.cancel_at == "end_of_period":
        periods = billing.periods(max(today, contract.start_date))
        current = period_containing(periods, midnight(max(today, contract.start_date)))
        new_end = current.end if current else contract.start_date
        contract.end_date = min(new_end, contract.end_date) if contract.end_date else new_end
    else:
        contract.end_date = max(today + timedelta(days=1), contract.start_date)
        contract.ended_at = max(now, midnight(contract.start_date))
    contract.is_active = False
    contract.cancelled_at = now
    contract.updated_at = now
    await session.flush()
    billing = await load_billing(session, contract)
    count = await reshape_calendar(session, billing, now=now)
    if body.cancel_at == "immediate":
        await _date_final_invoice(session, billing, now)
    await _announce(session, contract, CONTRACT_TERMINATED, now)
    return {"id": contract.id, "isActive": False,
            "effectiveCancellationDate": (contract.end_date - timedelta(days=1)).isoformat(),
            "cancelledInvoiceCount": count}


async def _date_final_invoice(session: AsyncSession, billing: ContractBilling, now: datetime) -> None:
    """The closing invoice of an immediate cancellation is dated today (usage to date)."""
    for inv in await invoices.of_contract(session, billing.contract.id):
        if inv.status in invoices.OPEN_STATUSES and inv.fee_start is None and inv.usage_start is not None:
            inv.invoice_date = max(now.date(), inv.usage_start)
            inv.due_date = due_date(inv.invoice_date, billing.contract.net_terms)
    await session.flush()


async def change_plan(session: AsyncSession, principal: Principal, contract_id: str, body: ChangePlanBody, *,
                      now: datetime) -> dict[str, Any]:
    """Move a contract to another plan (reference §9.6, concepts §10).

    ``immediate``: from now; ``end_of_period``: from the start of the next billing period;
    ``requested_date``: from ``changeDate`` (00:00 UTC, today or later). Fixed fees of the period the
    change falls in (and the flat amounts and minimums of usage pricing) are prorated between the plans
    by their exact shares of the period, to the second, unless ``prorate`` is false (then the new
    plan's fees start with the next period); usage is split at the change instant. Differences on
    invoices already finalized are billed on the earliest open invoice. A later change replaces a
    scheduled one. Returns ``{id, currentPlanId, newPlanId, effectiveDate, changeOption, prorate,
    status}`` (``applied`` when effective now, else ``scheduled``).
    Auto-pay is never turned off by a plan change: the contract keeps its ``autoPay``, except that it
    is turned on when a change to an ``auto_charge`` plan takes effect (here when applied now, else by
    ``apply_due_phases``), as a contract created on that plan would have it. ``netTerms`` stays the
    contract's (its invoices' due dates do not move).
    Raises 404, 409 (contract ended), 400 (unknown/inactive plan, the same plan, another billing
    frequency, a date outside the contract). Concurrent changes of one contract apply one after
    another on the state the previous one left (``get_for_update``): a later one replaces what an
    earlier one scheduled from its start on; never two phases from one instant.
    """
    contract = await get_for_update(session, principal, contract_id)
    _ensure_running(contract, now)
    plan = await _active_plan(session, principal, body.plan_id)
    if plan.billing_frequency != contract.billing_frequency:
        raise ValidationFailed(f"planId: the plan bills {plan.billing_frequency}, the contract "
                               f"{contract.billing_frequency}; changing the billing frequency is not supported")
    billing = await load_billing(session, contract)
    option = ChangeOption(body.change_option)
    if option == ChangeOption.IMMEDIATE:
        starts = max(now, midnight(contract.start_date))
    elif option == ChangeOption.END_OF_PERIOD:
        day = max(now.date(), contract.start_date)
        current = period_containing(billing.periods(day), midnight(day))
        if current is None:
            raise Conflict("The contract has no period left to change plan after")
        starts = midnight(current.end)
    else:
        if body.change_date is None:
            raise ValidationFailed("changeDate is required when changeOption is requested_date")
        if body.change_date < now.date():
            raise ValidationFailed("changeDate must be today or later")
        starts = midnight(max(body.change_date, contract.start_date))
    if contract.end_date is not None and starts.date() >= contract.end_date:
        raise ValidationFailed("the change would take effect after the contract ends")
    current_plan = billing.phase_at(now).plan_id
    if plan.id == billing.phase_at(starts).plan_id and plan.id == current_plan:
        raise ValidationFailed("planId: the contract is already on this plan")
    await repository.drop_phases_from(session, contract.id, starts)
    session.add(ContractPhase(id=new_id(), contract_id=contract.id, plan_id=plan.id, starts_at=starts,
                              change_option=body.change_option, prorate=body.prorate, created_at=now))
    applied = starts <= now
    if applied:
        contract.plan_id = plan.id
        _follow_billing_mode(contract, plan.collection_method)
    contract.updated_at = now
    await session.flush()
    await _rebill_from(session, contract, starts, now)
    # Unmatched events never resolved to the customer (sent before it existed), from the change
    # on: the new plan may bill them. A worker holding some waits for this contract's lock and
    # then matches them on the new phases (so no waiting for it here: that would deadlock).
    await events.requeue_customer(session, await customers.get(session, principal, contract.customer_id), start=starts,
                                  end=midnight(contract.end_date) if contract.end_date else None,
                                  wait_for_workers=False)
    await _announce(session, contract, CONTRACT_UPDATED, now)
    return {"id": contract.id, "currentPlanId": current_plan, "newPlanId": plan.id,
            "effectiveDate": starts.date().isoformat(), "changeOption": body.change_option,
            "prorate": body.prorate, "status": "applied" if applied else "scheduled"}


async def _rebill_from(session: AsyncSession, contract: Contract, starts: datetime, now: datetime) -> None:
    """After the phases changed from ``starts``: re-match the customer's events from then on, flag
    finalized invoices whose periods are affected, and rebuild the open ones.

    Events a worker holds right now are skipped (``SKIP LOCKED``): that worker waits for this
    transaction's lock on the contract before it loads billing context, so it matches them under
    the new phases anyway; waiting for them here instead would deadlock with it."""
    await event_store.repend_matched(session, org_id=contract.org_id, mode=contract.mode,
                                     customer_id=contract.customer_id, since=starts)
    for inv in await invoices.of_contract(session, contract.id):
        if inv.status in invoices.OPEN_STATUSES or inv.status == InvoiceStatus.CANCELLED:
            continue
        ends = [d for d in (inv.fee_end, inv.usage_end) if d is not None]
        if ends and midnight(max(ends)) > starts:
            inv.reopened = True
    await session.flush()
    await rebuild_open(session, await load_billing(session, contract), now=now)


def _follow_billing_mode(contract: Contract, collection_method: str) -> None:
    """A contract moving to an ``auto_charge`` plan gets auto-pay on; otherwise its ``autoPay`` stays."""
    if collection_method == CollectionMethod.AUTO_CHARGE:
        contract.auto_pay = True


async def apply_due_phases(session: AsyncSession, now: datetime) -> int:
    """Point contracts at the plan of a scheduled phase once it has started; returns how many moved.
    A contract moving to an ``auto_charge`` plan gets auto-pay on (``change_plan``).
    Takes the contracts' locks first and reads the moves again under them, as every other change
    of a contract does, so a concurrent change-plan is never overwritten."""
    due = await repository.due_plan_moves(session, now)
    if not due:
        return 0
    await billing_store.lock(session, [c.id for c, _ in due])
    moves = await repository.due_plan_moves(session, now, fresh=True)
    methods = await plans.collection_methods(session, {plan_id for _, plan_id in moves})
    moved = 0
    for contract, plan_id in moves:
        contract.plan_id = plan_id
        _follow_billing_mode(contract, methods[plan_id])
        contract.updated_at = now
        await session.flush()
        await _announce(session, contract, CONTRACT_UPDATED, now)
        moved += 1
    return moved


async def _can_auto_pay(session: AsyncSession, principal: Principal) -> None:
    """Auto-pay asked for explicitly needs a Stripe connection in the key's mode (concepts §18):
    ``ValidationFailed`` (400) otherwise. A contract inheriting auto-pay from its plan is not refused."""
    if await connections.connection(session, principal.org_id, principal.mode) is None:
        message = f"auto-pay needs a Stripe connection in {principal.mode} mode (PUT /v1/payments/stripe)"
        raise ValidationFailed(f"autoPay: {message}", details=[{"field": "autoPay", "message": message}])


async def update(session: AsyncSession, principal: Principal, contract_id: str, body: ContractUpdate, *,
                 now: datetime) -> Contract:
    """Apply ``PATCH /v1/contracts/{id}`` (reference §9.4, extended): ``metadata`` replaces the whole
    object (``None`` clears it), ``autoPay`` switches auto-pay on or off (also on an ``auto_charge``
    plan: concepts §18 turns it off after a failed payment); fields not sent stay. Sends
    ``contract.updated``. Raises ``NotFound`` (404)."""
    contract = await get_for_update(session, principal, contract_id)
    fields = body.model_fields_set
    if "metadata" in fields:
        contract.metadata_ = body.metadata or {}
    if body.auto_pay is not None:
        if body.auto_pay and not contract.auto_pay:
            await _can_auto_pay(session, principal)
        contract.auto_pay = body.auto_pay
    contract.updated_at = now
    await session.flush()
    await _announce(session, contract, CONTRACT_UPDATED, now)
    return contract


PAYMENT_METHOD_TYPES = ("card", "us_bank_account")


async def set_payment_method(session: AsyncSession, contract: Contract, *, method_id: str, method_type: str,
                             brand: str | None, last4: str | None, now: datetime | None = None) -> None:
    """Save ``contract``'s own payment method (the payment page does, when the customer pays there and
    keeps the method): auto-pay charges it before the customer's default (concepts §18 "Payment-method
    resolution"). Shown on the contract as ``paymentMethod`` ``{id, type, brand, last4}``.

    ``method_id`` a Stripe PaymentMethod id (``pm_…``), ``method_type`` ``card`` or ``us_bank_account``,
    ``brand`` a card's brand or a bank account's bank name as Stripe gives it (display only: cut to 50
    characters), ``last4`` its last four digits. The caller has checked the method with Stripe and holds
    the contract (``get_for_update``). With ``now``, ``updatedAt`` becomes ``now`` and ``contract.updated``
    is sent. Flushes, never commits. Raises ``ValidationFailed`` (400) naming a malformed value.
    """
    if not re.fullmatch(r"pm_[A-Za-z0-9]{1,252}", method_id):
        raise ValidationFailed("paymentMethod.id: a Stripe PaymentMethod id (pm_…) is required")
    if method_type not in PAYMENT_METHOD_TYPES:
        raise ValidationFailed(f"paymentMethod.type: must be one of {', '.join(PAYMENT_METHOD_TYPES)}")
    if last4 is not None and not re.fullmatch(r"[0-9]{4}", last4):
        raise ValidationFailed("paymentMethod.last4: must be four digits")
    contract.payment_method_id, contract.payment_method_type = method_id, method_type
    contract.payment_method_brand, contract.payment_method_last4 = (brand[:50] if brand else brand), last4
    await _payment_method_changed(session, contract, now)


async def clear_payment_method(session: AsyncSession, contract: Contract, *, now: datetime | None = None) -> None:
    """Forget ``contract``'s own payment method (``paymentMethod`` null): auto-pay then charges the
    customer's default. With ``now``, as ``set_payment_method``. Flushes, never commits."""
    contract.payment_method_id = contract.payment_method_type = None
    contract.payment_method_brand = contract.payment_method_last4 = None
    await _payment_method_changed(session, contract, now)


async def set_auto_pay(session: AsyncSession, contract: Contract, on: bool, *, now: datetime) -> bool:
    """Switch ``contract``'s auto-pay (payments: on once a payment page saved a method, off at once after
    a failed auto-pay charge, concepts §18); ``contract.updated`` is sent when it changes. Returns whether
    it changed. Flushes, never commits."""
    if contract.auto_pay == on:
        return False
    contract.auto_pay = on
    await _payment_method_changed(session, contract, now)
    return True


async def _payment_method_changed(session: AsyncSession, contract: Contract, now: datetime | None) -> None:
    if now is not None:
        contract.updated_at = now
    await session.flush()
    if now is not None:
        await _announce(session, contract, CONTRACT_UPDATED, now)

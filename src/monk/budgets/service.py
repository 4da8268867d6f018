"""Credit-budget rules (reference §11): list, create, update, delete, and the current period's usage.
Never commits.

Budgets are an array per contract, addressed by ``index``; deleting one shifts the later ones down
one index. A contract has at most ``MAX_BUDGETS`` (50). The cap is given in the wallet's unit:
``maxCredits`` (credits) for a credit wallet, ``maxCreditsCents`` (cents) for a dollar wallet; the
other field is refused (400 naming it). A cap of null (PATCH) means no cap: consumption is tracked,
nothing is limited. Any change that affects what credits pay (a new or deleted budget, a cap or a
meter) has the worker draw the contract's open invoices again, as a grant does.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.bounds import MAX_AMOUNT_CENTS
from monk.budgets import consumption, enforcement, repository
from monk.budgets.schemas import MAX_BUDGETS, BudgetCreate, BudgetUpdate, budget_out
from monk.credits import repository as credit_store
from monk.credits.wallet import WalletTerms, terms
from monk.kit.auth import Principal
from monk.kit.clock import iso_ms
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.models import Contract, CreditBudget

_FIELDS = {"max_credits": "maxCredits", "max_credits_cents": "maxCreditsCents"}


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", details=[{"field": field, "message": message}])


async def _contract(session: AsyncSession, principal: Principal, contract_id: str) -> Contract:
    found = await credit_store.contract(session, principal, contract_id)
    if found is None:
        raise NotFound(f"Contract '{contract_id}' not found")
    return found


async def _check_meter(session: AsyncSession, principal: Principal, meter_id: str | None) -> None:
    if meter_id is not None and await repository.meter(session, principal, meter_id) is None:
        raise NotFound(f"Meter '{meter_id}' not found")


def _cap(body: BudgetCreate | BudgetUpdate, wallet: WalletTerms, *, required: bool) -> tuple[bool, Decimal | None]:
    """``(given, cap in the wallet's unit)`` of a body. Raises ``ValidationFailed``: the other mode's
    field given, the mode's field missing when ``required``, a credit cap worth 10^11 cents or more."""
    mine, other = "max_credits", "max_credits_cents"
    if not wallet.tracks_credits:
        mine, other = other, mine
    if getattr(body, other) is not None:
        raise _invalid(_FIELDS[other], f"the contract's wallet is in {wallet.mode} (walletMode '{wallet.mode}'): "
                                       f"give the cap as {_FIELDS[mine]}")
    value = getattr(body, mine)
    if required and value is None:
        raise _invalid(_FIELDS[mine], f"required for a wallet in {wallet.mode}")
    if value is not None and wallet.cents(Decimal(value)) >= MAX_AMOUNT_CENTS:
        raise _invalid(_FIELDS[mine], f"the cap must be worth less than {MAX_AMOUNT_CENTS} cents")
    return mine in body.model_fields_set, None if value is None else Decimal(value)


async def _current_period(session: AsyncSession, contract_id: str, now: datetime) -> Any:
    inv = await repository.invoice_at(session, contract_id, now.date())
    return inv.usage_start if inv is not None else None


async def _at(session: AsyncSession, contract_id: str, index: int) -> tuple[list[CreditBudget], CreditBudget]:
    rows = await repository.of_contract(session, contract_id)
    if not 0 <= index < len(rows):
        raise NotFound(f"Budget {index} not found (the contract has {len(rows)})")
    return rows, rows[index]


async def list_budgets(session: AsyncSession, principal: Principal, contract_id: str, *,
                       now: datetime) -> dict[str, Any]:
    """The contract's budgets in index order (reference §11.1): ``{budgets, contractId, walletMode}``;
    ``isExhausted`` says whether ``credit.budget.exhausted`` fired in the current billing period.
    Raises ``NotFound`` (404)."""
    contract = await _contract(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    rows = await repository.of_contract(session, contract.id)
    period = await _current_period(session, contract.id, now) if rows else None
    return {"budgets": [budget_out(r, wallet, exhausted=period is not None and r.exhausted_period_start == period)
                        for r in rows], "contractId": contract.id, "walletMode": wallet.mode}


async def create(session: AsyncSession, principal: Principal, contract_id: str, body: BudgetCreate, *,
                 now: datetime) -> dict[str, Any]:
    """Append a budget (reference §11.2) with ``index`` = the number of budgets before it; returns it.
    Raises ``NotFound`` (404: contract, meter), ``Conflict`` (409: the property pair is taken),
    ``ValidationFailed`` (400: cap field vs wallet mode, a 51st budget)."""
    contract = await _contract(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    _, cap = _cap(body, wallet, required=True)
    await _check_meter(session, principal, body.meter_id)
    await credit_store.lock_wallet(session, contract.id)
    rows = await repository.of_contract(session, contract.id)
    pair = (body.event_property_key, body.event_property_value)
    if any((r.event_property_key, r.event_property_value) == pair for r in rows):
        raise Conflict(f"A budget for {pair[0]}={pair[1]!r} already exists on this contract")
    if len(rows) >= MAX_BUDGETS:
        raise ValidationFailed(f"A contract has at most {MAX_BUDGETS} budgets")
    row = CreditBudget(id=new_id(), org_id=contract.org_id, mode=contract.mode, contract_id=contract.id,
                       position=len(rows), label=body.label, event_property_key=pair[0], event_property_value=pair[1],
                       meter_id=body.meter_id, cap=cap, exhausted_period_start=None, created_at=now, updated_at=now)
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:  # the same pair created by a request at the same moment
        raise Conflict(f"A budget for {pair[0]}={pair[1]!r} already exists on this contract") from None
    await repository.resettle(session, contract.id)
    return budget_out(row, wallet, exhausted=False)


async def update(session: AsyncSession, principal: Principal, contract_id: str, index: int, body: BudgetUpdate, *,
                 now: datetime) -> dict[str, Any]:
    """Change the fields present (reference §11.3); a new cap clears the exhaustion, so
    ``credit.budget.exhausted`` can fire again at it. Raises ``NotFound`` (404: contract, index,
    meter), ``ValidationFailed`` (400: cap field vs wallet mode, a fixed field)."""
    contract = await _contract(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    given, cap = _cap(body, wallet, required=False)
    fields = body.model_fields_set
    if "meter_id" in fields:
        await _check_meter(session, principal, body.meter_id)
    await credit_store.lock_wallet(session, contract.id)
    _, row = await _at(session, contract.id, index)
    if "label" in fields and body.label is not None:
        row.label = body.label
    changed = False
    if "meter_id" in fields and body.meter_id != row.meter_id:
        row.meter_id, changed = body.meter_id, True
    if given and cap != row.cap:
        row.cap, row.exhausted_period_start, changed = cap, None, True
    row.updated_at = now
    await session.flush()
    if changed:
        await repository.resettle(session, contract.id)
    period = await _current_period(session, contract.id, now)
    return budget_out(row, wallet, exhausted=period is not None and row.exhausted_period_start == period)


async def delete(session: AsyncSession, principal: Principal, contract_id: str, index: int, *,
                 now: datetime) -> dict[str, Any]:
    """Remove budget ``index`` (reference §11.4): ``{removed: Budget}``; the later budgets move down one
    index. Raises ``NotFound`` (404: contract, index)."""
    contract = await _contract(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    await credit_store.lock_wallet(session, contract.id)
    _, row = await _at(session, contract.id, index)
    period = await _current_period(session, contract.id, now)
    removed = budget_out(row, wallet, exhausted=period is not None and row.exhausted_period_start == period)
    await session.delete(row)
    await session.flush()
    await repository.shift_down(session, contract.id, index)
    await repository.resettle(session, contract.id)
    return {"removed": removed}


async def usage(session: AsyncSession, principal: Principal, contract_id: str, *, now: datetime) -> dict[str, Any]:
    """Each budget with what it consumed in the current billing period (reference §11.5): the numbers
    of the invoice whose usage period contains ``now`` as last rebuilt (zero without one, without a
    wallet or without metered charges), computed as the draw-down does (``budgets.enforcement``).
    Raises ``NotFound`` (404)."""
    contract = await _contract(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    rows = await repository.of_contract(session, contract.id)
    budgets = enforcement.budget_terms(rows, wallet)
    results = consumption.outcomes([(0, b.cap_cents) for b in budgets], target=0, applied=0)
    inv = await repository.invoice_at(session, contract.id, now.date()) if rows else None
    if inv is not None and inv.usage_start is not None and await credit_store.has_wallet(session, contract.id):
        metered = await repository.metered_cents(session, inv.id)
        if metered > 0:
            stored = await repository.usage_lines(session, inv.id)
            meters = await repository.meters_by_id(session, {x.meter_id for x in stored if x.meter_id})
            attributed = await enforcement.attribution(session, contract.id, inv.usage_start, budgets,
                                                       enforcement.stored_lines(stored), meters)
            target = consumption.credit_target(metered, attributed)
            results = consumption.outcomes(attributed, target=target, applied=inv.credits_applied_cents)
    out = []
    for row, b, result in zip(rows, budgets, results, strict=True):
        out.append({**budget_out(row, wallet, exhausted=result.exhausted),
                    "consumedUnits": enforcement.consumed_units(result.consumed, wallet),
                    "consumedCents": consumption.shown(result.consumed),
                    "percentConsumed": consumption.percent(result.consumed, b.cap_cents)})
    return {"budgets": out, "contractId": contract.id, "walletMode": wallet.mode, "queriedAt": iso_ms(now)}

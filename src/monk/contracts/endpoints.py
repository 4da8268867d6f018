"""HTTP endpoints for contracts (reference §9)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from monk.contracts import purchases, repository, service
from monk.contracts.schemas import (
    CancelBody,
    Cancellation,
    ChangePlanBody,
    Contract,
    ContractCreate,
    ContractUpdate,
    PlanChange,
)
from monk.credits.schemas import CreditPurchase, GrantEntry
from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, Listing, envelope
from monk.kit.schemas import page as listing

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])
ContractsWrite = Annotated[Principal, Depends(require("contracts:write"))]
ContractsRead = Annotated[Principal, Depends(require("contracts:read"))]


@router.post("", status_code=201, **typed(Data[Contract], 404))
async def create_contract(
    session: deps.Session,
    body: ContractCreate,
    clock: deps.Clock,
    settings: deps.Settings,
    principal: ContractsWrite,
) -> dict[str, Any]:
    """Subscribe a customer to a plan → 201 ``{"data": Contract}``; its draft invoices exist on return,
    and the customer's unmatched events inside the contract's coverage are matched again.

    ``autoPay`` defaults to the plan's (on for ``auto_charge`` plans); ``collectionMethod`` is the plan's.
    400 invalid body (override rates of $1,000,000,000 or more, ``creditGrantCents`` of 10**11 or more:
    ``monk.billing.bounds``), unknown or non-ACTIVE plan, non-zero ``netTerms`` on an ``auto_charge``
    plan; 404 unknown customer.
    """
    contract = await service.create(session, principal, body, now=clock.now(),
                                    periods_ahead=settings.rolling_horizon_periods)
    out = await service.shaped(session, contract)
    return envelope(out)


@router.get("", **typed(Listing[Contract]))
async def list_contracts(
    session: deps.Session,
    page: deps.Page,
    principal: ContractsRead,
    customer_id: str | None = Query(None, alias="customerId"),
    external_customer_id: str | None = Query(None, alias="externalCustomerId"),
    plan_id: str | None = Query(None, alias="planId"),
    is_active: bool | None = Query(None, alias="isActive"),
) -> dict[str, Any]:
    """List contracts → ``{"data": [...], "hasMore", "total"}`` (filters of reference §9.2)."""
    rows, total = await repository.list_page(session, principal, page, customer_id=customer_id,
                                             external_customer_id=external_customer_id, plan_id=plan_id,
                                             is_active=is_active)
    return listing(await service.shaped_many(session, rows), total=total, offset=page.offset)


@router.get("/{contract_id}", **typed(Data[Contract], 404))
async def get_contract(
    session: deps.Session,
    contract_id: str,
    principal: ContractsRead,
) -> dict[str, Any]:
    """One contract → ``{"data": Contract}`` with ``metadata`` and its plan schedule; 404 unknown."""
    return envelope(await service.shaped(session, await service.get(session, principal, contract_id)))


@router.patch("/{contract_id}", **typed(Data[Contract], 404))
async def update_contract(
    session: deps.Session,
    contract_id: str,
    body: ContractUpdate,
    clock: deps.Clock,
    principal: ContractsWrite,
) -> dict[str, Any]:
    """Update a contract → ``{"data": Contract}``: ``metadata`` replaces the whole object (``null``
    clears it), ``autoPay`` switches auto-pay on or off; at least one of them. 400 beyond the metadata
    limits (10 keys, keys ≤ 40 characters, values ≤ 500, string/number/boolean), an empty body or
    ``autoPay`` null; 404 unknown."""
    contract = await service.update(session, principal, contract_id, body, now=clock.now())
    out = await service.shaped(session, contract)
    return envelope(out)


@router.post("/{contract_id}/cancel", **typed(Data[Cancellation], 404, 409))
async def cancel_contract(
    session: deps.Session,
    contract_id: str,
    body: CancelBody,
    clock: deps.Clock,
    principal: ContractsWrite,
) -> dict[str, Any]:
    """Cancel (``cancelAt``: ``end_of_period`` or ``immediate``) → ``{"data": {"id", "isActive": false,
    "effectiveCancellationDate", "cancelledInvoiceCount"}}``; 404 unknown; 409 already cancelled."""
    result = await service.cancel(session, principal, contract_id, body, now=clock.now())
    return envelope(result)


@router.post("/{contract_id}/change-plan", **typed(Data[PlanChange], 404, 409))
async def change_plan(
    session: deps.Session,
    contract_id: str,
    body: ChangePlanBody,
    clock: deps.Clock,
    principal: ContractsWrite,
) -> dict[str, Any]:
    """Change plan (``immediate``, ``end_of_period`` or ``requested_date`` with ``changeDate``;
    ``prorate`` default true) → ``{"data": {"id", "currentPlanId", "newPlanId", "effectiveDate",
    "changeOption", "prorate", "status"}}``; 400 invalid; 404 unknown; 409 contract ended."""
    result = await service.change_plan(session, principal, contract_id, body, now=clock.now())
    return envelope(result)


@router.post("/{contract_id}/credits/purchase", status_code=201, **typed(Data[GrantEntry], 404, 409))
async def purchase_credits(session: deps.Session, contract_id: str, body: CreditPurchase, clock: deps.Clock,
                           principal: ContractsWrite) -> dict[str, Any]:
    """Buy paid credits for the contract's wallet (an extension; the reference keeps purchases in
    the dashboard) → 201 ``{"data": LedgerEntry}`` (a ``grant``, ``isPromotional`` false, ``invoiceId``
    the invoice that bills it, ``purchaseRateCents`` what one unit cost, ``balanceAfterCents``).
    ``amountCents`` (value in cents) or ``creditAmount`` (credit wallets); ``priceCents`` what is
    invoiced (default the value) as a "Prepaid credits" line on the contract's next invoice;
    ``expiresAt`` default the contract's end or one year; ``externalId`` makes it idempotent. 400
    invalid; 404 unknown contract; 409 the contract has ended."""
    return envelope(await purchases.purchase(session, principal, contract_id, body, now=clock.now()))

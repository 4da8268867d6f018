"""HTTP endpoints for contracts (reference §9)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from monk.contracts import repository, service
from monk.contracts.schemas import (
    CancelBody,
    Cancellation,
    ChangePlanBody,
    Contract,
    ContractCreate,
    MetadataBody,
    PlanChange,
    contract_out,
)
from monk.kit.auth import Principal, require
from monk.kit.deps import Session
from monk.kit.openapi import typed
from monk.kit.pagination import Page, paginator
from monk.kit.schemas import Data, Listing, envelope, page
from monk.models import Contract as ContractRow

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])


async def _out(session: AsyncSession, contract: ContractRow) -> dict[str, Any]:
    phases = await repository.phases_of(session, [contract.id])
    return contract_out(contract, phases[contract.id])


@router.post("", status_code=201, **typed(Data[Contract], 404))
async def create_contract(
    session: Session,
    body: ContractCreate,
    request: Request,
    who: Principal = Depends(require("contracts:write")),
) -> dict[str, Any]:
    """Subscribe a customer to a plan → 201 ``{"data": Contract}``; its draft invoices exist on return,
    and the customer's unmatched events inside the contract's coverage are matched again.

    400 invalid body (override rates of $1,000,000,000 or more, ``creditGrantCents`` of 10**11 or more:
    ``monk.billing.bounds``), unknown or non-ACTIVE plan; 404 unknown customer.
    """
    state = request.app.state
    contract = await service.create(session, who, body, now=state.clock.now(),
                                    periods_ahead=state.settings.rolling_horizon_periods)
    out = await _out(session, contract)
    return envelope(out)


@router.get("", **typed(Listing[Contract]))
async def list_contracts(
    session: Session,
    customer_id: str | None = Query(None, alias="customerId"),
    external_customer_id: str | None = Query(None, alias="externalCustomerId"),
    plan_id: str | None = Query(None, alias="planId"),
    is_active: bool | None = Query(None, alias="isActive"),
    pg: Page = Depends(paginator(10)),
    who: Principal = Depends(require("contracts:read")),
) -> dict[str, Any]:
    """List contracts → ``{"data": [...], "hasMore", "total"}`` (filters of reference §9.2)."""
    rows, total = await repository.list_page(session, who, pg, customer_id=customer_id,
                                             external_customer_id=external_customer_id, plan_id=plan_id,
                                             is_active=is_active)
    phases = await repository.phases_of(session, [c.id for c in rows])
    return page([contract_out(c, phases[c.id]) for c in rows], total=total, offset=pg.offset)


@router.get("/{contract_id}", **typed(Data[Contract], 404))
async def get_contract(
    session: Session,
    contract_id: str,
    who: Principal = Depends(require("contracts:read")),
) -> dict[str, Any]:
    """One contract → ``{"data": Contract}`` with ``metadata`` and its plan schedule; 404 unknown."""
    return envelope(await _out(session, await service.get(session, who, contract_id)))


@router.patch("/{contract_id}", **typed(Data[Contract], 404))
async def update_contract_metadata(
    session: Session,
    contract_id: str,
    body: MetadataBody,
    request: Request,
    who: Principal = Depends(require("contracts:write")),
) -> dict[str, Any]:
    """Replace the contract's ``metadata`` (``null`` clears it) → ``{"data": Contract}``; 400 beyond the
    limits (10 keys, keys ≤ 40 characters, values ≤ 500, string/number/boolean); 404 unknown."""
    now = request.app.state.clock.now()
    contract = await service.update_metadata(session, who, contract_id, body.metadata, now=now)
    out = await _out(session, contract)
    return envelope(out)


@router.post("/{contract_id}/cancel", **typed(Data[Cancellation], 404, 409))
async def cancel_contract(
    session: Session,
    contract_id: str,
    body: CancelBody,
    request: Request,
    who: Principal = Depends(require("contracts:write")),
) -> dict[str, Any]:
    """Cancel (``cancelAt``: ``end_of_period`` or ``immediate``) → ``{"data": {"id", "isActive": false,
    "effectiveCancellationDate", "cancelledInvoiceCount"}}``; 404 unknown; 409 already cancelled."""
    result = await service.cancel(session, who, contract_id, body, now=request.app.state.clock.now())
    return envelope(result)


@router.post("/{contract_id}/change-plan", **typed(Data[PlanChange], 404, 409))
async def change_plan(
    session: Session,
    contract_id: str,
    body: ChangePlanBody,
    request: Request,
    who: Principal = Depends(require("contracts:write")),
) -> dict[str, Any]:
    """Change plan (``immediate``, ``end_of_period`` or ``requested_date`` with ``changeDate``;
    ``prorate`` default true) → ``{"data": {"id", "currentPlanId", "newPlanId", "effectiveDate",
    "changeOption", "prorate", "status"}}``; 400 invalid; 404 unknown; 409 contract ended."""
    result = await service.change_plan(session, who, contract_id, body, now=request.app.state.clock.now())
    return envelope(result)

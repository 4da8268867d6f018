"""HTTP endpoints for contracts (reference §9.1–9.3)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from monk.contracts import repository, service
from monk.contracts.schemas import ContractCreate, contract_out
from monk.kit.auth import Principal, require
from monk.kit.deps import get_session
from monk.kit.pagination import Page, paginator
from monk.kit.schemas import envelope, page

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])


@router.post("", status_code=201)
async def create_contract(
    body: ContractCreate,
    request: Request,
    who: Principal = Depends(require("contracts:write")),
    session: AsyncSession = Depends(get_session),
) -> dict[str, Any]:
    """Subscribe a customer to a plan → 201 ``{"data": Contract}``; its draft invoices exist on return.

    400 invalid body, unknown or non-ACTIVE plan; 404 unknown customer.
    """
    state = request.app.state
    contract = await service.create(session, who, body, now=state.clock.now(),
                                    periods_ahead=state.settings.rolling_horizon_periods)
    await session.commit()
    return envelope(contract_out(contract))


@router.get("")
async def list_contracts(
    customer_id: str | None = Query(None, alias="customerId"),
    external_customer_id: str | None = Query(None, alias="externalCustomerId"),
    plan_id: str | None = Query(None, alias="planId"),
    is_active: bool | None = Query(None, alias="isActive"),
    pg: Page = Depends(paginator(10)),
    who: Principal = Depends(require("contracts:read")),
    session: AsyncSession = Depends(get_session),
) -> dict[str, Any]:
    """List contracts → ``{"data": [...], "hasMore", "total"}`` (filters of reference §9.2)."""
    rows, total = await repository.list_page(session, who, pg, customer_id=customer_id,
                                             external_customer_id=external_customer_id, plan_id=plan_id,
                                             is_active=is_active)
    return page([contract_out(c) for c in rows], total=total, offset=pg.offset)


@router.get("/{contract_id}")
async def get_contract(
    contract_id: str,
    who: Principal = Depends(require("contracts:read")),
    session: AsyncSession = Depends(get_session),
) -> dict[str, Any]:
    """One contract → ``{"data": Contract}`` with ``metadata``; 404 unknown."""
    return envelope(contract_out(await service.get(session, who, contract_id)))

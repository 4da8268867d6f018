"""HTTP endpoints for a contract's credit budgets (reference §11). ``/budgets/usage`` is declared
before ``/budgets/{index}`` so that it is never read as an index."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from monk.budgets import service
from monk.budgets.schemas import Budget, BudgetCreate, Budgets, BudgetsUsage, BudgetUpdate, Removed
from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, envelope

router = APIRouter(prefix="/v1/contracts/{contract_id}/budgets", tags=["credit budgets"])
ContractsWrite = Annotated[Principal, Depends(require("contracts:write"))]
ContractsRead = Annotated[Principal, Depends(require("contracts:read"))]
Index = Annotated[int, Path(ge=0, le=2**31 - 1, description="The budget's position (0-based), as listed")]


@router.get("", **typed(Data[Budgets], 404))
async def list_budgets(session: deps.Session, contract_id: str, clock: deps.Clock,
                       principal: ContractsRead) -> dict[str, Any]:
    """The contract's budgets in index order → ``{"data": {"budgets", "contractId", "walletMode"}}``
    (reference §11.1); 404 unknown contract."""
    return envelope(await service.list_budgets(session, principal, contract_id, now=clock.now()))


@router.get("/usage", **typed(Data[BudgetsUsage], 404))
async def budget_usage(session: deps.Session, contract_id: str, clock: deps.Clock,
                       principal: ContractsRead) -> dict[str, Any]:
    """Each budget with ``consumedUnits``, ``consumedCents``, ``percentConsumed`` in the current billing
    period → ``{"data": {"budgets", "contractId", "walletMode", "queriedAt"}}`` (reference §11.5);
    404 unknown contract."""
    return envelope(await service.usage(session, principal, contract_id, now=clock.now()))


@router.post("", status_code=201, **typed(Data[Budget], 404, 409))
async def create_budget(session: deps.Session, contract_id: str, body: BudgetCreate, clock: deps.Clock,
                        principal: ContractsWrite) -> dict[str, Any]:
    """Append a budget → 201 ``{"data": Budget}`` (reference §11.2). ``maxCredits`` for a credit wallet,
    ``maxCreditsCents`` for a dollar wallet (400 naming the other); 409 when the contract already has
    a budget for the ``eventPropertyKey``/``eventPropertyValue`` pair; 404 unknown contract or meter;
    400 beyond 50 budgets."""
    return envelope(await service.create(session, principal, contract_id, body, now=clock.now()))


@router.patch("/{index}", **typed(Data[Budget], 404))
async def update_budget(session: deps.Session, contract_id: str, index: Index, body: BudgetUpdate,
                        clock: deps.Clock, principal: ContractsWrite) -> dict[str, Any]:
    """Change ``label``, ``meterId``, the cap (null: no cap) → ``{"data": Budget}`` (reference §11.3); a
    new cap lets ``credit.budget.exhausted`` fire again. 400: ``eventPropertyKey``/``Value``, the other
    mode's cap field; 404 unknown contract, index or meter."""
    return envelope(await service.update(session, principal, contract_id, index, body, now=clock.now()))


@router.delete("/{index}", **typed(Data[Removed], 404))
async def delete_budget(session: deps.Session, contract_id: str, index: Index, clock: deps.Clock,
                        principal: ContractsWrite) -> dict[str, Any]:
    """Remove a budget → ``{"data": {"removed": Budget}}`` (reference §11.4); later budgets move down one
    index; 404 unknown contract or index."""
    return envelope(await service.delete(session, principal, contract_id, index, now=clock.now()))

"""HTTP endpoints for plans (no reference page; shapes decided in ``monk.plans.schemas``)."""
# ruff: noqa: B008 - FastAPI dependencies are declared as parameter defaults (project pattern)

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, Listing, envelope
from monk.kit.schemas import page as listing
from monk.plans import repository, service
from monk.plans.schemas import Plan, PlanCreate, PlanStatus, plan_out

router = APIRouter(prefix="/v1/plans", tags=["plans"])
PlansWrite = Annotated[Principal, Depends(require("plans:write"))]
PlansRead = Annotated[Principal, Depends(require("plans:read"))]


@router.post("", status_code=201, **typed(Data[Plan], 409))
async def create_plan(
    session: deps.Session,
    body: PlanCreate,
    principal: PlansWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Create a plan → 201 ``{"data": Plan}`` with its pricing expanded in order.

    ``netTerms`` in days (0..365), ``creditGrantCents`` in integer cents below 10**11 (or null).
    ``collectionMethod`` ``invoice_and_collect`` (default) or ``auto_charge``: due on receipt, so ``netTerms``
    0 and ``autoPay`` true. 400 invalid body, duplicate or unknown pricing ids, a non-zero ``netTerms`` or
    ``autoPay: false`` with ``auto_charge``; 409 ``planCode`` already used.
    """
    plan, pricing = await service.create(session, principal, body, clock.now())
    return envelope(plan_out(plan, pricing))


@router.get("", **typed(Listing[Plan]))
async def list_plans(
    session: deps.Session,
    page: deps.Page,
    principal: PlansRead,
    status: PlanStatus | None = Query(None, description="DRAFT | ACTIVE | ARCHIVED; all when absent"),
) -> dict[str, Any]:
    """List plans, oldest first → ``{"data": [...], "hasMore", "total"}`` (limit default 10, max 100).

    400 for a bad limit, offset or status.
    """
    rows, total = await repository.list_page(session, principal, page, status=status)
    pricing = await repository.expanded_pricing(session, principal, [p.id for p in rows])
    return listing([plan_out(p, pricing[p.id]) for p in rows], total=total, offset=page.offset)


@router.get("/{plan_id}", **typed(Data[Plan], 404))
async def get_plan(
    session: deps.Session,
    plan_id: str,
    principal: PlansRead,
) -> dict[str, Any]:
    """Get one plan → ``{"data": Plan}``; 404 when unknown in this organization and mode."""
    plan, pricing = await service.get(session, principal, plan_id)
    return envelope(plan_out(plan, pricing))

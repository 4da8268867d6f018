"""All contract queries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from monk.invoicing.repository import of_customers
from monk.jobs import repository as failures
from monk.kit.auth import Principal
from monk.kit.db import column_in
from monk.kit.pagination import Page
from monk.models import Contract, ContractPhase, Customer
from monk.models.statuses import JobKind


async def get(session: AsyncSession, principal: Principal, contract_id: str, *, fresh: bool = False) -> Contract | None:
    """The caller's contract ``contract_id`` or None. ``fresh`` re-reads every column even if the
    session already holds the object (after ``lock``: what the previous holder committed)."""
    stmt = select(Contract).where(Contract.id == contract_id, Contract.org_id == principal.org_id,
                                  Contract.mode == principal.mode)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def of_customer(session: AsyncSession, customer_id: str) -> list[Contract]:
    """Every contract of a customer, oldest start first."""
    return (await of_customers(session, [customer_id]))[customer_id]


HORIZON_JOB = JobKind.HORIZON  # the horizon extension's name in failure records (job_failures.kind)


async def rolling_active(session: AsyncSession, *, ids: list[str] | None = None,
                         now: datetime | None = None) -> list[Contract]:
    """Active contracts without an end date (their draft horizon moves with time), in id order;
    ``ids`` narrows them; with ``now``, a contract whose extension failed and waits for its retry
    is left out."""
    query = select(Contract).where(Contract.is_active.is_(True), Contract.end_date.is_(None))
    if ids is not None:
        query = query.where(column_in(session, Contract.id, ids))
    if now is not None:
        query = query.where(~failures.is_waiting(HORIZON_JOB, Contract.id, now))
    return list((await session.execute(query.order_by(Contract.id))).scalars().all())


async def list_page(
    session: AsyncSession, principal: Principal, page: Page, *, customer_id: str | None,
    external_customer_id: str | None, plan_id: str | None, is_active: bool | None,
) -> tuple[list[Contract], int]:
    """One page of contracts, oldest first, and the total matching the filters (reference §9.2)."""
    cond: list[Any] = [Contract.org_id == principal.org_id, Contract.mode == principal.mode]
    if customer_id is not None:
        cond.append(Contract.customer_id == customer_id)
    if external_customer_id is not None:
        cond.append(Contract.customer_id.in_(select(Customer.id).where(
            Customer.org_id == principal.org_id, Customer.mode == principal.mode,
            Customer.external_customer_id == external_customer_id)))
    if plan_id is not None:
        cond.append(Contract.plan_id == plan_id)
    if is_active is not None:
        cond.append(Contract.is_active.is_(is_active))
    total = (await session.execute(select(func.count()).select_from(Contract).where(*cond))).scalar_one()
    rows = (await session.execute(select(Contract).where(*cond).order_by(Contract.created_at, Contract.id)
                                  .limit(page.limit).offset(page.offset))).scalars().all()
    return list(rows), total


async def phases_of(session: AsyncSession, contract_ids: list[str]) -> dict[str, list[ContractPhase]]:
    """Phases per contract id, oldest first."""
    out: dict[str, list[ContractPhase]] = {c: [] for c in contract_ids}
    if contract_ids:
        rows = (await session.execute(select(ContractPhase).where(ContractPhase.contract_id.in_(contract_ids))
                                      .order_by(ContractPhase.starts_at, ContractPhase.created_at))).scalars()
        for r in rows:
            out[r.contract_id].append(r)
    return out


async def drop_phases_from(session: AsyncSession, contract_id: str, starts: datetime) -> None:
    """Delete the contract's phases starting at or after ``starts`` (never phase 0): a new change
    replaces what was scheduled from then on."""
    await session.execute(delete(ContractPhase).where(
        ContractPhase.contract_id == contract_id, ContractPhase.starts_at >= starts,
        ContractPhase.id != contract_id))


async def due_plan_moves(session: AsyncSession, now: datetime, *,
                         fresh: bool = False) -> list[tuple[Contract, str]]:
    """Contracts whose latest started phase bills another plan than ``contract.plan_id``;
    ``fresh`` re-reads contracts already loaded in the session (after taking their locks)."""
    later = aliased(ContractPhase)
    query = select(Contract, ContractPhase.plan_id).join(ContractPhase, ContractPhase.contract_id == Contract.id).where(
        ContractPhase.starts_at <= now, Contract.plan_id != ContractPhase.plan_id,
        ~select(later.id).where(later.contract_id == Contract.id, later.starts_at <= now,
                                later.starts_at > ContractPhase.starts_at).exists())
    rows = await session.execute(query.execution_options(populate_existing=True) if fresh else query)
    return [(c, p) for c, p in rows.all()]

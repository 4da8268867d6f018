"""All customer queries."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.pagination import Page
from monk.models import Customer


async def get(session: AsyncSession, principal: Principal, customer_id: str) -> Customer | None:
    """The customer with ``customer_id`` in the caller's organization and mode, or None."""
    return (await session.execute(
        select(Customer).where(Customer.id == customer_id, Customer.org_id == principal.org_id,
                               Customer.mode == principal.mode)
    )).scalar_one_or_none()


async def by_id(session: AsyncSession, customer_id: str) -> Customer | None:
    """The customer ``customer_id`` of any organization (for jobs and webhook payloads), or None."""
    return await session.get(Customer, customer_id)


async def by_external_id(session: AsyncSession, principal: Principal, external_id: str) -> Customer | None:
    """The customer whose ``externalCustomerId`` is ``external_id``, or None."""
    return (await session.execute(select(Customer).where(
        Customer.org_id == principal.org_id, Customer.mode == principal.mode,
        Customer.external_customer_id == external_id,
    ))).scalar_one_or_none()


async def list_page(
    session: AsyncSession, principal: Principal, page: Page, *, external_id: str | None
) -> tuple[list[Customer], int]:
    """One page of customers, oldest first, and the total matching the filters."""
    cond = [Customer.org_id == principal.org_id, Customer.mode == principal.mode]
    if external_id is not None:
        cond.append(Customer.external_customer_id == external_id)
    total = (await session.execute(select(func.count()).select_from(Customer).where(*cond))).scalar_one()
    rows = (await session.execute(
        select(Customer).where(*cond).order_by(Customer.created_at, Customer.id).limit(page.limit).offset(page.offset)
    )).scalars().all()
    return list(rows), total

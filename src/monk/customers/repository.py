"""All customer queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
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


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching it anywhere, its own ``%``, ``_`` and ``\\`` taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def list_page(
    session: AsyncSession, principal: Principal, page: Page, *, external_id: str | None,
    search: str | None = None, newest_first: bool = False,
) -> tuple[list[Customer], int]:
    """One page of customers, oldest first (``newest_first``: newest first), and the total matching the
    filters. ``search``: the name or the external id contains it, case-insensitively."""
    cond: list[Any] = [Customer.org_id == principal.org_id, Customer.mode == principal.mode]
    if external_id is not None:
        cond.append(Customer.external_customer_id == external_id)
    if search:
        pattern = _like(search.lower())
        cond.append(or_(func.lower(Customer.name).like(pattern, escape="\\"),
                        func.lower(Customer.external_customer_id).like(pattern, escape="\\")))
    total = (await session.execute(select(func.count()).select_from(Customer).where(*cond))).scalar_one()
    order = (Customer.created_at.desc(), Customer.id.desc()) if newest_first else (Customer.created_at, Customer.id)
    rows = (await session.execute(
        select(Customer).where(*cond).order_by(*order).limit(page.limit).offset(page.offset)
    )).scalars().all()
    return list(rows), total


async def names(session: AsyncSession, principal: Principal, customer_ids: set[str]) -> dict[str, str]:
    """``{customer id: name}`` of the caller's customers among ``customer_ids`` (one query)."""
    if not customer_ids:
        return {}
    rows = await session.execute(select(Customer.id, Customer.name).where(
        Customer.org_id == principal.org_id, Customer.mode == principal.mode, Customer.id.in_(customer_ids)))
    return {row.id: row.name for row in rows}

"""All pricing and product queries; every one is scoped to the caller's organization and mode."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.pagination import Page
from monk.models import Pricing, Product


def _scope(principal: Principal) -> list[ColumnElement[bool]]:
    return [Pricing.org_id == principal.org_id, Pricing.mode == principal.mode,
            Product.org_id == principal.org_id, Product.mode == principal.mode]


def _with_product() -> Select[tuple[Pricing, str]]:
    return select(Pricing, Product.name).join(Product, Product.id == Pricing.product_id)


async def get(session: AsyncSession, principal: Principal, pricing_id: str) -> tuple[Pricing, str] | None:
    """``(pricing, product name)`` for ``pricing_id`` in the caller's organization and mode, or None."""
    row = (await session.execute(_with_product().where(Pricing.id == pricing_id, *_scope(principal)))).first()
    return None if row is None else (row[0], row[1])


async def get_many(session: AsyncSession, principal: Principal, ids: list[str]) -> list[tuple[Pricing, str]]:
    """``(pricing, product name)`` for each of ``ids`` found in the caller's organization and mode, in the
    order of ``ids`` (unknown ids are left out; a repeated id appears once per occurrence)."""
    if not ids:
        return []
    rows = (await session.execute(_with_product().where(Pricing.id.in_(set(ids)), *_scope(principal)))).all()
    found = {r[0].id: (r[0], r[1]) for r in rows}
    return [found[i] for i in ids if i in found]


def _like(text: str) -> str:
    """A LIKE pattern matching values containing ``text`` (its ``%``, ``_`` and ``\\`` taken literally)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def list_page(
    session: AsyncSession, principal: Principal, page: Page, *, product_id: str | None, search: str | None = None
) -> tuple[list[tuple[Pricing, str]], int]:
    """One page of ``(pricing, product name)``, oldest first, and the total matching the filters.
    ``search``: the pricing's name or code contains it, case-insensitively."""
    cond = _scope(principal)
    if product_id is not None:
        cond.append(Pricing.product_id == product_id)
    if search:
        pattern = _like(search.lower())
        cond.append(or_(func.lower(Pricing.name).like(pattern, escape="\\"),
                        func.lower(Pricing.code).like(pattern, escape="\\")))
    total = (await session.execute(
        select(func.count()).select_from(Pricing).join(Product, Product.id == Pricing.product_id).where(*cond)
    )).scalar_one()
    rows = (await session.execute(
        _with_product().where(*cond).order_by(Pricing.created_at, Pricing.id).limit(page.limit).offset(page.offset)
    )).all()
    return [(r[0], r[1]) for r in rows], total


async def get_product(session: AsyncSession, principal: Principal, product_id: str) -> Product | None:
    """The product ``product_id`` in the caller's organization and mode, or None."""
    return (await session.execute(select(Product).where(
        Product.id == product_id, Product.org_id == principal.org_id, Product.mode == principal.mode,
    ))).scalar_one_or_none()


async def codes_with_prefix(session: AsyncSession, principal: Principal, base: str) -> set[str]:
    """Pricing codes equal to ``base`` or starting with ``base-`` in the caller's organization and mode."""
    rows = (await session.execute(select(Pricing.code).where(
        Pricing.org_id == principal.org_id, Pricing.mode == principal.mode,
        (Pricing.code == base) | Pricing.code.startswith(f"{base}-", autoescape=True),
    ))).scalars().all()
    return set(rows)


async def code_taken(session: AsyncSession, principal: Principal, code: str) -> bool:
    """Whether a pricing of the caller's organization and mode already has ``code``."""
    return (await session.execute(select(func.count()).select_from(Pricing).where(
        Pricing.org_id == principal.org_id, Pricing.mode == principal.mode, Pricing.code == code,
    ))).scalar_one() > 0

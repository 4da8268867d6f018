"""Queries over users and memberships (the only SQL about them)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.models import Membership, Organization, User


async def by_email(session: AsyncSession, email: str) -> User | None:
    """The user whose (lower-cased) email is ``email``, or None."""
    return (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()


async def by_id(session: AsyncSession, user_id: str) -> User | None:
    """The user ``user_id``, or None."""
    return (await session.execute(select(User).where(User.id == user_id))).scalar_one_or_none()


async def membership(session: AsyncSession, user_id: str, org_id: str) -> Membership | None:
    """The user's membership of ``org_id``, or None."""
    return (await session.execute(select(Membership).where(
        Membership.user_id == user_id, Membership.org_id == org_id))).scalar_one_or_none()


async def memberships(session: AsyncSession, user_id: str) -> list[tuple[Membership, Organization]]:
    """``(membership, organization)`` of every organization the user belongs to, by organization name."""
    stmt = (select(Membership, Organization).join(Organization, Organization.id == Membership.org_id)
            .where(Membership.user_id == user_id).order_by(Organization.name, Organization.id))
    return [(m, o) for m, o in (await session.execute(stmt)).all()]


async def organization_by_id(session: AsyncSession, org_id: str) -> Organization | None:
    """The organization ``org_id``, or None."""
    return (await session.execute(select(Organization).where(Organization.id == org_id))).scalar_one_or_none()


async def count(session: AsyncSession) -> int:
    """How many users are stored."""
    return int((await session.execute(select(func.count()).select_from(User))).scalar_one())



async def members_page(session: AsyncSession, org_id: str, *, limit: int,
                       offset: int) -> tuple[list[tuple[User, Membership]], int]:
    """One page of ``(user, membership)`` of ``org_id``, by email, and how many members it has."""
    total = int((await session.execute(select(func.count()).select_from(Membership)
                                       .where(Membership.org_id == org_id))).scalar_one())
    stmt = (select(User, Membership).join(Membership, Membership.user_id == User.id)
            .where(Membership.org_id == org_id).order_by(User.email).limit(limit).offset(offset))
    return [(u, m) for u, m in (await session.execute(stmt)).all()], total


async def admin_count(session: AsyncSession, org_id: str) -> int:
    """How many admins ``org_id`` has."""
    return int((await session.execute(select(func.count()).select_from(Membership).where(
        Membership.org_id == org_id, Membership.role == "admin"))).scalar_one())


async def remove_membership(session: AsyncSession, membership: Membership) -> None:
    """Delete ``membership`` (the user stays, with its other organizations)."""
    await session.delete(membership)
    await session.flush()

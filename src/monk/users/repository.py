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


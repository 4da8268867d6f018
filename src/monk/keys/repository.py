"""Queries over API keys and organizations (the only SQL about keys)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monk.models import ApiKey, Organization


async def by_hash(session: AsyncSession, key_hash: str) -> ApiKey | None:
    """The key whose SHA-256 hex digest is ``key_hash``, or None."""
    return (await session.execute(select(ApiKey).where(ApiKey.key_hash == key_hash))).scalar_one_or_none()


async def record_use(session: AsyncSession, key_id: str, now: datetime, *, resolution: timedelta) -> None:
    """Set the key's ``last_used_at`` to ``now`` unless it was set less than ``resolution`` ago."""
    await session.execute(update(ApiKey).where(
        ApiKey.id == key_id,
        (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at <= now - resolution),
    ).values(last_used_at=now).execution_options(synchronize_session=False))


async def organization(session: AsyncSession, name: str | None) -> Organization | None:
    """The organization called ``name``, or (``name`` None) the oldest one; None if there is none."""
    stmt = select(Organization).order_by(Organization.created_at).limit(1)
    if name:
        stmt = select(Organization).where(Organization.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def count(session: AsyncSession) -> int:
    """How many keys are stored (revoked ones included)."""
    return int((await session.execute(select(func.count()).select_from(ApiKey))).scalar_one())


async def with_organizations(session: AsyncSession, *, org: str | None,
                             include_revoked: bool) -> list[tuple[ApiKey, str]]:
    """``(key, organization name)`` of every stored key, oldest first, optionally of one organization
    (by name) and without revoked ones."""
    stmt = (select(ApiKey, Organization.name).join(Organization, Organization.id == ApiKey.org_id)
            .order_by(ApiKey.created_at, ApiKey.id))
    if org is not None:
        stmt = stmt.where(Organization.name == org)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return [(k, name) for k, name in (await session.execute(stmt)).all()]


async def revoke_prefix(session: AsyncSession, prefix: str, now: datetime) -> int:
    """Set ``revoked_at`` on every unrevoked key whose prefix starts with ``prefix``; returns how many."""
    ids = list((await session.execute(
        select(ApiKey.id).where(ApiKey.prefix.startswith(prefix), ApiKey.revoked_at.is_(None))
    )).scalars().all())
    if ids:
        await session.execute(update(ApiKey).where(ApiKey.id.in_(ids)).values(revoked_at=now))
    return len(ids)


async def page_of(session: AsyncSession, org_id: str, mode: str, *, limit: int,
                  offset: int) -> tuple[list[ApiKey], int]:
    """One page of ``org_id``'s keys of ``mode``, newest first, and how many there are (revoked ones
    included)."""
    cond = (ApiKey.org_id == org_id, ApiKey.mode == mode)
    total = int((await session.execute(select(func.count()).select_from(ApiKey).where(*cond))).scalar_one())
    rows = (await session.execute(select(ApiKey).where(*cond).order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
                                  .limit(limit).offset(offset))).scalars().all()
    return list(rows), total


async def of_org(session: AsyncSession, org_id: str, mode: str, key_id: str) -> ApiKey | None:
    """The key ``key_id`` if it belongs to ``org_id`` in ``mode``, else None."""
    return (await session.execute(select(ApiKey).where(
        ApiKey.id == key_id, ApiKey.org_id == org_id, ApiKey.mode == mode))).scalar_one_or_none()

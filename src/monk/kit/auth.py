"""API keys, scopes and modes (reference §1.2–1.4).

A key is ``mk_live_`` or ``mk_test_`` followed by 48 hex characters. ``invoices:write`` (marking an
invoice paid) is Monk's extension of the reference's scopes. Only its SHA-256 is stored
(the key carries 192 random bits, so a fast hash is enough); the first 16 characters are kept as
a prefix to name it. A key sees its own organization and mode only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import Depends, Request
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.errors import Forbidden, Unauthorized
from monk.kit.ids import new_id
from monk.models import ApiKey, Organization

SCOPES = (
    "*", "customers:read", "customers:write", "invoices:read", "invoices:write", "contracts:read", "contracts:write",
    "plans:read", "plans:write", "meters:read", "meters:write", "pricing:read", "pricing:write",
    "usage:read", "usage:write",
)
MODES = ("live", "test")
KEY_RE = re.compile(r"^mk_(live|test)_[0-9a-f]{48}$")
MISSING_HEADER = "Missing or invalid Authorization header. Use: Authorization: Bearer <api_key>"
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the organization, the mode (``live``/``test``) and the key's scopes."""

    org_id: str
    mode: str
    key_id: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """Whether the key holds ``scope`` or ``*``."""
        return "*" in self.scopes or scope in self.scopes


def hash_key(key: str) -> str:
    """SHA-256 hex digest of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key(mode: str) -> str:
    """A new key for ``mode``: ``mk_<mode>_`` + 48 hex characters."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    return f"mk_{mode}_{secrets.token_hex(24)}"


async def create_key(
    session: AsyncSession, *, org_id: str, mode: str, scopes: list[str], now: datetime
) -> str:
    """Store a new key for ``org_id`` and return it in clear (the only time it is shown).

    Raises ``ValueError`` for an unknown scope or mode.
    """
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scopes: {', '.join(unknown) or '(none given)'}; known: {', '.join(SCOPES)}")
    key = generate_key(mode)
    session.add(ApiKey(
        id=new_id(), org_id=org_id, mode=mode, prefix=key[:16], key_hash=hash_key(key),
        scopes=sorted(set(scopes)), created_at=now,
    ))
    return key


async def default_organization(session: AsyncSession, *, name: str | None, now: datetime) -> tuple[Organization, bool]:
    """The organization called ``name`` (or the oldest one), created if missing.

    Returns ``(organization, created)``.
    """
    stmt = select(Organization).order_by(Organization.created_at).limit(1)
    if name:
        stmt = select(Organization).where(Organization.name == name)
    org = (await session.execute(stmt)).scalar_one_or_none()
    if org is not None:
        return org, False
    org = Organization(id=new_id(), name=name or "default", created_at=now)
    session.add(org)
    await session.flush()
    return org, True


async def authenticate(session: AsyncSession, authorization: str | None, now: datetime) -> Principal:
    """Resolve an ``Authorization`` header to a ``Principal``.

    Raises ``Unauthorized`` with the documented messages: missing/malformed header, invalid,
    revoked or expired key. Records the key's use (``last_used_at``, to the minute): when it is
    due, that one-row update is committed on ``session``, so call this before the request's own work.
    """
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized(MISSING_HEADER)
    key = authorization[len("Bearer "):].strip()
    if not key:
        raise Unauthorized(MISSING_HEADER)
    if not KEY_RE.match(key):
        raise Unauthorized("Invalid API key")
    row = (await session.execute(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))).scalar_one_or_none()
    if row is None:
        raise Unauthorized("Invalid API key")
    if row.revoked_at is not None:
        raise Unauthorized("API key has been revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized("API key has expired")
    principal = Principal(org_id=row.org_id, mode=row.mode, key_id=row.id, scopes=frozenset(row.scopes))
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        await _record_use(session, row.id, now)
    return principal


async def _record_use(session: AsyncSession, key_id: str, now: datetime) -> None:
    """Set the key's ``last_used_at`` (to the minute: at most one write per key and minute) and commit
    it at once, before the request does anything else, so reads record their use too."""
    await session.execute(update(ApiKey).where(
        ApiKey.id == key_id,
        (ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at <= now - LAST_USED_RESOLUTION),
    ).values(last_used_at=now).execution_options(synchronize_session=False))
    await session.commit()


@dataclass(frozen=True)
class KeyInfo:
    """What can be shown of a stored key (never the key itself: only its hash is stored)."""

    prefix: str
    organization: str
    mode: str
    scopes: list[str]
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None


async def list_keys(session: AsyncSession, *, org: str | None = None, include_revoked: bool = True) -> list[KeyInfo]:
    """Every stored key, oldest first, optionally of one organization (by name) and without revoked ones."""
    stmt = (select(ApiKey, Organization.name).join(Organization, Organization.id == ApiKey.org_id)
            .order_by(ApiKey.created_at, ApiKey.id))
    if org is not None:
        stmt = stmt.where(Organization.name == org)
    if not include_revoked:
        stmt = stmt.where(ApiKey.revoked_at.is_(None))
    return [KeyInfo(prefix=k.prefix, organization=name, mode=k.mode, scopes=list(k.scopes), created_at=k.created_at,
                    last_used_at=k.last_used_at, revoked_at=k.revoked_at, expires_at=k.expires_at)
            for k, name in (await session.execute(stmt)).all()]


async def revoke(session: AsyncSession, prefix: str, now: datetime) -> int:
    """Revoke every unrevoked key whose prefix starts with ``prefix``; returns how many."""
    rows = (await session.execute(
        select(ApiKey.id).where(ApiKey.prefix.startswith(prefix[:16]), ApiKey.revoked_at.is_(None))
    )).scalars().all()
    matching = [r for r in rows]
    if matching:
        await session.execute(update(ApiKey).where(ApiKey.id.in_(matching)).values(revoked_at=now))
    return len(matching)


def require(scope: str):
    """A dependency that authenticates the request and checks ``scope`` (403 ``FORBIDDEN`` if absent)."""
    from monk.kit.deps import get_session  # local import: deps imports this module

    async def dependency(request: Request, session: AsyncSession = Depends(get_session, scope="function")) -> Principal:
        principal = await authenticate(session, request.headers.get("authorization"), request.app.state.clock.now())
        if not principal.allows(scope):
            raise Forbidden(f"API key does not have the required permission: {scope}")
        return principal

    dependency.monk_scope = scope  # type: ignore[attr-defined]  # read by kit.openapi for the document
    return dependency

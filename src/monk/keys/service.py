"""API keys: create, list and revoke them, and resolve a request's ``Authorization`` header to its
``Principal`` (reference §1.4). Never commits, except ``KeyResolver``, which owns its sessions.

One resolver serves both ways in (the Monk API through ``kit.auth.require`` and the Events API
fast path through ``kit.auth.authorize``): a key's organization, mode, scopes and expiry are reused
for ``Settings.key_cache_seconds`` (2 s by default) after they were read. A key revoked in another
process (``monk keys revoke``) therefore keeps working for at most that long on either path; one
revoked through ``revoke`` in this process is refused at once (the commit clears every cache of the
process). Expiry is checked on every request; an invalid, revoked or expired key is never cached.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from monk.keys import repository
from monk.kit.aftercommit import after_commit
from monk.kit.auth import KEY_RE, MISSING_HEADER, MODES, SCOPES, Principal, generate_key, hash_key
from monk.kit.errors import NotFound, Unauthorized
from monk.kit.ids import new_id
from monk.models import ApiKey, Organization

LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_CACHED_KEYS = 10_000


MAX_NAME = 100


async def create_key(
    session: AsyncSession, *, org_id: str, mode: str, scopes: list[str], now: datetime, name: str | None = None
) -> str:
    """Store a new key for ``org_id`` (``name``: an optional label, at most 100 characters) and return it
    in clear (the only time it is shown).

    Raises ``ValueError`` for an unknown scope or mode, or a name too long.
    """
    if name is not None and len(name) > MAX_NAME:
        raise ValueError(f"the name must have at most {MAX_NAME} characters")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"unknown scopes: {', '.join(unknown) or '(none given)'}; known: {', '.join(SCOPES)}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    key = generate_key(mode)
    session.add(ApiKey(
        id=new_id(), org_id=org_id, mode=mode, prefix=key[:16], name=name or None, key_hash=hash_key(key),
        scopes=sorted(set(scopes)), created_at=now,
    ))
    return key


async def default_organization(session: AsyncSession, *, name: str | None, now: datetime) -> tuple[Organization, bool]:
    """The organization called ``name`` (or the oldest one), created if missing.

    Returns ``(organization, created)``.
    """
    org = await repository.organization(session, name)
    if org is not None:
        return org, False
    org = Organization(id=new_id(), name=name or "default", created_at=now)
    session.add(org)
    await session.flush()
    return org, True


async def authenticate(session: AsyncSession, authorization: str | None,
                       now: datetime) -> tuple[Principal, datetime | None]:
    """Resolve an ``Authorization`` header to ``(Principal, key expiry or None)``.

    Raises ``Unauthorized`` with the documented messages: missing/malformed header, invalid,
    revoked or expired key. Records the key's use (``last_used_at``, to the minute) on ``session``
    when it is due; the caller commits.
    """
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthorized(MISSING_HEADER)
    key = authorization[len("Bearer "):].strip()
    if not key:
        raise Unauthorized(MISSING_HEADER)
    if not KEY_RE.match(key):
        raise Unauthorized("Invalid API key")
    row = await repository.by_hash(session, hash_key(key))
    if row is None:
        raise Unauthorized("Invalid API key")
    if row.revoked_at is not None:
        raise Unauthorized("API key has been revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthorized("API key has expired")
    principal = Principal(org_id=row.org_id, mode=row.mode, key_id=row.id, scopes=frozenset(row.scopes))
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        await repository.record_use(session, row.id, now, resolution=LAST_USED_RESOLUTION)
    return principal, row.expires_at


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
    name: str | None = None


async def list_keys(session: AsyncSession, *, org: str | None = None, include_revoked: bool = True) -> list[KeyInfo]:
    """Every stored key, oldest first, optionally of one organization (by name) and without revoked ones."""
    return [KeyInfo(prefix=k.prefix, organization=name, mode=k.mode, scopes=list(k.scopes), created_at=k.created_at,
                    last_used_at=k.last_used_at, revoked_at=k.revoked_at, expires_at=k.expires_at,
                    name=k.name)
            for k, name in await repository.with_organizations(session, org=org, include_revoked=include_revoked)]


async def revoke(session: AsyncSession, prefix: str, now: datetime) -> int:
    """Revoke every unrevoked key whose prefix starts with ``prefix`` (its first 16 characters count);
    returns how many. Once the caller commits, every ``KeyResolver`` of this process forgets what it
    cached, so the key is refused at once here (elsewhere within ``key_cache_seconds``)."""
    n = await repository.revoke_prefix(session, prefix[:16], now)
    if n:
        after_commit(session, forget_everywhere)
    return n


async def keys_page(session: AsyncSession, *, org_id: str, mode: str, limit: int,
                    offset: int) -> tuple[list[ApiKey], int]:
    """One page of ``org_id``'s keys of ``mode``, newest first (revoked ones included), and their total."""
    return await repository.page_of(session, org_id, mode, limit=limit, offset=offset)


async def revoke_key(session: AsyncSession, *, org_id: str, mode: str, key_id: str, now: datetime) -> ApiKey:
    """Revoke the key ``key_id`` of ``org_id`` in ``mode`` (already revoked: unchanged). Raises
    ``NotFound`` (404) for a key of another organization or mode. Once the caller commits, every
    ``KeyResolver`` of this process forgets what it cached (the key is refused at once here)."""
    key = await repository.of_org(session, org_id, mode, key_id)
    if key is None:
        raise NotFound("No such API key")
    if key.revoked_at is None:
        key.revoked_at = now
        after_commit(session, forget_everywhere)
    return key


_RESOLVERS: weakref.WeakSet[KeyResolver] = weakref.WeakSet()


def forget_everywhere() -> None:
    """Clear the cache of every ``KeyResolver`` of this process."""
    for resolver in list(_RESOLVERS):
        resolver.forget()


# (cached at, valid until, principal, key expiry)
_Entry = tuple[datetime, datetime, Principal, datetime | None]


class KeyResolver:
    """``Authorization`` header → ``Principal`` through one cache (see the module docstring).

    ``ttl_seconds`` is the bound on how long a revocation made elsewhere goes unnoticed (0: no
    cache). Time is the app's clock (``now`` passed in), so tests move it. A stale or missing entry
    is looked up once: concurrent requests with the same header wait for that one lookup. The lookup
    uses its own short session from ``sessions`` and commits the key's ``last_used_at``.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, ttl_seconds: float) -> None:
        self.sessions = sessions
        self.ttl = timedelta(seconds=ttl_seconds)
        self.entries: dict[str, _Entry] = {}
        self._lookups: dict[str, asyncio.Future[_Entry]] = {}
        _RESOLVERS.add(self)

    def forget(self) -> None:
        """Drop every cached entry (the next request of each key reads it again)."""
        self.entries.clear()

    async def resolve(self, authorization: str | None, now: datetime) -> Principal:
        """The principal of ``authorization``; raises ``Unauthorized`` (documented messages), or the
        database's error when it cannot be reached."""
        hit = self.entries.get(authorization) if authorization else None
        if hit is None or not hit[0] <= now < hit[1]:
            hit = await self._refresh(authorization, now)
        expires_at = hit[3]
        if expires_at is not None and expires_at <= now:
            raise Unauthorized("API key has expired")
        return hit[2]

    async def _lookup(self, authorization: str | None, now: datetime) -> _Entry:
        async with self.sessions() as session:
            principal, expires_at = await authenticate(session, authorization, now)
            await session.commit()
        return now, now + self.ttl, principal, expires_at

    async def _refresh(self, authorization: str | None, now: datetime) -> _Entry:
        if not authorization:
            return await self._lookup(authorization, now)  # raises the documented 401
        pending = self._lookups.get(authorization)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[_Entry] = asyncio.get_running_loop().create_future()
        fut.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._lookups[authorization] = fut
        try:
            entry = await self._lookup(authorization, now)
            if self.ttl > timedelta(0):
                if len(self.entries) >= MAX_CACHED_KEYS:
                    self.entries.clear()
                self.entries[authorization] = entry
            fut.set_result(entry)
            return entry
        except asyncio.CancelledError:
            fut.cancel()
            raise
        except Exception as exc:
            fut.set_exception(exc)
            raise
        finally:
            del self._lookups[authorization]

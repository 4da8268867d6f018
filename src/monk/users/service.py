"""Dashboard users: create them, give them a role in an organization, check their password.

Passwords are hashed with argon2 through ``pwdlib`` (its recommended parameters); the clear password is
never stored. Emails are compared case-insensitively: they are stored lower-cased. Never commits.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from pwdlib import PasswordHash
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.models import Membership, Organization, User
from monk.users import repository

ROLES = ("admin", "viewer")
MAX_EMAIL = 320
MAX_PASSWORD = 1024  # characters; argon2 takes any length, this bounds the work one request may ask for
_HASHER = PasswordHash.recommended()
# Verified against when the email is unknown, so that a wrong email costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(18))


def generate_password() -> str:
    """A new random password: 24 url-safe characters (18 random bytes)."""
    return secrets.token_urlsafe(18)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (``pwdlib``'s recommended parameters; salted, so two hashes of
    one password differ)."""
    return _HASHER.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash``; False (never an error) for a malformed hash."""
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _HASHER.verify(password, password_hash)
    except Exception:  # an unknown or corrupt hash is a mismatch
        return False


def normalise_email(email: str) -> str:
    """``email`` stripped and lower-cased. Raises ``ValueError`` unless it looks like ``local@domain``
    (at most 320 characters, no whitespace)."""
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not (at and local and domain and "@" not in domain and len(email) <= MAX_EMAIL
            and not any(c.isspace() for c in email)):
        raise ValueError(f"not an email address: {email!r}")
    return email


@dataclass(frozen=True)
class Created:
    """What ``create_user`` did: the user, whether it is new, and its membership of the organization."""

    user: User
    created: bool
    membership: Membership


async def create_user(session: AsyncSession, *, email: str, org_id: str, role: str, password: str | None,
                      now: datetime) -> Created:
    """Create the user ``email`` with ``password`` (required for a new user) and give it ``role`` in
    ``org_id``. An existing user keeps its password unless ``password`` is given, and gets the membership
    (an existing membership takes the new role). Raises ``ValueError`` for a bad email, an unknown role,
    a missing or too long password."""
    email = normalise_email(email)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if password is not None and not 1 <= len(password) <= MAX_PASSWORD:
        raise ValueError(f"the password must have 1 to {MAX_PASSWORD} characters")
    user = await repository.by_email(session, email)
    created = user is None
    if user is None:
        if password is None:
            raise ValueError("a new user needs a password")
        user = User(id=new_id(), email=email, password_hash=hash_password(password), created_at=now, updated_at=now)
        session.add(user)
        await session.flush()
    elif password is not None:
        user.password_hash = hash_password(password)
        user.updated_at = now
    membership = await repository.membership(session, user.id, org_id)
    if membership is None:
        membership = Membership(id=new_id(), user_id=user.id, org_id=org_id, role=role, created_at=now)
        session.add(membership)
    elif membership.role != role:
        membership.role = role
        user.updated_at = now
    await session.flush()
    return Created(user=user, created=created, membership=membership)


async def user_exists(session: AsyncSession, email: str) -> bool:
    """Whether a user has ``email`` (case-insensitively). Raises ``ValueError`` for a bad email."""
    return await repository.by_email(session, normalise_email(email)) is not None


async def is_member(session: AsyncSession, email: str, org_id: str) -> bool:
    """Whether the user ``email`` (case-insensitively) belongs to ``org_id``. Raises ``ValueError`` for a
    bad email."""
    user = await repository.by_email(session, normalise_email(email))
    return user is not None and await repository.membership(session, user.id, org_id) is not None


async def has_users(session: AsyncSession) -> bool:
    """Whether any user is stored."""
    return await repository.count(session) > 0


@dataclass(frozen=True)
class Access:
    """A signed-in user in one organization: who, where, and with which role."""

    user_id: str
    email: str
    org_id: str
    org_name: str
    role: str


async def login(session: AsyncSession, *, email: str, password: str, now: datetime) -> Access | None:
    """The user's access if ``email`` and ``password`` match and the user belongs to an organization,
    else None (one answer for every failure). A user of several organizations signs in to the first by
    name (alphabetical). Records ``last_login_at`` on success; the caller commits."""
    try:
        email = normalise_email(email)
    except ValueError:
        email = ""
    user = await repository.by_email(session, email) if email else None
    if user is None:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, user.password_hash):
        return None
    orgs = await repository.memberships(session, user.id)
    if not orgs:
        return None
    membership, org = orgs[0]
    user.last_login_at = now
    return Access(user_id=user.id, email=user.email, org_id=org.id, org_name=org.name, role=membership.role)


async def access(session: AsyncSession, *, user_id: str, org_id: str) -> Access | None:
    """The current access of ``user_id`` to ``org_id`` (read each request, so a changed role or a removed
    membership takes effect at once), or None."""
    user = await repository.by_id(session, user_id)
    if user is None:
        return None
    membership = await repository.membership(session, user_id, org_id)
    org: Organization | None = await repository.organization_by_id(session, org_id) if membership else None
    if membership is None or org is None:
        return None
    return Access(user_id=user.id, email=user.email, org_id=org.id, org_name=org.name, role=membership.role)


async def members(session: AsyncSession, org_id: str, *, limit: int,
                  offset: int) -> tuple[list[tuple[User, Membership]], int]:
    """One page of ``org_id``'s users with their membership (role, since when), by email, and the total."""
    return await repository.members_page(session, org_id, limit=limit, offset=offset)


async def _member(session: AsyncSession, org_id: str, user_id: str) -> Membership:
    membership = await repository.membership(session, user_id, org_id)
    if membership is None:
        raise NotFound("No such user in this organization")
    return membership


async def set_role(session: AsyncSession, *, org_id: str, user_id: str, role: str, now: datetime) -> Membership:
    """Give ``user_id`` the role ``role`` in ``org_id``. Raises ``ValidationFailed`` (400) for an unknown
    role, ``NotFound`` (404) for a user not of ``org_id``, ``Conflict`` (409) when that would leave the
    organization without an admin."""
    if role not in ROLES:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES)}", details=[
            {"field": "role", "message": f"role must be one of {', '.join(ROLES)}"}])
    membership = await _member(session, org_id, user_id)
    if membership.role == "admin" and role != "admin" and await repository.admin_count(session, org_id) <= 1:
        raise Conflict("The organization's last admin cannot become a viewer; make another user admin first")
    membership.role = role
    await session.flush()
    return membership


async def remove(session: AsyncSession, *, org_id: str, user_id: str) -> None:
    """Take ``user_id`` out of ``org_id`` (signed-in sessions of it end at their next request). Raises
    ``NotFound`` (404) for a user not of ``org_id``, ``Conflict`` (409) for the organization's last admin."""
    membership = await _member(session, org_id, user_id)
    if membership.role == "admin" and await repository.admin_count(session, org_id) <= 1:
        raise Conflict("The organization's last admin cannot be removed")
    await repository.remove_membership(session, membership)

"""Users: password hashing and verification, creating users and memberships, logging in."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from monk.keys.service import default_organization
from monk.users import service
from tests.storage import T0


def test_a_password_is_hashed_with_argon2_and_verified() -> None:
    h = service.hash_password("correct horse")
    assert h.startswith("$argon2id$") and "correct horse" not in h
    assert service.hash_password("correct horse") != h  # salted
    assert service.verify_password("correct horse", h)
    assert not service.verify_password("correct horsE", h)
    assert not service.verify_password("correct horse", "not a hash")
    assert not service.verify_password("x" * 2000, h)


def test_generated_passwords_are_long_and_different() -> None:
    a, b = service.generate_password(), service.generate_password()
    assert len(a) == 24 and a != b


@pytest.mark.parametrize("email", ["", "nobody", "a@", "@b", "a b@c.d", "a@b@c"])
def test_a_bad_email_is_refused(email: str) -> None:
    with pytest.raises(ValueError, match="not an email"):
        service.normalise_email(email)


async def test_create_then_add_a_membership_then_login(session: AsyncSession) -> None:
    acme, _ = await default_organization(session, name="acme", now=T0)
    beta, _ = await default_organization(session, name="beta", now=T0)
    made = await service.create_user(session, email=" Ann@Example.COM ", org_id=beta.id, role="viewer",
                                     password="pw-1", now=T0)
    assert made.created and made.user.email == "ann@example.com" and made.membership.role == "viewer"
    again = await service.create_user(session, email="ann@example.com", org_id=acme.id, role="admin",
                                      password=None, now=T0)
    assert not again.created and again.user.id == made.user.id
    assert service.verify_password("pw-1", again.user.password_hash)  # kept: no password given
    access = await service.login(session, email="ANN@example.com", password="pw-1", now=T0)
    assert access is not None and (access.org_name, access.role) == ("acme", "admin")  # first by name
    assert access.email == "ann@example.com"
    assert made.user.last_login_at == T0
    assert await service.login(session, email="ann@example.com", password="pw-2", now=T0) is None
    assert await service.login(session, email="bob@example.com", password="pw-1", now=T0) is None
    await service.create_user(session, email="ann@example.com", org_id=acme.id, role="viewer", password="pw-2",
                              now=T0)
    access = await service.login(session, email="ann@example.com", password="pw-2", now=T0)
    assert access is not None and access.role == "viewer"
    assert await service.access(session, user_id=made.user.id, org_id=beta.id) is not None
    assert await service.has_users(session)


async def test_create_refuses_a_bad_role_and_a_new_user_without_password(session: AsyncSession) -> None:
    org, _ = await default_organization(session, name=None, now=T0)
    with pytest.raises(ValueError, match="role"):
        await service.create_user(session, email="a@b.c", org_id=org.id, role="owner", password="x", now=T0)
    with pytest.raises(ValueError, match="password"):
        await service.create_user(session, email="a@b.c", org_id=org.id, role="admin", password=None, now=T0)
    assert not await service.has_users(session)

"""``monk users create`` through the real command (a subprocess on a SQLite file)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monk.kit.db import create_engine, session_factory
from monk.users import service
from tests.cli.test_cli import run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "users.db"
    run(["migrate"], path)
    return path


async def _login(db: Path, email: str, password: str) -> service.Access | None:
    engine = create_engine(f"sqlite:///{db}")
    try:
        async with session_factory(engine)() as s:
            from monk.kit.clock import Clock

            return await service.login(s, email=email, password=password, now=Clock().now())
    finally:
        await engine.dispose()


def test_users_create_prints_only_the_generated_password(db: Path) -> None:
    out = run(["users", "create", "--email", "Ann@Example.com"], db).stdout
    password = out.removesuffix("\n")
    assert out == password + "\n" and len(password) == 24
    access = asyncio.run(_login(db, "ann@example.com", password))
    assert access is not None and (access.org_name, access.role) == ("default", "admin")


def test_an_existing_user_gets_the_membership_and_the_given_password(db: Path) -> None:
    first = run(["users", "create", "--email", "ann@example.com", "--role", "viewer"], db).stdout.strip()
    kept = run(["users", "create", "--email", "ann@example.com", "--org", "acme", "--role", "viewer"], db)
    assert kept.stdout == "" and "password unchanged" in kept.stderr
    assert asyncio.run(_login(db, "ann@example.com", first)) is not None
    given = run(["users", "create", "--email", "ANN@example.com", "--org", "acme", "--role", "admin",
                 "--password", "s3cret pass"], db).stdout
    assert given == "s3cret pass\n"
    access = asyncio.run(_login(db, "ann@example.com", "s3cret pass"))
    assert access is not None and (access.org_name, access.role) == ("acme", "admin")  # acme < default
    assert asyncio.run(_login(db, "ann@example.com", first)) is None


def test_a_bad_role_or_email_exits_1_with_the_error_on_stderr(db: Path) -> None:
    bad = run(["users", "create", "--email", "ann@example.com", "--role", "owner"], db, check=False)
    assert bad.returncode == 1 and bad.stdout == "" and "--role must be one of admin, viewer" in bad.stderr
    bad = run(["users", "create", "--email", "not-an-email"], db, check=False)
    assert bad.returncode == 1 and bad.stdout == "" and "not an email" in bad.stderr


def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    proc = run(["users", "create", "--email", "a@b.c"], tmp_path / "empty.db", check=False)
    assert proc.returncode == 1 and "not migrated" in proc.stderr and proc.stdout == ""

"""``monk users create`` through the real command (a subprocess on a SQLite file)."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from pathlib import Path

import httpx
import pytest

from monk.kit.db import create_engine, session_factory
from monk.users import service
from tests.cli.test_cli import MONK, free_port, run
from tests.waiting import until_sync


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


def _serve_first_lines(db: Path, port: int, n: int) -> tuple[subprocess.Popen[str], list[str]]:
    env = {**os.environ, "MONK_DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen(MONK + ["serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    return proc, [proc.stdout.readline() for _ in range(n)]  # type: ignore[union-attr]


def test_first_start_creates_the_first_admin_and_prints_the_login_url_and_password(db: Path) -> None:
    port = free_port()
    proc, lines = _serve_first_lines(db, port, 4)
    try:
        admin = next(line for line in lines if "dashboard admin" in line)
        match = re.search(rf"sign in at (http://127\.0\.0\.1:{port}/login) with password (\S+)$", admin.strip())
        assert match and "admin@localhost" in admin, lines
        url, password = match.groups()

        def answers() -> bool:
            try:
                return httpx.get(url).status_code == 200
            except httpx.TransportError:
                return False
        until_sync(answers, 10, what="monk serve answers /login", interval=0.1)
        with httpx.Client() as web:
            form = web.get(url).text
            csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
            resp = web.post(url, data={"email": "admin@localhost", "password": password, "csrf": csrf})
            assert resp.status_code == 303
            home = web.get(url.removesuffix("/login") + "/").text
            assert "Monk — default" in home and "admin@localhost" in home
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    proc, lines = _serve_first_lines(db, port, 1)  # second start: nothing created, nothing shown
    try:
        assert lines[0].startswith("Monk listening") and "password" not in lines[0]
    finally:
        proc.terminate()
        proc.wait(timeout=20)

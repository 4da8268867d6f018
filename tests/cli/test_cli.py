"""The ``monk`` command: migrations, the unmigrated-database guard, key management."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.waiting import until_sync

MONK = [sys.executable, "-m", "monk.cli"]


def run(args: list[str], db: Path, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MONK_DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.run(MONK + args, env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


def test_unmigrated_database_is_refused(db: Path) -> None:
    proc = run(["serve", "--port", "1"], db, check=False)
    assert proc.returncode == 1
    assert "not migrated" in proc.stderr and "monk migrate" in proc.stderr
    proc = run(["keys", "create", "--scopes", "*"], db, check=False)
    assert proc.returncode == 1 and "not migrated" in proc.stderr


def test_keys_create_prints_only_the_key_and_revoke_works(db: Path) -> None:
    assert "migrated" in run(["migrate"], db).stdout
    assert "migrated" in run(["migrate"], db).stdout  # idempotent
    out = run(["keys", "create", "--scopes", "usage:write,invoices:read", "--mode", "test"], db).stdout
    assert re.fullmatch(r"mk_test_[0-9a-f]{48}\n", out)
    live = run(["keys", "create", "--scopes", "*", "--org", "acme"], db).stdout.strip()
    assert re.fullmatch(r"mk_live_[0-9a-f]{48}", live)
    bad = run(["keys", "create", "--scopes", "billing:everything"], db, check=False)
    assert bad.returncode == 1 and "unknown scopes" in bad.stderr and bad.stdout == ""
    assert "revoked 1" in run(["keys", "revoke", live[:16]], db).stdout
    assert run(["keys", "revoke", live[:16]], db, check=False).returncode == 1
    assert run(["keys", "revoke", "mk_"], db, check=False).returncode == 1


def free_port() -> int:
    """A loopback port nobody listens on now, so that parallel runs of the suite never share one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(db: Path, port: int) -> Iterator[list[str]]:
    """``monk serve`` on ``db`` at ``port``; yields the live and test keys it printed, once it answers."""
    run(["migrate"], db)
    env = {**os.environ, "MONK_DATABASE_URL": f"sqlite:///{db}"}
    proc = subprocess.Popen(MONK + ["serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(3)]  # type: ignore[union-attr]
        keys = [m.group(0) for line in lines for m in [re.search(r"mk_(live|test)_[0-9a-f]{48}", line)] if m]
        assert [k[:8] for k in keys] == ["mk_live_", "mk_test_"]
        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/health/live").status_code == 200
            except httpx.TransportError:
                return False
        until_sync(answers, 10, what="monk serve answers /health/live", interval=0.1)
        yield keys
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_bootstraps_keys_and_answers(db: Path) -> None:
    port = free_port()
    with serving(db, port) as keys:
        r = httpx.get(f"http://127.0.0.1:{port}/v1/customers", headers={"Authorization": f"Bearer {keys[0]}"})
        assert r.status_code == 200 and r.json() == {"data": [], "hasMore": False, "total": 0}


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="the walkthrough needs curl and jq")
def test_walkthrough_runs_twice_and_fails_loudly(db: Path) -> None:
    script = Path(__file__).parents[2] / "docs" / "walkthrough.sh"
    port = free_port()
    with serving(db, port) as keys:
        env = {**os.environ, "MONK_URL": f"http://127.0.0.1:{port}", "MONK_KEY": keys[0]}
        totals = []
        for _ in range(2):
            proc = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120)
            assert proc.returncode == 0, proc.stderr
            invoices = [json.loads(line) for line in proc.stdout.splitlines() if '"invoiceDate"' in line]
            totals.append([i["totalCents"] for i in invoices])
        assert totals == [[1200, 13000], [2400, 21000]]  # the same customers and contracts, twice the calls
        bad = subprocess.run(["bash", str(script)], env={**env, "MONK_KEY": "mk_live_" + "0" * 48},
                             capture_output=True, text=True, timeout=60)
        assert bad.returncode == 1 and "HTTP 401" in bad.stderr and "Invalid API key" in bad.stderr


def _use(db: Path, key: str) -> int:
    """Call the API in-process with ``key`` (as a server on this database would be called)."""
    import asyncio

    from monk.app import create_app
    from monk.settings import Settings

    async def main() -> int:
        app = create_app(Settings(database_url=f"sqlite:///{db}"), run_worker=False)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://monk.test") as client:
                r = await client.get("/v1/customers", headers={"Authorization": f"Bearer {key}"})
                return r.status_code
        finally:
            await app.state.engine.dispose()

    return asyncio.run(main())


def test_keys_list_shows_prefix_mode_scopes_created_last_used_and_revoked(db: Path) -> None:
    run(["migrate"], db)
    used = run(["keys", "create", "--scopes", "customers:read,usage:write", "--mode", "test"], db).stdout.strip()
    idle = run(["keys", "create", "--scopes", "*", "--org", "acme", "--name", "billing sync"], db).stdout.strip()
    gone = run(["keys", "create", "--scopes", "usage:write"], db).stdout.strip()
    long = run(["keys", "create", "--scopes", "*", "--name", "x" * 101], db, check=False)
    assert long.returncode == 1 and "at most 100 characters" in long.stderr and long.stdout == ""
    run(["keys", "revoke", gone[:16]], db)
    assert _use(db, used) == 200
    out = run(["keys", "list"], db).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["PREFIX", "ORG", "MODE", "SCOPES", "CREATED", "LAST", "USED", "REVOKED", "EXPIRES",
                                "NAME"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {used[:16], idle[:16], gone[:16]}
    assert all(used not in line and idle not in line for line in lines)  # never the key itself
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    org, mode, scopes, created, last_used, revoked, expires, name = rows[used[:16]][1:]
    assert (org, mode, scopes) == ("default", "test", "customers:read,usage:write")
    assert re.fullmatch(stamp, created) and re.fullmatch(stamp, last_used) and (revoked, expires, name) == ("-",) * 3
    assert rows[idle[:16]][1:4] == ["acme", "live", "*"] and rows[idle[:16]][5:7] == ["-", "-"]
    assert rows[idle[:16]][8:] == ["billing", "sync"]
    assert re.fullmatch(stamp, rows[gone[:16]][6])
    active = run(["keys", "list", "--active"], db).stdout
    assert gone[:16] not in active and used[:16] in active
    assert run(["keys", "list", "--org", "acme"], db).stdout.count("\n") == 2
    helptext = run(["keys", "--help"], db).stdout
    assert "keys list" in helptext and "keys revoke" in helptext and "keys create" in helptext

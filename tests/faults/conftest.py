"""Fault-test helpers: a real ``monk serve`` subprocess, an API key, and key counting in the database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from monk.keys.service import create_key, default_organization
from monk.kit.clock import Clock
from monk.kit.db import create_engine, session_factory
from tests.waiting import until_sync


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def new_key(url: str) -> str:
    """An all-scopes live key of the default organization in the database at ``url``."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            org, _ = await default_organization(s, name=None, now=Clock().now())
            key = await create_key(s, org_id=org.id, mode="live", scopes=["*"], now=Clock().now())
            await s.commit()
            return key
    finally:
        await engine.dispose()


async def stored_keys(url: str) -> dict[str, int]:
    """Idempotency key → number of stored rows, for every event in the database."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(text(
                "SELECT idempotency_key, count(*) FROM events GROUP BY idempotency_key"))).all()
            return {k: n for k, n in rows}
    finally:
        await engine.dispose()


@dataclass
class Server:
    """A running ``monk serve`` subprocess."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
        self.proc.wait(timeout=15)


def start_server(url: str, tmp_path: Path, *, timeout: float = 30.0, worker: bool = False,
                 extra_env: dict[str, str] | None = None) -> Server:
    """Start ``monk serve --no-worker`` on a free port against ``url`` and wait until it is ready;
    ``worker=True`` runs the in-process worker and webhook dispatcher instead. ``extra_env`` adds to
    (or overrides) the server's environment, e.g. ``MONK_WEBHOOK_TIMEOUT_SECONDS``."""
    port = free_port()
    log = tmp_path / f"server-{port}.log"
    env = {**os.environ, "MONK_DATABASE_URL": url, "MONK_LOG_LEVEL": "warning", "MONK_RATE_LIMIT_PER_MINUTE": "0",
           **(extra_env or {})}
    args = ["serve", "--port", str(port)] + ([] if worker else ["--no-worker"])
    with open(log, "wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from monk.cli import app; app()", *args],
            env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(proc, port, log)

    def ready() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {log.read_text()[-2000:]}")
        try:
            return httpx.get(server.base + "/health/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False
    try:
        until_sync(ready, timeout, what="the server answers /health/ready", interval=0.1)
    except AssertionError:
        server.kill()
        raise
    return server


@pytest.fixture
def serve(database_url: str, tmp_path: Path) -> Iterator[Server]:
    """A real server on the test database, killed at the end of the test."""
    server = start_server(database_url, tmp_path)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.kill()

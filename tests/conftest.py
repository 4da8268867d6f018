"""Shared fixtures: a migrated database per test (SQLite always, PostgreSQL when
``MONK_TEST_DATABASE_URL`` is set), the real app over HTTP, an injectable clock and the worker."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import text

from monk.app import create_app
from monk.keys.service import create_key, default_organization
from monk.kit.clock import FrozenClock
from monk.kit.db import create_engine
from monk.kit.migrate import upgrade
from monk.kit.secrets import new_key
from monk.settings import Settings
from tests.peers.ports import free_port
from tests.peers.stripe import StripePeer, stripe_peer
from tests.waiting import until

pytest_plugins = ["tests.storage"]  # session, who, stranger: the repository tests' fixtures

PG_URL = os.environ.get("MONK_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
SECRET_KEY = new_key()  # MONK_SECRET_KEY of the test app


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once with the real migrations; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_migrated() -> bool:
    """Migrate the PostgreSQL test database once per session (when configured)."""
    if PG_URL:
        upgrade(PG_URL)
    return bool(PG_URL)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path, pg_migrated: bool) -> str:
    """A clean, migrated database for one test."""
    if request.param == "sqlite":
        path = tmp_path / "monk.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    asyncio.run(_truncate_pg(PG_URL))
    return PG_URL


async def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        names = (await conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        ))).scalars().all()
        if names:
            await conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
    await engine.dispose()


@pytest.fixture(scope="session")
def stripe_server() -> Iterator[StripePeer]:
    """One localstripe server for the session (``tests.peers.stripe``)."""
    with stripe_peer() as peer:
        yield peer


@pytest.fixture
def stripe_api(stripe_server: StripePeer) -> StripePeer:
    """The localstripe server, emptied for this test: point a Stripe connection's ``apiBase`` at
    ``stripe_api.base``."""
    stripe_server.reset()
    return stripe_server


@pytest.fixture
def clock() -> FrozenClock:
    """The app's clock, frozen at 2026-01-15 12:00 UTC; tests move it."""
    return FrozenClock(START)


class Api:
    """An HTTP client for the real app, authenticated with one key (``*`` scope by default)."""

    def __init__(self, client: httpx.AsyncClient, key: str) -> None:
        self.client = client
        self.key = key

    def _h(self, key: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {key or self.key}"}

    async def get(self, path: str, *, key: str | None = None, **params: object) -> httpx.Response:
        return await self.client.get(path, params=params or None, headers=self._h(key))

    async def post(self, path: str, json: object = None, *, key: str | None = None) -> httpx.Response:
        return await self.client.post(path, json=json, headers=self._h(key))

    async def patch(self, path: str, json: object = None, *, key: str | None = None) -> httpx.Response:
        return await self.client.patch(path, json=json, headers=self._h(key))

    async def put(self, path: str, json: object = None, *, key: str | None = None) -> httpx.Response:
        return await self.client.put(path, json=json, headers=self._h(key))

    async def delete(self, path: str, *, key: str | None = None) -> httpx.Response:
        return await self.client.delete(path, headers=self._h(key))

    async def new_key(self, scopes: list[str], *, mode: str = "live", org: str | None = None) -> str:
        """Create another key (in another organization when ``org`` names a new one)."""
        app = self.client._transport.app  # type: ignore[attr-defined]
        async with app.state.sessions() as s:
            o, _ = await default_organization(s, name=org, now=app.state.clock.now())
            key = await create_key(s, org_id=o.id, mode=mode, scopes=scopes, now=app.state.clock.now())
            await s.commit()
        return key


@pytest.fixture
async def app(database_url: str, clock: FrozenClock) -> AsyncIterator[object]:
    """The real app on the test database, worker not started (tests drain it explicitly), rate
    limiting off (one test client makes far more than 100 requests a minute), ``SECRET_KEY`` sealing
    stored secrets."""
    application = create_app(Settings(database_url=database_url, rate_limit_per_minute=0, secret_key=SECRET_KEY),
                             clock=clock, run_worker=False)
    yield application
    await application.state.engine.dispose()


@pytest.fixture
async def api(app: object) -> AsyncIterator[Api]:
    """An ``Api`` with a live ``*`` key of the default organization."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://monk.test") as client:
        helper = Api(client, "")
        helper.key = await helper.new_key(["*"])
        yield helper


@pytest.fixture
def worker(app: object, clock: FrozenClock):  # noqa: ANN201
    """The worker over the app's database; ``await worker.drain()`` runs it until idle."""
    from monk.worker.runner import Worker

    return Worker(app.state.sessions, clock=clock, settings=app.state.settings)  # type: ignore[attr-defined]


def assert_error(resp: httpx.Response, status: int, code: str | None = None) -> dict:
    """Assert ``resp`` is an error in the documented envelope; return its ``error`` object."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.fixture
async def served(app: object) -> AsyncIterator[str]:
    """The app listening on a free loopback port → its base URL (``http://127.0.0.1:PORT``): for peers
    that call it (Stripe's webhooks) and for the browser tests."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",  # type: ignore[arg-type]
                                          lifespan="off"))
    task = asyncio.create_task(server.serve())
    await until(lambda: server.started, 10, what="the app serving on loopback")
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task

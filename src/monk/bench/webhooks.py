"""``monk bench-webhooks``: how fast the dispatcher delivers webhooks, and what one hanging endpoint
costs the others (docs/benchmarks.md, "Webhook delivery").

The receiver is its own process (uvicorn on 127.0.0.1): every path answers 200 at once, except
``/hang/…``, which never answers. Two scenarios on a fresh database each (SQLite by default, the
PostgreSQL database named by ``MONK_BENCH_DATABASE_URL`` otherwise, dropped and created again):

A. ``endpoints`` fast endpoints, a backlog of ``deliveries`` deliveries written through the outbox
   (each event fans out to every endpoint), sent by ``Dispatcher.drain`` with the default settings
   (64 attempts at once, 4 per endpoint, 10 s timeout): deliveries per second.
B. the same, plus one endpoint at ``/hang/0`` subscribed to every event: the dispatcher runs its loop
   until every delivery to the fast endpoints succeeded; their deliveries per second against A's.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from monk.bench.runner import Database, _free_port
from monk.keys.service import default_organization
from monk.kit.clock import Clock
from monk.kit.db import create_engine, session_factory
from monk.kit.ids import new_id
from monk.models import WebhookDelivery, WebhookEndpoint
from monk.models.statuses import DeliveryStatus
from monk.settings import Settings
from monk.webhooks import outbox
from monk.webhooks.dispatch import Dispatcher
from monk.webhooks.signature import new_secret

RECEIVER = """
import asyncio, sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    if scope["path"].startswith("/hang/"):
        await asyncio.sleep(3600)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})

uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
            lifespan="off", timeout_keep_alive=30)
"""


def start_receiver() -> tuple[subprocess.Popen[bytes], int]:
    """The receiver process and its port, once it answers."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://127.0.0.1:{port}/ready", timeout=1)
            return proc, port
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the benchmark receiver did not start")


async def _backlog(url: str, port: int, *, deliveries: int, endpoints: int, hanging: bool) -> list[str]:
    """Endpoints and a backlog of ``deliveries`` deliveries to the fast ones; returns the fast endpoints' ids."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    now = Clock().now()
    try:
        async with sessions() as session:
            org, _ = await default_organization(session, name=None, now=now)
            rows = [WebhookEndpoint(id=new_id(), org_id=org.id, mode="live", url=f"http://127.0.0.1:{port}/fast/{i}",
                                    event_types=["*"], enabled=True, secret=new_secret(), created_at=now,
                                    updated_at=now) for i in range(endpoints)]
            if hanging:
                rows.append(WebhookEndpoint(id=new_id(), org_id=org.id, mode="live",
                                            url=f"http://127.0.0.1:{port}/hang/0", event_types=["*"], enabled=True,
                                            secret=new_secret(), created_at=now, updated_at=now))
            session.add_all(rows)
            await session.commit()
            for i in range(deliveries // endpoints):
                payload = {"id": new_id(), "name": f"Customer {i}", "createdAt": now.isoformat(),
                           "updatedAt": now.isoformat()}
                await outbox.emit(session, org_id=org.id, mode="live", event_type="customer.created",
                                  resource_id=payload["id"], payload=payload, now=now)
                if i % 200 == 199:
                    await session.commit()
            await session.commit()
        return [r.id for r in rows[:endpoints]]
    finally:
        await engine.dispose()


async def _succeeded(sessions: Any, endpoint_ids: list[str]) -> int:
    async with sessions() as session:
        return int((await session.execute(select(func.count()).select_from(WebhookDelivery).where(
            WebhookDelivery.endpoint_id.in_(endpoint_ids),
            WebhookDelivery.status == DeliveryStatus.SUCCEEDED))).scalar_one())


async def _send(url: str, fast: list[str], *, total: int, loop: bool) -> float:
    """Seconds until all ``total`` deliveries to the ``fast`` endpoints succeeded."""
    engine = create_engine(url)
    sessions = session_factory(engine)
    dispatcher = Dispatcher(sessions, clock=Clock(), settings=Settings(database_url=url))
    try:
        started = time.perf_counter()
        if not loop:
            await dispatcher.drain()
        else:
            task = asyncio.create_task(dispatcher.run_forever())
            while await _succeeded(sessions, fast) < total:  # noqa: ASYNC110 - polling the database
                await asyncio.sleep(0.05)
            dispatcher.stop()
            task.cancel()
            for attempt in list(dispatcher.tasks):  # the hanging endpoint's attempts: not waited for
                attempt.cancel()
            await asyncio.gather(task, *dispatcher.tasks, return_exceptions=True)
        elapsed = time.perf_counter() - started
        done = await _succeeded(sessions, fast)
        if done != total:
            raise RuntimeError(f"{done} of {total} deliveries succeeded")
        return elapsed
    finally:
        await dispatcher.client.aclose()
        await engine.dispose()


def scenario(database_url: str | None, *, deliveries: int, endpoints: int, hanging: bool, port: int) -> dict[str, Any]:
    """One scenario on a fresh database: its deliveries per second to the fast endpoints."""
    with tempfile.TemporaryDirectory(prefix="monk-bench-webhooks-") as tmp:
        db = Database(database_url, Path(tmp))
        db.create()
        try:
            total = deliveries // endpoints * endpoints
            fast = asyncio.run(_backlog(db.url, port, deliveries=deliveries, endpoints=endpoints, hanging=hanging))
            seconds = asyncio.run(_send(db.url, fast, total=total, loop=hanging))
            return {"database": db.describe(), "hanging": hanging, "deliveries": total, "seconds": seconds,
                    "per_second": total / seconds}
        finally:
            db.drop()


def run(database_url: str | None, *, deliveries: int = 5000, endpoints: int = 10,
        rounds: int = 2) -> list[dict[str, Any]]:
    """Scenarios A and B, ``rounds`` times each, against one receiver process."""
    proc, port = start_receiver()
    try:
        return [scenario(database_url, deliveries=deliveries, endpoints=endpoints, hanging=hanging, port=port)
                for _ in range(rounds) for hanging in (False, True)]
    finally:
        proc.kill()
        proc.wait()


def table(results: list[dict[str, Any]]) -> str:
    """The results as a small text table."""
    lines = [f"{'database':<22} {'scenario':<26} {'deliveries':>10} {'seconds':>8} {'per second':>10}"]
    for r in results:
        name = "B: one endpoint hanging" if r["hanging"] else "A: all endpoints fast"
        lines.append(f"{r['database']:<22} {name:<26} {r['deliveries']:>10} {r['seconds']:>8.2f} "
                     f"{r['per_second']:>10.0f}")
    return "\n".join(lines)

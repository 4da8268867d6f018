"""A real HTTP receiver on loopback for the webhook tests: a small ASGI app served by uvicorn in the
test process. It verifies every signature with its own HMAC code (never Monk's), records what it
got, and answers as each path is told to: a status per request in turn, then 200; or hang; at once
or after a delay."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn

HANG = -1  # a scripted "status" that never answers


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return self.headers.get("x-monk-event", "")

    @property
    def delivery_id(self) -> str:
        return self.headers.get("x-monk-delivery-id", "")


def verifies(header: str, body: bytes, secret: str) -> bool:
    """Whether ``X-Monk-Signature`` ``header`` holds a v1 HMAC-SHA256 of ``"{t}." + body`` under ``secret``."""
    parts = [p.strip().split("=", 1) for p in header.split(",") if "=" in p]
    t = [v for k, v in parts if k == "t"]
    if len(t) != 1:
        return False
    expected = hmac.new(secret.encode(), t[0].encode() + b"." + body, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")


@dataclass
class Receiver:
    """Programmable receiver: ``secrets[path]`` is the secret the path verifies with; ``script[path]``
    the statuses to answer in turn (``HANG`` never answers), 200 once it is used up; ``delay[path]``
    the seconds the path waits before answering each request (a slow receiver). ``holding`` lists the
    requests waiting out their delay: one leaves it just before its answer is sent, so a request
    still there has not been answered."""

    port: int = 0
    secrets: dict[str, str] = field(default_factory=dict)
    script: dict[str, list[int]] = field(default_factory=dict)
    delay: dict[str, float] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    holding: list[Received] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        return [r for r in self.received if r.path == path]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        path = scope["path"]
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        secret = self.secrets.get(path)
        ok = secret is not None and verifies(headers.get("x-monk-signature", ""), body, secret)
        request = Received(path, headers, body, ok)
        self.received.append(request)
        self.arrived.set()
        if self.delay.get(path):
            self.holding.append(request)
            try:
                await asyncio.sleep(self.delay[path])
            finally:
                self.holding.remove(request)
        queue = self.script.get(path) or []
        status = queue.pop(0) if queue else 200
        if status == HANG:
            await asyncio.sleep(3600)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"ok" if status < 300 else b"nope " * 1000})

    def verifies_now(self, request: Received) -> bool:
        """Whether ``request`` verifies under the secret its path holds now."""
        return verifies(request.headers.get("x-monk-signature", ""), request.body, self.secrets[request.path])

    async def wait_for(self, count: int, path: str | None = None, within: float = 10.0) -> None:
        """Until at least ``count`` requests arrived (at ``path``, or anywhere); fails after ``within`` seconds."""
        async def until() -> None:
            while len(self.at(path) if path else self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()
        await asyncio.wait_for(until(), within)


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[Receiver]:
    """A ``Receiver`` listening on 127.0.0.1 (a free port) for the duration of the block."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    receiver = Receiver(port=sock.getsockname()[1])
    config = uvicorn.Config(receiver, log_level="warning", lifespan="off", timeout_graceful_shutdown=1,
                            access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(task, 5)
        sock.close()

"""Rate limiting of the Monk API (reference §1.5): ``per_minute`` requests per client IP in each
fixed one-minute window, answered beyond that with 429 ``RATE_LIMITED`` in the error envelope and
``Retry-After`` (seconds until the window ends).

Only the Monk API is limited: paths under ``/v1/`` and the legacy ``/api/v1/``, except the Events
API (``/v1/events`` and ``/v1/events/batch``, any method), which is unlimited; so are ``/health``,
the docs and the OpenAPI document. The client IP is the ASGI ``client`` address: uvicorn sets it
from ``X-Forwarded-For`` when the proxy is trusted (``FORWARDED_ALLOW_IPS``, 127.0.0.1 by default).

Counters live in this process's memory: with N server processes a client may get up to N times the
limit. No Redis or shared store is needed, or used.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from monk.kit.errors import RateLimited, error_response

WINDOW_SECONDS = 60.0
UNLIMITED_PATHS = frozenset({"/v1/events", "/v1/events/batch"})
LIMITED_PREFIXES = ("/v1/", "/api/v1/")
UNLIMITED_PREFIXES = ("/v1/payments/stripe/webhooks/",)  # Stripe's own deliveries, verified by signature


def is_limited(path: str) -> bool:
    """Whether requests to ``path`` count against the per-IP limit (the Monk API, not the Events API
    nor Stripe's webhooks)."""
    return (path.startswith(LIMITED_PREFIXES) and path.rstrip("/") not in UNLIMITED_PATHS
            and not path.startswith(UNLIMITED_PREFIXES))


class RateLimit:
    """ASGI middleware: at most ``per_minute`` limited requests per client IP per window.

    ``now`` (monotonic seconds) is injectable for tests. Memory holds one counter per IP seen in
    the current window; counters of past windows are dropped when a new window begins.
    """

    def __init__(self, app: ASGIApp, *, per_minute: int, now: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.per_minute = per_minute
        self.now = now
        self.window = -1
        self.counts: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_limited(scope["path"]):
            await self.app(scope, receive, send)
            return
        now = self.now()
        window = int(now // WINDOW_SECONDS)
        if window != self.window:
            self.window, self.counts = window, {}
        client = scope.get("client")
        ip = client[0] if client else ""
        count = self.counts.get(ip, 0) + 1
        self.counts[ip] = count
        if count <= self.per_minute:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        response = error_response(RateLimited(f"Rate limit of {self.per_minute} requests per minute exceeded; "
                                              f"retry after {retry_after} seconds",
                                              headers={"Retry-After": str(retry_after)}))
        await response(scope, receive, send)

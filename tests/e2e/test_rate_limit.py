"""Rate limiting (reference §1.5): the Monk API takes ``MONK_RATE_LIMIT_PER_MINUTE`` requests per
client IP per minute, then 429 ``RATE_LIMITED`` with ``Retry-After``; the Events API and the health
checks are unlimited; 0 turns it off."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from monk.app import create_app
from monk.kit.clock import FrozenClock
from monk.kit.ratelimit import RateLimit, is_limited
from monk.settings import Settings
from tests.conftest import Api, assert_error

EVENT = {"eventName": "api_call", "externalCustomerId": "corp"}


@pytest.fixture
async def limited(database_url: str, clock: FrozenClock) -> AsyncIterator[Callable[[str], Api]]:
    """The real app limited to 3 requests a minute; ``limited(ip)`` gives an ``Api`` from that IP
    (all with one live ``*`` key)."""
    app = create_app(Settings(database_url=database_url, rate_limit_per_minute=3), clock=clock, run_worker=False)
    clients: list[httpx.AsyncClient] = []
    apis: dict[str, Api] = {}

    def for_ip(ip: str) -> Api:
        if ip not in apis:
            transport = httpx.ASGITransport(app=app, client=(ip, 1234))  # type: ignore[arg-type]
            clients.append(httpx.AsyncClient(transport=transport, base_url="http://monk.test"))
            apis[ip] = Api(clients[-1], key)
        return apis[ip]

    key = ""
    key = for_ip("10.0.0.1").key = await for_ip("10.0.0.1").new_key(["*"])
    yield for_ip
    for c in clients:
        await c.aclose()
    await app.state.engine.dispose()


async def test_the_monk_api_is_limited_per_client_ip(limited: Callable[[str], Api]) -> None:
    api = limited("10.0.0.1")
    for _ in range(3):
        assert (await api.get("/v1/customers")).status_code == 200
    refused = await api.get("/v1/customers")
    err = assert_error(refused, 429, "RATE_LIMITED")
    assert "3 requests per minute" in err["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    # Every Monk API path counts, the legacy one too; nothing is served past the limit.
    assert_error(await api.post("/v1/customers", {"name": "x", "contacts": []}), 429, "RATE_LIMITED")
    assert_error(await api.post("/api/v1/usages", {}), 429, "RATE_LIMITED")
    # Another client IP has its own allowance.
    assert (await limited("10.0.0.2").get("/v1/customers")).status_code == 200


async def test_events_api_and_health_are_not_limited(limited: Callable[[str], Api]) -> None:
    api = limited("10.0.0.1")
    for i in range(10):
        assert (await api.post("/v1/events", {**EVENT, "idempotencyKey": f"k{i}"})).status_code == 202
        assert (await api.post("/v1/events/batch", {"events": [{**EVENT, "idempotencyKey": f"b{i}"}]})).status_code \
            == 202
        assert (await api.get("/v1/events")).status_code == 200
        assert (await api.client.get("/health/live")).status_code == 200
    assert (await api.get("/v1/events")).json()["total"] == 20
    for _ in range(3):
        assert (await api.get("/v1/meters")).status_code == 200
    assert_error(await api.get("/v1/meters"), 429, "RATE_LIMITED")


async def test_zero_turns_rate_limiting_off(api: Api) -> None:
    """The ``api`` fixture's app runs with ``rate_limit_per_minute=0``."""
    for _ in range(110):
        assert (await api.get("/v1/plans")).status_code == 200


def test_the_limit_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().rate_limit_per_minute == 100
    monkeypatch.setenv("MONK_RATE_LIMIT_PER_MINUTE", "0")
    assert Settings().rate_limit_per_minute == 0
    monkeypatch.setenv("MONK_RATE_LIMIT_PER_MINUTE", "-1")
    with pytest.raises(ValueError):
        Settings()


def test_limited_paths() -> None:
    assert is_limited("/v1/customers") and is_limited("/v1/contracts/x/cancel") and is_limited("/api/v1/usages")
    assert is_limited("/v1/pricing/estimate") and is_limited("/v1/events-x")
    assert not is_limited("/v1/events") and not is_limited("/v1/events/batch") and not is_limited("/v1/events/")
    assert not is_limited("/health/ready") and not is_limited("/docs") and not is_limited("/openapi.json")


async def test_windows_reset_and_retry_after_counts_down() -> None:
    """One-minute fixed windows: 2 allowed, the third waits for the window's end."""
    served: list[str] = []

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        served.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    now = [120.0 + 15.5]  # 15.5 s into a window
    limiter = RateLimit(app, per_minute=2, now=lambda: now[0])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=limiter), base_url="http://t") as client:
        assert [(await client.get("/v1/plans")).status_code for _ in range(2)] == [200, 200]
        refused = await client.get("/v1/plans")
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "45"
        now[0] = 179.9
        assert (await client.get("/v1/plans")).headers["Retry-After"] == "1"
        now[0] = 180.0  # a new window
        assert (await client.get("/v1/plans")).status_code == 200
    assert len(served) == 3

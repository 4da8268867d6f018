"""Request body limits: an oversized body is refused with 413 in the error envelope, nothing is
stored, and bodies within the limit are served as usual (declared and chunked bodies alike)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from monk.app import create_app
from monk.kit.clock import FrozenClock
from monk.settings import Settings
from tests.conftest import Api, assert_error

LIMIT, BATCH_LIMIT = 2_000, 6_000


@pytest.fixture
async def small(database_url: str, clock: FrozenClock) -> AsyncIterator[Api]:
    """The real app with small body limits, and an ``Api`` holding a live ``*`` key."""
    app = create_app(Settings(database_url=database_url, max_body_bytes=LIMIT, max_batch_body_bytes=BATCH_LIMIT),
                     clock=clock, run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://monk.test") as client:
        helper = Api(client, "")
        helper.key = await helper.new_key(["*"])
        yield helper
    await app.state.engine.dispose()


def _event(key: str, padding: int) -> dict[str, object]:
    return {"eventName": "api_call", "externalCustomerId": "corp", "idempotencyKey": key,
            "properties": {"note": "x" * padding}}


def _chunks(body: bytes, size: int = 500) -> AsyncIterator[bytes]:
    async def gen() -> AsyncIterator[bytes]:
        for i in range(0, len(body), size):
            yield body[i:i + size]
    return gen()


async def _post_raw(api: Api, path: str, body: bytes, *, chunked: bool) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"}
    content = _chunks(body) if chunked else body
    return await api.client.post(path, content=content, headers=headers)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_oversized_single_event_is_refused_and_not_stored(small: Api, chunked: bool) -> None:
    body = json.dumps(_event("big", LIMIT)).encode()
    r = await _post_raw(small, "/v1/events", body, chunked=chunked)
    err = assert_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert str(LIMIT) in err["message"]
    assert (await small.get("/v1/events")).json()["total"] == 0
    fits = json.dumps(_event("small", 100)).encode()
    assert (await _post_raw(small, "/v1/events", fits, chunked=chunked)).status_code == 202
    assert (await small.get("/v1/events")).json()["total"] == 1


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_batch_has_its_own_larger_limit(small: Api, chunked: bool) -> None:
    within = json.dumps({"events": [_event(f"b{i}", 400) for i in range(8)]}).encode()
    assert LIMIT < len(within) <= BATCH_LIMIT
    r = await _post_raw(small, "/v1/events/batch", within, chunked=chunked)
    assert r.status_code == 202, r.text
    over = json.dumps({"events": [_event(f"c{i}", 400) for i in range(20)]}).encode()
    assert len(over) > BATCH_LIMIT
    assert_error(await _post_raw(small, "/v1/events/batch", over, chunked=chunked), 413, "PAYLOAD_TOO_LARGE")
    assert (await small.get("/v1/events")).json()["total"] == 8


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_oversized_body_on_the_monk_api_is_refused(small: Api, chunked: bool) -> None:
    body = json.dumps({"name": "Corp", "externalCustomerId": "corp", "metadata": {"note": "x" * LIMIT}}).encode()
    assert_error(await _post_raw(small, "/v1/customers", body, chunked=chunked), 413, "PAYLOAD_TOO_LARGE")
    assert (await small.get("/v1/customers")).json()["total"] == 0

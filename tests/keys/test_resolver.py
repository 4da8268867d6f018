"""One key resolver for both ways in (``monk.keys.service.KeyResolver``): a key revoked in another
process keeps working for at most ``Settings.key_cache_seconds`` on the Monk API and on the Events API
fast path alike, then both refuse it; a key revoked in this process is refused at once on both."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from monk.keys import repository
from monk.keys.service import revoke
from monk.kit.auth import hash_key
from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error

EVENT = {"eventName": "api_call", "externalCustomerId": "someone"}


async def _both_paths(api: Api, key: str, n: int) -> tuple[int, int]:
    monk_api = await api.get("/v1/customers", key=key)
    events_api = await api.post("/v1/events", {**EVENT, "idempotencyKey": f"k-{n}"}, key=key)
    return monk_api.status_code, events_api.status_code


async def test_a_key_revoked_elsewhere_is_refused_on_both_paths_once_the_bound_has_passed(
        api: Api, app: Any, clock: FrozenClock) -> None:
    bound = timedelta(seconds=app.state.settings.key_cache_seconds)
    assert bound == timedelta(seconds=2)  # the documented default
    key = await api.new_key(["customers:read", "usage:write"])
    assert await _both_paths(api, key, 1) == (200, 202)
    async with app.state.sessions() as s:  # what `monk keys revoke` does from another process
        assert await repository.revoke_prefix(s, key[:16], clock.now()) == 1
        await s.commit()
    clock.advance(bound - timedelta(milliseconds=1))
    assert await _both_paths(api, key, 2) == (200, 202)  # within the bound: still cached
    clock.advance(timedelta(milliseconds=1))
    for r in (await api.get("/v1/customers", key=key),
              await api.post("/v1/events", {**EVENT, "idempotencyKey": "k-3"}, key=key)):
        assert assert_error(r, 401, "UNAUTHORIZED")["message"] == "API key has been revoked"


async def test_a_key_revoked_in_this_process_is_refused_at_once_on_both_paths(
        api: Api, app: Any, clock: FrozenClock) -> None:
    key = await api.new_key(["customers:read", "usage:write"])
    assert await _both_paths(api, key, 1) == (200, 202)
    async with app.state.sessions() as s:
        assert await revoke(s, key, clock.now()) == 1
        await s.commit()
    for r in (await api.get("/v1/customers", key=key),
              await api.post("/v1/events", {**EVENT, "idempotencyKey": "k-2"}, key=key)):
        assert assert_error(r, 401, "UNAUTHORIZED")["message"] == "API key has been revoked"


async def test_both_paths_share_one_policy_and_one_cache(api: Api, app: Any) -> None:
    reader = await api.new_key(["customers:read"])
    assert (await api.get("/v1/customers", key=reader)).status_code == 200
    err = assert_error(await api.post("/v1/events", {**EVENT, "idempotencyKey": "x"}, key=reader), 403, "FORBIDDEN")
    assert err["message"] == "API key does not have the required permission: usage:write"
    cached = [h for h in app.state.keys.entries if reader in h]
    assert len(cached) == 1  # the Monk API's lookup served the fast path too


async def test_an_expired_key_is_refused_at_once_even_when_cached(api: Api, app: Any, clock: FrozenClock) -> None:
    key = await api.new_key(["customers:read"])
    async with app.state.sessions() as s:
        row = await repository.by_hash(s, hash_key(key))
        assert row is not None
        row.expires_at = clock.now() + timedelta(milliseconds=500)
        await s.commit()
    assert (await api.get("/v1/customers", key=key)).status_code == 200
    clock.advance(timedelta(milliseconds=500))
    err = assert_error(await api.get("/v1/customers", key=key), 401, "UNAUTHORIZED")
    assert err["message"] == "API key has expired"

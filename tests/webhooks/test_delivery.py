"""Webhook delivery end to end (reference §13.1): a real receiver on loopback verifies every signature
with its own HMAC code; the clock is injected, so backoff is checked without sleeping."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from monk.kit.clock import FrozenClock
from monk.webhooks.dispatch import Dispatcher
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import HANG, Receiver


async def _deliveries(api: Api, **filters: Any) -> list[dict[str, Any]]:
    r = await api.get("/v1/webhooks/deliveries", limit=100, **filters)
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_a_customer_event_arrives_signed_with_the_documented_headers(
        api: Api, receiver: Receiver, dispatcher: Dispatcher) -> None:
    endpoint = await subscribe(api, receiver, "/hooks", ["customer.created"])
    assert endpoint["secret"].startswith("whsec_") and endpoint["enabled"] is True
    got = (await api.get(f"/v1/webhooks/endpoints/{endpoint['id']}")).json()["data"]
    assert "secret" not in got  # shown once
    alice = await s.customer(api, "Alice Apps", "alice")
    await s.customer(api, "Bob Builds", "bob")
    assert await dispatcher.drain() == 2
    got = receiver.at("/hooks")
    assert len(got) == 2 and all(r.verified for r in got)
    first = next(r for r in got if r.json["id"] == alice["id"])  # delivery is unordered
    second = next(r for r in got if r is not first)
    assert first.headers["content-type"] == "application/json"
    assert first.headers["user-agent"] == "Monk-Webhook/1.0"
    assert first.event == "customer.created"
    assert first.json == (await api.get(f"/v1/customers/{alice['id']}")).json()["data"]
    assert {first.delivery_id, second.delivery_id} == {d["id"] for d in await _deliveries(api)}
    log = await _deliveries(api, resourceId=alice["id"])
    assert [(d["status"], d["attemptCount"], d["attempts"][0]["statusCode"]) for d in log] == [("succeeded", 1, 200)]


async def test_a_receiver_that_fails_three_times_gets_four_attempts_with_one_delivery_id(
        api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: FrozenClock) -> None:
    await subscribe(api, receiver, "/flaky", ["customer.created"])
    receiver.script["/flaky"] = [500, 503, 404]
    await s.customer(api, "Alice Apps", "alice")
    waits = []
    for _ in range(3):
        assert await dispatcher.drain() == 1
        [d] = await _deliveries(api)
        assert d["status"] == "pending"
        last = d["attempts"][-1]
        wait = (datetime.fromisoformat(d["nextAttemptAt"])
                - datetime.fromisoformat(last["attemptedAt"])).total_seconds()
        waits.append(wait)
        assert await dispatcher.drain() == 0  # not due before its backoff
        clock.advance(timedelta(seconds=wait + 0.001))  # the API shows milliseconds
    assert await dispatcher.drain() == 1
    for w, nominal in zip(waits, (15, 30, 60), strict=True):
        assert 0.8 * nominal <= w <= 1.2 * nominal  # ≈ 15 s, 30 s, 1 min with jitter
    [d] = await _deliveries(api)
    assert (d["status"], d["attemptCount"]) == ("succeeded", 4)
    assert [a["statusCode"] for a in d["attempts"]] == [500, 503, 404, 200]
    assert len(d["attempts"][0]["responseBody"].encode()) <= 2048
    assert {r.delivery_id for r in receiver.at("/flaky")} == {d["id"]}
    assert all(r.verified for r in receiver.at("/flaky"))


async def test_a_receiver_that_always_fails_gets_six_attempts_then_the_endpoint_is_disabled(
        api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: FrozenClock) -> None:
    endpoint = await subscribe(api, receiver, "/down", ["customer.created", "customer.updated"])
    receiver.script["/down"] = [500] * 100
    alice = await s.customer(api, "Alice Apps", "alice")
    for _ in range(6):
        assert await dispatcher.drain() == 1
        clock.advance(timedelta(minutes=6))
    [d] = await _deliveries(api)
    assert (d["status"], d["attemptCount"], d["nextAttemptAt"]) == ("failed", 6, None)
    assert (await api.get(f"/v1/webhooks/endpoints/{endpoint['id']}")).json()["data"]["enabled"] is True
    clock.advance(timedelta(days=3))
    assert (await api.patch(f"/v1/customers/{alice['id']}", {"name": "Alice"})).status_code == 200
    assert await dispatcher.drain() == 1  # still failing three days after the first failure: disabled
    got = (await api.get(f"/v1/webhooks/endpoints/{endpoint['id']}")).json()["data"]
    assert got["enabled"] is False and "3 days" in got["disabledReason"]
    await s.customer(api, "Bob Builds", "bob")
    assert await dispatcher.drain() == 0  # a disabled endpoint gets nothing
    # Enabling it again clears the reason; the pending delivery resumes.
    r = await api.patch(f"/v1/webhooks/endpoints/{endpoint['id']}", {"enabled": True})
    assert r.json()["data"]["disabledReason"] is None
    receiver.script["/down"] = []
    clock.advance(timedelta(minutes=1))
    assert await dispatcher.drain() == 1
    assert (await _deliveries(api, status="pending")) == []


async def test_a_hanging_receiver_times_out_and_others_keep_receiving(
        api: Api, receiver: Receiver, dispatcher: Dispatcher) -> None:
    await subscribe(api, receiver, "/hang", ["customer.created"])
    await subscribe(api, receiver, "/fast", ["customer.created"])
    receiver.script["/hang"] = [HANG] * 100
    for i in range(6):
        await s.customer(api, f"Customer {i}", f"c{i}")
    dispatcher.settings = dispatcher.settings.model_copy(update={"webhook_endpoint_concurrency": 2})
    sending = asyncio.create_task(dispatcher.drain())
    # All six reach the fast endpoint while the hanging one holds its share of two (1 s timeout).
    await receiver.wait_for(6, "/fast", within=0.9)
    assert len(receiver.at("/hang")) == 2
    await sending
    fast = await _deliveries(api, endpointId=await _endpoint_id(api, receiver, "/fast"))
    assert [d["status"] for d in fast] == ["succeeded"] * 6
    hung = await _deliveries(api, endpointId=await _endpoint_id(api, receiver, "/hang"))
    assert sum(d["attemptCount"] for d in hung) == 6  # each attempted once, two at a time
    assert {d["attempts"][0]["error"] for d in hung} == {"Timed out after 1 s"}
    assert {d["status"] for d in hung} == {"pending"}  # to be retried


async def _endpoint_id(api: Api, receiver: Receiver, path: str) -> str:
    endpoints = (await api.get("/v1/webhooks/endpoints")).json()["data"]
    return next(e["id"] for e in endpoints if e["url"] == receiver.url(path))


async def test_manual_retry_resends_now_with_the_same_delivery_id(
        api: Api, receiver: Receiver, dispatcher: Dispatcher) -> None:
    await subscribe(api, receiver, "/hooks", ["customer.created"])
    await s.customer(api, "Alice Apps", "alice")
    await dispatcher.drain()
    [d] = await _deliveries(api)
    r = await api.post(f"/v1/webhooks/deliveries/{d['id']}/retry")
    assert r.status_code == 202 and r.json()["data"]["status"] == "pending"
    assert await dispatcher.drain() == 1
    assert [x.delivery_id for x in receiver.at("/hooks")] == [d["id"], d["id"]]
    [d] = await _deliveries(api)
    assert (d["status"], d["attemptCount"]) == ("succeeded", 2)
    assert_error(await api.post("/v1/webhooks/deliveries/nope/retry"), 404, "NOT_FOUND")


async def test_ping_and_secret_rotation(api: Api, receiver: Receiver, dispatcher: Dispatcher,
                                        clock: FrozenClock) -> None:
    endpoint = await subscribe(api, receiver, "/hooks", ["customer.created"])
    old = endpoint["secret"]
    r = await api.post(f"/v1/webhooks/endpoints/{endpoint['id']}/test")
    assert r.status_code == 202, r.text
    assert r.json()["data"]["eventType"] == "ping"
    await dispatcher.drain()
    [ping] = receiver.at("/hooks")
    assert ping.event == "ping" and ping.verified and ping.json["endpointId"] == endpoint["id"]
    rotated = (await api.post(f"/v1/webhooks/endpoints/{endpoint['id']}/rotate-secret")).json()["data"]
    new = rotated["secret"]
    assert new != old and rotated["previousSecretExpiresAt"]
    await s.customer(api, "Alice Apps", "alice")
    await dispatcher.drain()
    during = receiver.at("/hooks")[-1]
    receiver.secrets["/hooks"] = old
    assert receiver.verifies_now(during)
    receiver.secrets["/hooks"] = new
    assert receiver.verifies_now(during)
    clock.advance(timedelta(hours=24, seconds=1))
    await s.customer(api, "Bob Builds", "bob")
    await dispatcher.drain()
    after = receiver.at("/hooks")[-1]
    assert receiver.verifies_now(after)
    receiver.secrets["/hooks"] = old
    assert not receiver.verifies_now(after)  # the overlap is over

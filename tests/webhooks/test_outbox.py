"""The transactional outbox: a rolled-back change sends nothing; usage-driven changes of a draft are
coalesced to one ``invoice.updated`` per invoice per minute, carrying the latest state; old log
entries are pruned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from monk.customers import service as customers
from monk.customers.schemas import CustomerCreate
from monk.invoices import notices
from monk.keys.service import default_organization
from monk.kit.auth import Principal
from monk.kit.clock import FrozenClock
from monk.webhooks.dispatch import Dispatcher
from tests.conftest import Api
from tests.e2e import scenario as s
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver


async def test_a_rolled_back_change_sends_nothing(app: Any, api: Api, receiver: Receiver,
                                                  dispatcher: Dispatcher, clock: FrozenClock) -> None:
    await subscribe(api, receiver, "/hooks")
    async with app.state.sessions() as session:
        org, _ = await default_organization(session, name=None, now=clock.now())
        principal = Principal(org_id=org.id, mode="live", scopes=frozenset({"*"}), key_id="k")
        body = CustomerCreate.model_validate({"name": "Ghost", "contacts": [
            {"email": "g@ghost.example", "roles": ["billing"]}]})
        await customers.create(session, principal, body, clock.now(), rematch_window=timedelta(days=1), server_key="")
        await session.rollback()
    assert await dispatcher.drain() == 0
    assert (await api.get("/v1/webhooks/deliveries")).json()["total"] == 0
    # The same change committed is delivered.
    await s.customer(api, "Alice Apps", "alice")
    assert await dispatcher.drain() == 1


async def test_usage_driven_updates_are_coalesced_to_one_per_minute_with_the_latest_state(
        api: Api, receiver: Receiver, dispatcher: Dispatcher, worker: Any, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    m = await s.meter(api, "API_CALL", "call_count")
    calls = await s.usage_price(api, "API Calls", m["id"], "0.10")
    plan = await s.plan(api, "payg", [calls["id"]])
    alice = await s.customer(api, "Alice Apps", "alice")
    contract = await s.contract(api, alice["id"], plan["id"], "2026-03-01", "2026-05-01")
    await worker.drain()
    await subscribe(api, receiver, "/hooks", ["invoice.updated"])
    april = next(i for i in await s.invoices(api, contract["id"]) if i["invoiceDate"] == "2026-04-01")

    async def batch(n: int, tag: str) -> None:
        await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"{tag}-{i}",
                            "timestamp": "2026-03-04T10:00:00Z"} for i in range(n)])
        await worker.drain()

    clock.advance(timedelta(minutes=5))
    for n, tag in ((10, "a"), (20, "b"), (30, "c")):  # three changes within one minute
        await batch(n, tag)
        clock.advance(timedelta(seconds=10))
    await worker.drain()
    await dispatcher.drain()
    assert [(r.json["id"], r.json["totalCents"]) for r in receiver.at("/hooks")] == [(april["id"], 100)]
    # The next changes wait for the minute since the last one, then go as one, with the latest total.
    await batch(5, "d")
    await batch(5, "e")
    await dispatcher.drain()
    assert len(receiver.at("/hooks")) == 1
    clock.advance(timedelta(seconds=61))
    await worker.drain()
    await dispatcher.drain()
    assert [r.json["totalCents"] for r in receiver.at("/hooks")] == [100, 700]
    # Nothing changed: nothing more is sent.
    clock.advance(timedelta(minutes=5))
    await worker.drain()
    assert await dispatcher.drain() == 0


async def test_finished_deliveries_are_pruned_after_the_retention(
        api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: FrozenClock) -> None:
    await subscribe(api, receiver, "/hooks", ["customer.created"])
    await s.customer(api, "Alice Apps", "alice")
    await dispatcher.drain()
    clock.advance(timedelta(days=29))
    await s.customer(api, "Bob Builds", "bob")
    await dispatcher.drain()
    assert await dispatcher.prune() == 0
    clock.advance(timedelta(days=1, seconds=1))
    assert await dispatcher.prune() == 1
    [left] = (await api.get("/v1/webhooks/deliveries")).json()["data"]
    assert left["payload"]["name"] == "Bob Builds" and left["attempts"]


async def test_a_notice_that_cannot_be_written_is_postponed_alone(
        api: Api, receiver: Receiver, dispatcher: Dispatcher, worker: Any, clock: FrozenClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    m = await s.meter(api, "API_CALL", "call_count")
    plan = await s.plan(api, "payg", [(await s.usage_price(api, "API Calls", m["id"], "0.10"))["id"]])
    contracts = {}
    for name in ("alice", "bob"):
        c = await s.customer(api, name.title(), name)
        contracts[name] = await s.contract(api, c["id"], plan["id"], "2026-03-01", "2026-05-01")
    await worker.drain()
    await subscribe(api, receiver, "/hooks", ["invoice.updated"])
    broken = {i["id"] for i in await s.invoices(api, contracts["alice"]["id"])}
    real_payload = notices.payload

    async def payload(session: Any, inv: Any) -> dict[str, Any]:
        if inv.id in broken:
            raise RuntimeError("cannot render")
        return await real_payload(session, inv)

    monkeypatch.setattr(notices, "payload", payload)
    await s.send(api, [{"eventName": "call_count", "externalCustomerId": who, "idempotencyKey": f"{who}-{i}",
                        "timestamp": "2026-03-04T10:00:00Z"} for who in ("alice", "bob") for i in range(3)])
    await worker.drain()
    clock.advance(timedelta(minutes=2))
    await worker.drain()
    await dispatcher.drain()
    assert [r.json["contractId"] for r in receiver.at("/hooks")] == [contracts["bob"]["id"]]
    monkeypatch.setattr(notices, "payload", real_payload)
    clock.advance(timedelta(minutes=11))  # the postponed one is tried again
    await worker.drain()
    await dispatcher.drain()
    assert [r.json["contractId"] for r in receiver.at("/hooks")] == [contracts["bob"]["id"], contracts["alice"]["id"]]

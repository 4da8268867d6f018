"""Stripe's webhooks (concepts §18; getting paid, item 6), delivered by the Stripe peer to the app over
real HTTP and verified with the connection's signing secret: a payment Stripe settles later (In
Transit → Paid), refunds, duplicates that change nothing, forged deliveries refused, detached methods
forgotten."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import stripe as stripe_sdk

from monk.kit.clock import FrozenClock
from monk.webhooks.dispatch import Dispatcher
from tests.conftest import Api
from tests.payments import flow
from tests.peers.stripe import StripePeer
from tests.peers.stripe_objects import WEBHOOK_SECRET, client
from tests.waiting import until
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import serving


async def _status(api: Api, invoice_id: str) -> str:
    return str((await api.get(f"/v1/invoices/{invoice_id}")).json()["data"]["status"])


def _signed(payload: dict[str, Any], secret: str = WEBHOOK_SECRET) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    t = int(time.time())
    signature = stripe_sdk.WebhookSignature._compute_signature(f"{t}.{body.decode()}", secret)
    return body, f"t={t},v1={signature}"


async def test_duplicate_and_forged_webhooks(api: Api, app: Any, worker: Any, clock: FrozenClock,
                                             stripe_api: StripePeer, served: str) -> None:
    pro = await flow.pro_customer(api, stripe_api, clock)
    async with serving() as receiver:
        await subscribe(api, receiver, "/monk", ["invoice.updated", "contract.updated", "customer.updated"])
        await _refund_by_webhook(api, app, worker, clock, stripe_api, served, pro)
        dispatcher = Dispatcher(app.state.sessions, clock=clock, settings=app.state.settings)
        try:
            await dispatcher.drain()
        finally:
            await dispatcher.close()
        march_updates = [r.json["status"] for r in receiver.at("/monk")
                         if r.event == "invoice.updated" and r.json["invoiceNum"] == "INV-00001"]
        assert sorted(march_updates) == ["Paid", "Refunded", "Sent"]  # every payment state change is announced


async def _refund_by_webhook(api: Api, app: Any, worker: Any, clock: FrozenClock, stripe_api: StripePeer,
                             served: str, pro: flow.Pro) -> None:
    path = (await api.get("/v1/payments/stripe")).json()["data"]["webhookPath"]
    stripe_api.send_webhooks_to(served + path, WEBHOOK_SECRET)
    await flow.finalize_april(worker, clock)
    assert (await flow.run(app, clock)).paid == 2
    march = (await flow.invoices(api, pro.contract["id"]))[0]
    [attempt] = await flow.attempts(api, march["id"])
    pi = client(stripe_api).payment_intents.retrieve(attempt["paymentIntentId"])
    event = {"id": "evt_refund_1", "type": "charge.refunded", "data": {"object": {
        "id": pi.latest_charge.id if hasattr(pi.latest_charge, "id") else pi.latest_charge,
        "payment_intent": pi.id, "refunded": True, "refunds": {"data": [{"id": "re_1"}]}}}}
    async with httpx.AsyncClient(base_url=served) as http:
        forged_body, _ = _signed(event)
        _, other_signature = _signed(event, "whsec_not_the_secret")
        r = await http.post(path, content=forged_body, headers={"Stripe-Signature": other_signature})
        assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR"
        r = await http.post(path, content=forged_body)
        assert r.status_code == 400
        assert await _status(api, march["id"]) == "Paid"
        body, signature = _signed(event)
        r = await http.post(path, content=body, headers={"Stripe-Signature": signature})
        assert r.json()["data"] == {"received": True, "result": "handled"}
        assert await _status(api, march["id"]) == "Refunded"
        r = await http.post(path, content=body, headers={"Stripe-Signature": signature})
        assert r.json()["data"] == {"received": True, "result": "duplicate"}
        assert (await http.post(path.replace("/live", "/test"), content=body,
                                headers={"Stripe-Signature": signature})).status_code == 404
    # The peer's own payment_intent.succeeded deliveries arrived too, and changed nothing more.
    await until(lambda: _events(app), 10, what="the peer's webhooks")
    assert await _status(api, march["id"]) == "Refunded"


async def test_a_detached_method_is_forgotten(api: Api, clock: FrozenClock, stripe_api: StripePeer,
                                              served: str) -> None:
    pro = await flow.pro_customer(api, stripe_api, clock, calls=1)
    path = (await api.get("/v1/payments/stripe")).json()["data"]["webhookPath"]
    body, signature = _signed({"id": "evt_detach", "type": "payment_method.detached",
                               "data": {"object": {"id": pro.card, "type": "card", "customer": None}}})
    async with httpx.AsyncClient(base_url=served) as http:
        r = await http.post(path, content=body, headers={"Stripe-Signature": signature})
    assert r.json()["data"]["result"] == "handled"
    assert (await api.get(f"/v1/customers/{pro.customer['id']}")).json()["data"]["paymentMethod"] is None


async def _events(app: Any) -> bool:
    from sqlalchemy import text
    async with app.state.engine.connect() as conn:
        n = (await conn.execute(text("SELECT count(*) FROM stripe_events WHERE type = 'payment_intent.succeeded'"))
             ).scalar_one()
    return int(n) >= 2


async def test_a_signed_but_malformed_event_is_a_400_and_changes_nothing(api: Api, clock: FrozenClock,
                                                                         stripe_api: StripePeer, served: str) -> None:
    pro = await flow.pro_customer(api, stripe_api, clock, calls=1)
    path = (await api.get("/v1/payments/stripe")).json()["data"]["webhookPath"]
    async with httpx.AsyncClient(base_url=served) as http:
        for event in ({"id": "evt_a", "type": "payment_method.detached", "data": {"object": {}}},
                      {"id": "evt_b", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_x"}}},
                      {"id": "evt_c", "type": "charge.refunded", "data": {"object": "nope"}},
                      {"type": "charge.refunded"}):
            body, signature = _signed(event)
            r = await http.post(path, content=body, headers={"Stripe-Signature": signature})
            assert r.status_code == 400 and r.json()["error"]["code"] == "VALIDATION_ERROR", (event, r.text)
    assert (await api.get(f"/v1/customers/{pro.customer['id']}")).json()["data"]["paymentMethod"]["id"] == pro.card

"""Tenancy (getting paid): each organization charges through its own Stripe account; its attempts,
webhooks and refunds never touch another organization's."""

from __future__ import annotations

from typing import Any

import httpx

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.payments import flow
from tests.peers.stripe import StripePeer, stripe_peer


async def test_two_organizations_charge_through_their_own_stripe_accounts(
        api: Api, app: Any, worker: Any, clock: FrozenClock, stripe_api: StripePeer, served: str) -> None:
    other = Api(api.client, await api.new_key(["*"], org="Other Org"))
    with stripe_peer() as other_stripe:
        mine = await flow.pro_customer(api, stripe_api, clock, calls=100)
        theirs = await flow.pro_customer(other, other_stripe, clock, calls=200, external_id="zed")
        await flow.finalize_april(worker, clock)
        report = await flow.run(app, clock)
        assert (report.paid, report.errors) == (4, [])
        assert sorted(p.amount for p in flow.intents(stripe_api)) == [5000, 5000 + 800]
        assert sorted(p.amount for p in flow.intents(other_stripe)) == [5000, 5000 + 1600]
        my_invoice = (await flow.invoices(api, mine.contract["id"]))[1]
        their_invoice = (await flow.invoices(other, theirs.contract["id"]))[1]
        # Another organization's invoice, attempts and refund are not found with my key.
        assert (await api.get(f"/v1/invoices/{their_invoice['id']}/payment-attempts")).status_code == 404
        assert (await api.post(f"/v1/invoices/{their_invoice['id']}/refund")).status_code == 404
        # My webhook path does not accept the other organization's events (its secret signs them).
        their_path = (await other.get("/v1/payments/stripe")).json()["data"]["webhookPath"]
        my_path = (await api.get("/v1/payments/stripe")).json()["data"]["webhookPath"]
        assert their_path != my_path
        [attempt] = await flow.attempts(other, their_invoice["id"])
        from tests.payments.test_stripe_webhooks import _signed
        event = {"id": "evt_x", "type": "charge.refunded", "data": {"object": {
            "id": "ch_x", "payment_intent": attempt["paymentIntentId"], "refunded": True, "refunds": {"data": []}}}}
        body, signature = _signed(event)  # both connections share the tests' signing secret
        async with httpx.AsyncClient(base_url=served) as http:
            r = await http.post(my_path, content=body, headers={"Stripe-Signature": signature})
        assert r.json()["data"]["result"] == "ignored"  # not my attempt: nothing changes
        assert (await other.get(f"/v1/invoices/{their_invoice['id']}")).json()["data"]["status"] == "Paid"
        refunded = await api.post(f"/v1/invoices/{my_invoice['id']}/refund")
        assert refunded.status_code == 200, refunded.text
        assert refunded.json()["data"]["status"] == "Refunded"
        assert (await other.get(f"/v1/invoices/{their_invoice['id']}")).json()["data"]["status"] == "Paid"

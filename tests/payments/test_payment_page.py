"""The payment page (concepts §18; getting paid, item 7): every finalized invoice with an amount due has a
signed ``paymentLink``; the page shows the invoice and a Stripe card form; the PaymentIntent it creates
is confirmed through the SDK as Stripe.js would; Stripe's webhook saves the method on the contract and
turns auto-pay on, so the next invoice is charged by the auto-pay run. Expired or altered links get a
clear page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.e2e import scenario as s
from tests.payments import flow
from tests.peers.smtp import SmtpPeer
from tests.peers.stripe import StripePeer
from tests.peers.stripe_objects import WEBHOOK_SECRET, card, client, connect
from tests.waiting import until


async def _collect_customer(api: Api, peer: StripePeer, clock: FrozenClock) -> tuple[dict[str, Any], dict]:
    """An invoice-and-collect customer without any Stripe link, March usage."""
    clock.set(datetime(2026, 2, 25, tzinfo=UTC))
    await connect(api, peer)
    m = await s.meter(api, "API_CALL", "call_count")
    fee = await s.flat_price(api, "Team Fee", "20.00")
    calls = await s.usage_price(api, "API Calls", m["id"], "0.05")
    plan = await s.plan(api, "team", [fee["id"], calls["id"]])
    customer = await s.customer(api, "Carol Co", "carol")
    contract = await s.contract(api, customer["id"], plan["id"], "2026-03-01")
    clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    await s.send(api, [{"eventName": "call_count", "customerId": customer["id"], "idempotencyKey": f"c-{i}",
                        "timestamp": (flow.MARCH + timedelta(minutes=i)).isoformat()} for i in range(300)])
    return customer, contract


async def test_paying_on_the_page_saves_the_method_and_the_next_invoice_is_auto_charged(
        api: Api, app: Any, worker: Any, clock: FrozenClock, stripe_api: StripePeer, served: str,
        smtp: SmtpPeer) -> None:
    customer, contract = await _collect_customer(api, stripe_api, clock)
    path = (await api.get("/v1/payments/stripe")).json()["data"]["webhookPath"]
    stripe_api.send_webhooks_to(served + path, WEBHOOK_SECRET)
    worker = flow.mailing_worker(app, clock, smtp)
    await flow.finalize_april(worker, clock)
    march, april = await flow.invoices(api, contract["id"])
    assert contract["autoPay"] is False and april["totalCents"] == 2000 + 1500  # $20 + 300 × $0.05
    assert march["paymentLink"] and april["paymentLink"]
    page_path = "/pay/" + april["paymentLink"].rsplit("/pay/", 1)[1]
    # An invoice-and-collect customer is emailed each invoice with its payment link.
    invoice_emails = {m.message["Subject"]: m for m in await flow.mail(app, smtp)}
    april_email = invoice_emails[f"Invoice {april['invoiceNumber']} from default: $35.00 due April 1, 2026"]
    assert april_email.rcpt_tos == ["billing@carol.example"] and april["paymentLink"] in april_email.part("plain")
    assert len(invoice_emails) == 2

    async with httpx.AsyncClient(base_url=served) as http:
        html = (await http.get(page_path)).text
        assert f"Invoice {april['invoiceNumber']} from " in html and "Billed to Carol Co" in html
        assert "API Calls" in html and "$35.00" in html and "Team Fee" in html
        assert f"{stripe_api.base}/js.stripe.com/v3/" in html and "pk_live_monktests4242" in html
        assert "enable auto-pay" in html
        r = await http.post(page_path + "/intent", json={"saveMethod": True})
        assert r.status_code == 200, r.text
        started = r.json()["data"]
        again = (await http.post(page_path + "/intent", json={"saveMethod": True})).json()["data"]
        assert again == started  # reloading the page resumes the same payment
    # The customer got a Stripe customer on demand; Stripe.js confirms the intent with the card typed in.
    linked = (await api.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert linked["paymentProviderId"] and linked["provider"] == "stripe"
    v1 = client(stripe_api)
    pi = v1.payment_intents.retrieve(started["paymentIntentId"])
    assert (pi.amount, pi.customer, pi.client_secret) == (3500, linked["paymentProviderId"], started["clientSecret"])
    pm = card(stripe_api, None)
    v1.payment_intents.update(pi.id, params={"payment_method": pm})
    assert v1.payment_intents.confirm(pi.id).status == "succeeded"

    async def paid() -> bool:
        return (await api.get(f"/v1/invoices/{april['id']}")).json()["data"]["status"] == "Paid"
    await until(paid, 15, what="the webhook marking the invoice paid")
    saved = (await api.get(f"/v1/contracts/{contract['id']}")).json()["data"]
    assert saved["autoPay"] is True
    assert saved["paymentMethod"] == {"id": pm, "type": "card", "brand": "visa", "last4": "4242"}
    async with httpx.AsyncClient(base_url=served) as http:
        assert "This invoice is paid" in (await http.get(page_path)).text

    # The May invoice is charged to the saved method by the auto-pay run; March's too (auto-pay is on now).
    clock.set(datetime(2026, 5, 1, 12, 0, tzinfo=UTC))
    await worker.drain()
    report = await flow.run(app, clock)
    assert (report.paid, report.failed, report.errors) == (2, 0, [])
    statuses = [i["status"] for i in await flow.invoices(api, contract["id"])]
    assert statuses[:3] == ["Paid", "Paid", "Paid"]
    may_intents = [p for p in flow.intents(stripe_api) if p.payment_method == pm]
    assert len(may_intents) == 3


async def test_expired_and_altered_links_get_a_clear_page(api: Api, worker: Any, clock: FrozenClock,
                                                          stripe_api: StripePeer) -> None:
    _, contract = await _collect_customer(api, stripe_api, clock)
    await flow.finalize_april(worker, clock)
    april = (await flow.invoices(api, contract["id"]))[1]
    page_path = "/pay/" + april["paymentLink"].rsplit("/pay/", 1)[1]
    altered = await api.client.get(page_path[:-1] + ("0" if page_path[-1] != "0" else "1"))
    assert altered.status_code == 404 and "not valid" in altered.text and "<html" in altered.text
    clock.set(datetime(2026, 4, 1, 1, 0, tzinfo=UTC) + timedelta(days=91))
    expired = await api.client.get(page_path)
    assert expired.status_code == 410 and "expired" in expired.text
    r = await api.client.post(page_path + "/intent", json={})
    assert r.status_code == 410 and r.json()["error"]["code"] == "LINK_EXPIRED"


async def test_saving_a_method_on_a_contract_already_on_auto_pay_announces_it(
        api: Api, app: Any, worker: Any, clock: FrozenClock, stripe_api: StripePeer, served: str) -> None:
    """Auto-pay was on without a method (set through the API); paying on the page with "save" keeps it on
    and saves the card: one ``contract.updated`` announces the new method (auto-pay did not change)."""
    from monk.webhooks.dispatch import Dispatcher
    from tests.webhooks.conftest import subscribe
    from tests.webhooks.receiver import serving

    _, contract = await _collect_customer(api, stripe_api, clock)
    path = (await api.get("/v1/payments/stripe")).json()["data"]["webhookPath"]
    stripe_api.send_webhooks_to(served + path, WEBHOOK_SECRET)
    async with serving() as receiver:
        await subscribe(api, receiver, "/monk", ["contract.updated"])
        on = await api.patch(f"/v1/contracts/{contract['id']}", {"autoPay": True})
        assert on.status_code == 200 and on.json()["data"]["paymentMethod"] is None, on.text
        await flow.finalize_april(worker, clock)
        april = (await flow.invoices(api, contract["id"]))[1]
        page_path = "/pay/" + april["paymentLink"].rsplit("/pay/", 1)[1]
        async with httpx.AsyncClient(base_url=served) as http:
            started = (await http.post(page_path + "/intent", json={"saveMethod": True})).json()["data"]
        v1 = client(stripe_api)
        pm = card(stripe_api, None)
        v1.payment_intents.update(started["paymentIntentId"], params={"payment_method": pm})
        assert v1.payment_intents.confirm(started["paymentIntentId"]).status == "succeeded"

        async def saved() -> bool:
            data = (await api.get(f"/v1/contracts/{contract['id']}")).json()["data"]
            return bool(data["paymentMethod"])
        await until(saved, 15, what="the webhook saving the method")
        dispatcher = Dispatcher(app.state.sessions, clock=clock, settings=app.state.settings)
        try:
            await dispatcher.drain()
        finally:
            await dispatcher.close()
        updates = [(r.json["autoPay"], r.json["paymentMethod"]) for r in receiver.at("/monk")
                   if r.event == "contract.updated"]
    assert updates == [(True, None), (True, {"id": pm, "type": "card", "brand": "visa", "last4": "4242"})]

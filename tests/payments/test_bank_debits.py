"""Payments Stripe settles later (ACH; concepts §18 "ACH usually < 4 business days"): the invoice is ``In
Transit`` until Stripe's webhook says the debit settled (``Paid``) or bounced (due again, auto-pay off)."""

from __future__ import annotations

from typing import Any

from monk.contracts import service as contracts
from monk.kit.clock import FrozenClock
from monk.payments import repository as payments
from tests.conftest import Api
from tests.payments import flow
from tests.peers.smtp import SmtpPeer
from tests.peers.stripe import StripePeer
from tests.peers.stripe_objects import WEBHOOK_SECRET, bank_debit
from tests.waiting import until


async def _on_bank_debit(api: Api, app: Any, worker: Any, clock: FrozenClock, peer: StripePeer, served: str, *,
                         fails: bool) -> flow.Pro:
    pro = await flow.pro_customer(api, peer, clock, calls=100)
    path = (await api.get("/v1/payments/stripe")).json()["data"]["webhookPath"]
    peer.send_webhooks_to(served + path, WEBHOOK_SECRET)
    async with app.state.sessions() as session:  # saved on the contract, as the payment page saves it
        contract = await payments.contract_of(session, pro.contract["id"])
        await contracts.set_payment_method(session, contract, method_id=bank_debit(peer, pro.stripe_customer,
                                                                                    fails=fails),
                                           method_type="us_bank_account", brand=None, last4=None)
        await session.commit()
    await flow.finalize_april(worker, clock)
    return pro


async def test_a_debit_is_in_transit_until_stripe_settles_it(api: Api, app: Any, worker: Any, clock: FrozenClock,
                                                             stripe_api: StripePeer, served: str,
                                                             smtp: SmtpPeer) -> None:
    pro = await _on_bank_debit(api, app, worker, clock, stripe_api, served, fails=False)
    report = await flow.run(app, clock)
    assert (report.paid, report.processing, report.failed) == (0, 2, 0)
    assert [i["status"] for i in await flow.invoices(api, pro.contract["id"])] == ["In Transit", "In Transit"]
    assert (await flow.run(app, clock)).processing == 0  # in flight: never charged twice

    async def settled() -> bool:
        return [i["status"] for i in await flow.invoices(api, pro.contract["id"])] == ["Paid", "Paid"]
    await until(settled, 15, what="Stripe's payment_intent.succeeded for both debits")
    assert sorted(p.amount for p in flow.intents(stripe_api)) == [5000, 5800]
    subjects = sorted(m.message["Subject"].split(":")[0] for m in await flow.mail(app, smtp))
    assert subjects == ["ACH payment initiated"] * 2 + ["Payment received"] * 2


async def test_a_bounced_debit_is_due_again_and_auto_pay_is_off(api: Api, app: Any, worker: Any,
                                                                clock: FrozenClock, stripe_api: StripePeer,
                                                                served: str) -> None:
    pro = await _on_bank_debit(api, app, worker, clock, stripe_api, served, fails=True)
    assert (await flow.run(app, clock)).processing == 2

    async def bounced() -> bool:
        return [i["status"] for i in await flow.invoices(api, pro.contract["id"])] == ["Sent", "Sent"]
    await until(bounced, 15, what="Stripe's payment_intent.payment_failed for both debits")
    march = (await flow.invoices(api, pro.contract["id"]))[0]
    [attempt] = await flow.attempts(api, march["id"])
    assert attempt["status"] == "failed" and attempt["declineCode"]
    assert (await api.get(f"/v1/contracts/{pro.contract['id']}")).json()["data"]["autoPay"] is False

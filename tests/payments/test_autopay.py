"""The daily auto-pay run (concepts §18; getting paid, item 5) against a real Stripe-compatible server:
the SaaS guide's Pro customer is charged exactly the amount due and its invoices become ``Paid``; a card
declined at charge time fails the attempt with Stripe's code and turns auto-pay off; racing runs and a
run that dies between Stripe charging and Monk recording charge once; a Stripe outage leaves the
invoices to the next run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.payments import flow
from tests.peers.smtp import SmtpPeer
from tests.peers.stripe import StripePeer
from tests.peers.stripe_objects import CARD_DECLINED_AT_CHARGE


async def test_the_saas_pro_customer_is_charged_the_amount_due(api: Api, app: Any, worker: Any, clock: FrozenClock,
                                                                stripe_api: StripePeer, database_url: str,
                                                                smtp: SmtpPeer) -> None:
    pro = await flow.pro_customer(api, stripe_api, clock)
    assert pro.contract["autoPay"] is True
    grant = await api.post(f"/v1/contracts/{pro.contract['id']}/credits/promotional/grant",
                           {"amountCents": 10000, "expiresAt": "2026-12-31T00:00:00Z"})  # $100 of credits
    assert grant.status_code == 201, grant.text
    await flow.finalize_april(worker, clock)
    march, april = await flow.invoices(api, pro.contract["id"])
    assert (march["status"], march["totalCents"]) == ("Sent", 5000)
    # $50 + 5,350 calls × $0.08 = $478.00, of which credits paid $100.00 of the usage: $378.00 due.
    assert (april["status"], april["subtotalCents"], april["creditsAppliedCents"], april["totalCents"]) == (
        "Sent", 47800, 10000, 37800)

    done = await flow.run_cli(database_url)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "paid 2, processing 0, failed 0, to retry 0"
    assert [i["status"] for i in await flow.invoices(api, pro.contract["id"])] == ["Paid", "Paid"]
    charged = {pi.metadata["monk_invoice_id"]: pi for pi in flow.intents(stripe_api)}
    assert {k: (v.amount, v.status, v.customer, v.payment_method) for k, v in charged.items()} == {
        march["id"]: (5000, "succeeded", pro.stripe_customer, pro.card),
        april["id"]: (37800, "succeeded", pro.stripe_customer, pro.card)}  # the amount due, after credits
    [attempt] = await flow.attempts(api, april["id"])
    assert (attempt["status"], attempt["kind"], attempt["amountCents"], attempt["paymentIntentId"]) == (
        "succeeded", "auto_pay", 37800, charged[april["id"]].id)
    # The receipts reach the customer's accounts_payable contact; an auto-pay customer gets no invoice email.
    received = await flow.mail(app, smtp)
    assert sorted(m.message["Subject"] for m in received) == [
        f"Payment received: $378.00 for invoice {april['invoiceNumber']}",
        f"Payment received: $50.00 for invoice {march['invoiceNumber']}"]
    assert {tuple(m.rcpt_tos) for m in received} == {("ap@bob.com",)}
    assert "$378.00" in received[0].part("plain") + received[1].part("plain")
    # Paid invoices are never charged again.
    again = await flow.run(app, clock)
    assert (again.paid, again.failed, again.retry) == (0, 0, 0) and len(flow.intents(stripe_api)) == 2


async def test_a_declined_card_fails_the_attempt_and_turns_auto_pay_off(
        api: Api, app: Any, worker: Any, clock: FrozenClock, stripe_api: StripePeer, smtp: SmtpPeer) -> None:
    pro = await flow.pro_customer(api, stripe_api, clock, number=CARD_DECLINED_AT_CHARGE)
    await flow.finalize_april(worker, clock)
    report = await flow.run(app, clock)
    assert (report.paid, report.failed) == (0, 1)  # the first decline turns auto-pay off: no second charge
    invoices = await flow.invoices(api, pro.contract["id"])
    assert [i["status"] for i in invoices] == ["Sent", "Sent"]
    [attempt] = [a for i in invoices for a in await flow.attempts(api, i["id"])]
    assert (attempt["status"], attempt["declineCode"]) == ("failed", "card_declined")
    contract = (await api.get(f"/v1/contracts/{pro.contract['id']}")).json()["data"]
    assert contract["autoPay"] is False
    assert (await flow.run(app, clock)).failed == 0  # nothing more is tried while auto-pay is off
    [failed_email] = await flow.mail(app, smtp)
    failed_invoice = next(i for i in invoices if i["id"] == attempt["invoiceId"])
    assert failed_email.message["Subject"] == f"Payment failed for invoice {failed_invoice['invoiceNumber']}"
    text = failed_email.part("plain")
    assert failed_invoice["paymentLink"] and failed_invoice["paymentLink"] in text
    assert "declined" in text.lower() and "auto-pay" in text.lower()


async def test_racing_runs_charge_each_invoice_once(api: Api, worker: Any, clock: FrozenClock,
                                                    stripe_api: StripePeer, database_url: str) -> None:
    pro = await flow.pro_customer(api, stripe_api, clock)
    await flow.finalize_april(worker, clock)
    first, second = await asyncio.gather(flow.run_cli(database_url), flow.run_cli(database_url))
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert sorted(pi.amount for pi in flow.intents(stripe_api)) == [5000, 47800]
    assert [i["status"] for i in await flow.invoices(api, pro.contract["id"])] == ["Paid", "Paid"]


async def test_a_run_killed_after_stripe_charged_is_repaired_without_a_second_charge(
        api: Api, app: Any, worker: Any, clock: FrozenClock, stripe_api: StripePeer, database_url: str) -> None:
    pro = await flow.pro_customer(api, stripe_api, clock)
    await flow.finalize_april(worker, clock)
    died = await flow.run_cli(database_url, "tests.payments.dying_run")
    assert died.returncode == 9, died.stderr
    [charged] = flow.intents(stripe_api)  # Stripe charged the first invoice; Monk never recorded it
    march = (await flow.invoices(api, pro.contract["id"]))[0]
    assert march["status"] == "Sent" and [a["status"] for a in await flow.attempts(api, march["id"])] == ["pending"]
    # A run within the attempt's lease leaves it alone: its process might still be calling Stripe.
    clock.set(datetime.now(UTC))
    assert (await flow.run(app, clock)).paid == 1 and len(flow.intents(stripe_api)) == 2
    assert (await flow.invoices(api, pro.contract["id"]))[0]["status"] == "Sent"
    # Once the lease has run out, the reconciler finds the PaymentIntent by the attempt in its metadata.
    clock.advance(timedelta(minutes=6))
    report = await flow.run(app, clock)
    assert (report.paid, report.errors) == (1, [])
    assert [i["status"] for i in await flow.invoices(api, pro.contract["id"])] == ["Paid", "Paid"]
    assert sorted(pi.amount for pi in flow.intents(stripe_api)) == [5000, 47800]  # one charge each
    [attempt] = await flow.attempts(api, march["id"])
    assert (attempt["status"], attempt["paymentIntentId"]) == ("succeeded", charged.id)


async def test_a_stripe_outage_leaves_invoices_for_the_next_run(api: Api, app: Any, worker: Any,
                                                                clock: FrozenClock, stripe_api: StripePeer) -> None:
    pro = await flow.pro_customer(api, stripe_api, clock)
    await flow.finalize_april(worker, clock)
    stripe_api.stop()
    try:
        report = await flow.run(app, clock)
        assert (report.paid, report.failed, report.retry) == (0, 0, 2) and len(report.errors) == 2
        assert [i["status"] for i in await flow.invoices(api, pro.contract["id"])] == ["Sent", "Sent"]
    finally:
        stripe_api.restart()
    assert flow.intents(stripe_api) == []
    clock.advance(timedelta(minutes=6))  # the attempts' leases run out: the reconciler finds no intent and charges
    report = await flow.run(app, clock)
    assert (report.paid, report.errors) == (2, [])
    assert [i["status"] for i in await flow.invoices(api, pro.contract["id"])] == ["Paid", "Paid"]

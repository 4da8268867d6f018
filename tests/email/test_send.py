"""Queued emails sent by the job to a real SMTP server on loopback, on SQLite and PostgreSQL: who gets
them, what they say, retries while the server is down, no SMTP server at all, and one failing email
among others."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from monk.email import render, send, service
from monk.email.send import BACKOFF, LEASE, MAX_ATTEMPTS
from monk.kit.clock import FrozenClock
from monk.models import EmailMessage
from monk.models.statuses import EmailStatus
from monk.worker.runner import Worker
from tests.conftest import SECRET_KEY, Api
from tests.email.conftest import (
    LINK,
    SENDER,
    billed_customer,
    drop_emails,
    emails,
    finalized_invoice,
    mailer_for,
    name_organization,
    queue,
)
from tests.peers.ports import free_port
from tests.peers.smtp import SmtpPeer, smtp_peer
from tests.waiting import until


async def _invoice(app: Any, api: Api, worker: Any, clock: FrozenClock, **kw: Any) -> dict[str, Any]:
    await name_organization(app)
    made = await billed_customer(api, **kw)
    return await finalized_invoice(api, worker, clock, made["contract"]["id"])


async def test_an_invoice_email_reaches_the_accounts_payable_contacts(
        app: Any, api: Api, worker: Any, clock: FrozenClock, smtp_server: SmtpPeer) -> None:
    invoice = await _invoice(app, api, worker, clock)
    queued = await queue(app, invoice["id"], now=clock.now())
    assert queued is not None and queued.status == EmailStatus.PENDING

    report = await mailer_for(app, clock, smtp_server.url).send_due()

    assert (report.sent, report.failed, report.retry, report.skipped) == (1, 0, 0, 0)
    [got] = smtp_server.inbox.messages
    msg = got.message
    assert got.mail_from == "billing@acme.test"
    assert sorted(got.rcpt_tos) == ["ann@acme.example", "audit@acme.example", "copy@acme.example"]
    assert msg["From"] == "Acme Billing <billing@acme.test>"
    assert msg["To"] == "Ann Payer <ann@acme.example>"
    assert msg["Cc"] == "copy@acme.example"
    assert msg["Bcc"] is None
    assert msg["Subject"] == f"Invoice {invoice['invoiceNumber']} from {SENDER}: $1,234.50 due January 1, 2026"
    assert msg["Message-ID"] == f"<{queued.id}@acme.test>"
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    text, html = got.part("plain"), got.part("html")
    assert text == (
        "Hello Acme,\n\n"
        f"{SENDER} has sent you invoice {invoice['invoiceNumber']} for $1,234.50, due January 1, 2026.\n\n"
        f"Invoice number: {invoice['invoiceNumber']}\n"
        "Invoice date:   January 1, 2026\n"
        "Due date:       January 1, 2026\n"
        "Amount due:     $1,234.50\n\n"
        "  Platform fee acme: $1,234.50\n\n"
        f"Pay this invoice: {LINK}\n\n"
        f"Questions about this invoice? Contact {SENDER}.\n")
    assert '<a href="https://monk.test/pay/tok_abc?x=1&amp;y=2"' in html and ">Pay this invoice</a>" in html
    assert "<strong>$1,234.50</strong>" in html

    [row] = await emails(app)
    assert (row.status, row.attempts, row.sent_at, row.next_attempt_at, row.last_error) == (
        EmailStatus.SENT, 1, clock.now(), None, None)
    assert row.invoice_id == invoice["id"] and row.kind == "invoice"
    assert (await mailer_for(app, clock, smtp_server.url).send_due()).sent == 0  # sent once
    assert len(smtp_server.inbox.messages) == 1


async def test_payment_emails_say_what_happened(app: Any, api: Api, worker: Any, clock: FrozenClock,
                                               smtp_server: SmtpPeer) -> None:
    invoice = await _invoice(app, api, worker, clock)
    number = invoice["invoiceNumber"]
    await queue(app, invoice["id"], "payment_failed", now=clock.now(), decline_code="insufficient_funds")
    await queue(app, invoice["id"], "payment_processing", now=clock.now(), payment_link=None)
    await queue(app, invoice["id"], "payment_confirmation", now=clock.now(), payment_link=None)

    assert (await mailer_for(app, clock, smtp_server.url).send_due()).sent == 3

    failed, processing, paid = smtp_server.inbox.messages
    assert failed.message["Subject"] == f"Payment failed for invoice {number}"
    assert "PAYMENT FAILED: Insufficient funds." in failed.part("plain")
    assert "Auto-pay has been turned off for this contract." in failed.part("plain")
    assert f"Pay this invoice: {LINK}" in failed.part("plain")
    assert "<strong>Payment failed:</strong> Insufficient funds." in failed.part("html")
    assert processing.message["Subject"] == f"ACH payment initiated: $1,234.50 for invoice {number}"
    assert "up to 4 business days" in processing.part("plain")
    assert paid.message["Subject"] == f"Payment received: $1,234.50 for invoice {number}"
    assert "Payment date:   February 1, 2026\nAmount paid:    $1,234.50\n" in paid.part("plain")
    assert f"turn it off at any time by contacting {SENDER}" in paid.part("plain")
    assert "Pay this invoice" not in paid.part("plain") + paid.part("html")


async def test_nothing_is_queued_for_a_customer_without_accounts_payable_contacts(
        app: Any, api: Api, worker: Any, clock: FrozenClock) -> None:
    invoice = await _invoice(app, api, worker, clock,
                             contacts=[{"email": "cto@acme.example", "roles": ["technical"]}])
    assert await queue(app, invoice["id"], now=clock.now()) is None
    assert await queue(app, invoice["id"], "payment_failed", now=clock.now(), decline_code="expired_card") is None
    assert await emails(app) == []


async def test_a_payment_email_kind_is_checked(app: Any, api: Api, worker: Any, clock: FrozenClock) -> None:
    invoice = await _invoice(app, api, worker, clock)
    async with app.state.sessions() as session:
        inv = await session.get(service.Invoice, invoice["id"])
        for kind in ("invoice", "refund"):
            with pytest.raises(ValueError, match="not a payment email kind"):
                await service.queue_payment_email(session, inv, kind, payment_link=None, now=clock.now())


async def test_an_email_that_cannot_be_rendered_is_logged_and_the_change_goes_on(
        app: Any, api: Api, worker: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    invoice = await _invoice(app, api, worker, clock)

    def broken(kind: Any, ctx: Any) -> Any:
        raise KeyError("missing")

    monkeypatch.setattr(render, "render", broken)
    with capture_logs() as logs:
        assert await queue(app, invoice["id"], now=clock.now()) is None
    assert [e["event"] for e in logs if e["log_level"] == "error"] == ["email not queued: it could not be rendered"]
    assert await emails(app) == []


async def test_a_down_server_leaves_the_email_pending_until_it_is_up(
        app: Any, api: Api, worker: Any, clock: FrozenClock) -> None:
    invoice = await _invoice(app, api, worker, clock)
    await queue(app, invoice["id"], now=clock.now())
    port = free_port()  # nothing listens there yet
    mailer = mailer_for(app, clock, f"smtp://127.0.0.1:{port}")

    report = await mailer.send_due()

    assert (report.sent, report.retry, report.failed) == (0, 1, 0)
    [row] = await emails(app)
    assert (row.status, row.attempts) == (EmailStatus.PENDING, 1)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert row.last_error is not None and row.last_error.startswith(f"connecting to 127.0.0.1:{port}: ")
    assert (await mailer.send_due()).retry == 0  # not due again yet

    with smtp_peer(port) as server:
        clock.advance(timedelta(seconds=59))
        assert (await mailer.send_due()).sent == 0
        clock.advance(timedelta(seconds=1))
        assert (await mailer.send_due()).sent == 1
        assert len(server.inbox.messages) == 1
    [row] = await emails(app)
    assert (row.status, row.attempts, row.sent_at) == (EmailStatus.SENT, 2, clock.now())


async def test_an_email_is_given_up_after_its_last_attempt(app: Any, api: Api, worker: Any,
                                                           clock: FrozenClock) -> None:
    invoice = await _invoice(app, api, worker, clock)
    await queue(app, invoice["id"], now=clock.now())
    mailer = mailer_for(app, clock, f"smtp://127.0.0.1:{free_port()}")
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await mailer.send_due()
        [row] = await emails(app)
        assert row.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.retry == 1 and row.status == EmailStatus.PENDING
            waits.append(row.next_attempt_at - clock.now())
            clock.set(row.next_attempt_at)
    assert report.failed == 1 and report.retry == 0
    assert (row.status, row.next_attempt_at) == (EmailStatus.FAILED, None)
    assert row.last_error is not None and "connecting to 127.0.0.1" in row.last_error
    assert waits == [BACKOFF.retry_at(clock.now(), n) - clock.now() for n in range(1, MAX_ATTEMPTS)]
    assert [w.total_seconds() for w in waits] == [60, 120, 240, 480, 960, 1920, 3600]


async def test_one_refused_email_does_not_stop_the_others(app: Any, api: Api, worker: Any, clock: FrozenClock,
                                                          smtp_server: SmtpPeer) -> None:
    await name_organization(app)
    made = {}
    for name in ("gone", "busy", "fine"):
        made[name] = await billed_customer(api, name=name.title(), external_id=name, contacts=[
            {"email": f"ap@{name}.example", "roles": ["accounts_payable"]}])
    clock.set(clock.now().replace(month=2, day=1))
    await worker.drain()
    await drop_emails(app)
    for name in ("gone", "busy", "fine"):  # queued in this order: the refused ones come first in the batch
        r = await api.get("/v1/invoices", contractId=made[name]["contract"]["id"], limit=100)
        first = min((i for i in r.json()["data"] if i["invoiceNumber"]), key=lambda i: i["invoiceDate"])
        await queue(app, first["id"], now=clock.now())
        clock.advance(timedelta(seconds=1))
    smtp_server.inbox.refuse = {"ap@gone.example": "550 5.1.1 No such user",
                                "ap@busy.example": "451 4.3.0 Mailbox busy, try again"}

    report = await mailer_for(app, clock, smtp_server.url).send_due()

    assert (report.sent, report.failed, report.retry) == (1, 1, 1)
    assert [m.rcpt_tos for m in smtp_server.inbox.messages] == [["ap@fine.example"]]
    gone, busy, fine = await emails(app)
    assert gone.status == EmailStatus.FAILED and "550" in (gone.last_error or "")
    assert busy.status == EmailStatus.PENDING and "451" in (busy.last_error or "")
    assert busy.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert fine.status == EmailStatus.SENT

    smtp_server.inbox.refuse = {}
    clock.advance(timedelta(minutes=1))
    assert (await mailer_for(app, clock, smtp_server.url).send_due()).sent == 1
    assert [m.rcpt_tos for m in smtp_server.inbox.messages][-1] == ["ap@busy.example"]


async def test_without_an_smtp_server_nothing_is_sent_and_that_is_logged_once(
        app: Any, api: Api, worker: Any, clock: FrozenClock, smtp_server: SmtpPeer) -> None:
    invoice = await _invoice(app, api, worker, clock)
    await queue(app, invoice["id"], now=clock.now())
    await queue(app, invoice["id"], "payment_confirmation", now=clock.now())
    mailer = mailer_for(app, clock, "")

    with capture_logs() as logs:
        first = await mailer.send_due()
        await queue(app, invoice["id"], "payment_processing", now=clock.now())
        second = await mailer.send_due()

    assert (first.skipped, first.sent, second.skipped, second.sent) == (2, 0, 1, 0)
    assert [e["event"] for e in logs if "MONK_SMTP_URL" in e["event"]] == [
        "MONK_SMTP_URL is not set: emails are not sent, due emails are marked skipped"]
    rows = await emails(app)
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {
        (EmailStatus.SKIPPED, 0, "MONK_SMTP_URL is not set: not sent")}
    assert (await mailer_for(app, clock, smtp_server.url).send_due()).sent == 0  # skipped for good
    assert smtp_server.inbox.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
async def test_the_smtp_login_of_the_url_is_used(app: Any, api: Api, worker: Any, clock: FrozenClock) -> None:
    invoice = await _invoice(app, api, worker, clock)
    await queue(app, invoice["id"], now=clock.now())
    with smtp_peer(login=("monk", "p@ss:word")) as server:
        wrong = f"smtp://monk:nope@127.0.0.1:{server.port}?starttls=0"
        assert (await mailer_for(app, clock, wrong).send_due()).retry == 1
        clock.advance(timedelta(minutes=1))
        right = f"smtp://monk:p%40ss%3Aword@127.0.0.1:{server.port}?starttls=0"
        assert (await mailer_for(app, clock, right).send_due()).sent == 1
        assert len(server.inbox.messages) == 1
    [row] = await emails(app)
    assert (row.status, row.attempts) == (EmailStatus.SENT, 2)


async def test_a_claimed_email_is_leased_and_a_lost_lease_records_nothing(
        app: Any, api: Api, worker: Any, clock: FrozenClock, smtp_server: SmtpPeer) -> None:
    invoice = await _invoice(app, api, worker, clock)
    await queue(app, invoice["id"], now=clock.now())
    first, second = mailer_for(app, clock, smtp_server.url), mailer_for(app, clock, smtp_server.url)

    [claimed] = await first.claim()
    assert claimed.attempt == 1 and await second.claim() == []  # leased: nobody else takes it
    [row] = await emails(app)
    assert (row.attempts, row.next_attempt_at) == (1, clock.now() + LEASE)

    clock.advance(LEASE)  # the first worker died: its lease expired
    [again] = await second.claim()
    assert again.attempt == 2
    assert await first.record(await first.deliver([claimed])) == []  # the old attempt records nothing
    assert len(await second.record(await second.deliver([again]))) == 1
    [row] = await emails(app)
    assert (row.status, row.attempts) == (EmailStatus.SENT, 2)


async def test_the_worker_sends_due_emails(app: Any, api: Api, worker: Any, clock: FrozenClock,
                                           smtp_server: SmtpPeer) -> None:
    invoice = await _invoice(app, api, worker, clock)
    await queue(app, invoice["id"], now=clock.now())
    settings = app.state.settings.model_copy(update={"smtp_url": smtp_server.url, "worker_poll_seconds": 0.05})
    busy = Worker(app.state.sessions, clock=clock, settings=settings)
    await busy.drain()
    assert len(smtp_server.inbox.messages) == 1

    await queue(app, invoice["id"], "payment_confirmation", now=clock.now())
    loop = asyncio.create_task(busy.run_forever())
    try:
        await until(lambda: len(smtp_server.inbox.messages) == 2, 20, what="the worker's loop sending the email")
    finally:
        busy.stop()
        await asyncio.wait_for(loop, 20)
    assert [r.status for r in await emails(app)] == [EmailStatus.SENT, EmailStatus.SENT]


async def test_monk_emails_send(app: Any, api: Api, worker: Any, clock: FrozenClock, database_url: str,
                                smtp_server: SmtpPeer) -> None:
    invoice = await _invoice(app, api, worker, clock)
    await queue(app, invoice["id"], now=clock.now())  # due since 2026-02-01: before the real now

    def cli(smtp_url: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MONK_DATABASE_URL": database_url, "MONK_SECRET_KEY": SECRET_KEY,
               "MONK_SMTP_URL": smtp_url}
        return subprocess.run([sys.executable, "-m", "monk.cli", "emails", "send"], env=env, capture_output=True,
                              text=True, timeout=120)

    down = await asyncio.to_thread(cli, f"smtp://127.0.0.1:{free_port()}")
    assert down.returncode == 1, down.stderr
    assert down.stdout.strip() == "sent 0, failed 0, to retry 1, skipped 0"
    assert "not sent: " in down.stderr and "connecting to 127.0.0.1" in down.stderr
    async with app.state.sessions() as session:  # due again now
        row = (await session.execute(select(EmailMessage))).scalar_one()
        row.next_attempt_at = clock.now()
        await session.commit()

    up = await asyncio.to_thread(cli, smtp_server.url)
    assert up.returncode == 0, up.stderr
    assert up.stdout.strip() == "sent 1, failed 0, to retry 0, skipped 0"
    assert len(smtp_server.inbox.messages) == 1


async def test_emails_a_batch_had_no_time_for_are_handed_back_unattempted(
        app: Any, api: Api, worker: Any, clock: FrozenClock, smtp_server: SmtpPeer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    invoice = await _invoice(app, api, worker, clock)
    await queue(app, invoice["id"], now=clock.now())
    mailer = mailer_for(app, clock, smtp_server.url)
    monkeypatch.setattr(send, "SEND_WITHIN", timedelta(seconds=-1))  # the batch's time is up at once

    claimed = await mailer.claim()
    outcomes = await mailer.deliver(claimed)
    assert [o.result for o in outcomes] == ["released"]
    assert len(await mailer.record(outcomes)) == 1
    [row] = await emails(app)
    assert (row.status, row.attempts, row.next_attempt_at) == (EmailStatus.PENDING, 0, clock.now())
    assert smtp_server.inbox.messages == []

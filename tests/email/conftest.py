"""Fixtures of the email tests: a real SMTP server on loopback, a customer with billing contacts and a
finalized invoice made through the API, queueing as invoicing and payments code does, and the job."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from monk.email import service
from monk.email.send import Mailer
from monk.kit.clock import FrozenClock
from monk.models import EmailMessage, Invoice, Organization
from tests.conftest import Api
from tests.e2e import scenario as s
from tests.peers.smtp import SmtpPeer, smtp_peer

FINALIZED_AT = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)  # January's invoice is due and finalized by then
LINK = "https://monk.test/pay/tok_abc?x=1&y=2"
CONTACTS = [
    {"name": "Ann Payer", "email": "ann@acme.example", "roles": ["accounts_payable"]},
    {"email": "copy@acme.example", "roles": ["accounts_payable"], "emailRecipientType": "cc"},
    {"email": "audit@acme.example", "roles": ["accounts_payable", "finance"], "emailRecipientType": "bcc"},
    {"name": "Cat Tech", "email": "cto@acme.example", "roles": ["technical"]},
]


@pytest.fixture
def smtp_server() -> Iterator[SmtpPeer]:
    """A running SMTP server on a free loopback port with an empty inbox."""
    with smtp_peer() as peer:
        yield peer


def mailer_for(app: Any, clock: FrozenClock, smtp_url: str, **settings: Any) -> Mailer:
    """The email job on the app's database, sending through ``smtp_url`` ("" = none) with a 2 s timeout."""
    update = {"smtp_url": smtp_url, "smtp_timeout_seconds": 2.0, "email_from": "Acme Billing <billing@acme.test>",
              **settings}
    return Mailer(app.state.sessions, clock=clock, settings=app.state.settings.model_copy(update=update))


SENDER = "Northwind Labs"  # the billing organization's name, as the emails show it


async def name_organization(app: Any, name: str = SENDER) -> None:
    """Rename the test's organization (``default``) to ``name``."""
    async with app.state.sessions() as session:
        await session.execute(update(Organization).values(name=name))
        await session.commit()


async def billed_customer(api: Api, *, name: str = "Acme", external_id: str = "acme",
                          contacts: list[dict[str, Any]] | None = None, fee: str = "1234.50") -> dict[str, Any]:
    """A customer (``contacts``, default ``CONTACTS``) on a monthly plan of one ``fee`` from 2026-01-01:
    its contract (``contract``) and customer (``customer``)."""
    price = await s.flat_price(api, f"Platform fee {external_id}", fee)
    plan = await s.plan(api, f"plan-{external_id}", [price["id"]])
    customer = await s.created(await api.post("/v1/customers", {
        "name": name, "externalCustomerId": external_id, "contacts": contacts or CONTACTS}))
    contract = await s.contract(api, customer["id"], plan["id"], "2026-01-01")
    return {"customer": customer, "contract": contract}


async def finalized_invoice(api: Api, worker: Any, clock: FrozenClock, contract_id: str) -> dict[str, Any]:
    """Finalize the contract's due invoices (the worker at ``FINALIZED_AT``) → the first one (API shape).
    Finalization queues each invoice's email (the contract is invoice-and-collect); those are removed,
    so each test queues what it sends."""
    clock.set(FINALIZED_AT)
    await worker.drain()
    r = await api.get("/v1/invoices", contractId=contract_id, include="lineItems", limit=100)
    issued = sorted((i for i in r.json()["data"] if i["invoiceNumber"]), key=lambda i: i["invoiceDate"])
    assert issued, r.json()
    app = api.client._transport.app  # type: ignore[attr-defined]
    assert {(e.kind, e.invoice_id) for e in await emails(app)} <= {("invoice", i["id"]) for i in issued}
    await drop_emails(app)
    return issued[0]


async def drop_emails(app: Any) -> None:
    """Forget the emails finalization queued (each test queues what it sends)."""
    async with app.state.sessions() as session:
        await session.execute(delete(EmailMessage))
        await session.commit()


async def queue(app: Any, invoice_id: str, kind: str = "invoice", *, now: datetime,
                payment_link: str | None = LINK, **extra: Any) -> EmailMessage | None:
    """Queue a ``kind`` email about the invoice and commit, as invoicing or payments code would."""
    async with app.state.sessions() as session:
        invoice = (await session.execute(select(Invoice).where(Invoice.id == invoice_id))).scalar_one()
        if kind == "invoice":
            email = await service.queue_invoice_email(session, invoice, payment_link=payment_link, now=now, **extra)
        else:
            email = await service.queue_payment_email(session, invoice, kind, payment_link=payment_link, now=now,
                                                      **extra)
        await session.commit()
    return email


async def emails(app: Any) -> list[EmailMessage]:
    """Every stored email, oldest first."""
    async with app.state.sessions() as session:
        rows = await session.execute(select(EmailMessage).order_by(EmailMessage.created_at, EmailMessage.id))
        return list(rows.scalars().all())

"""The SaaS guide's auto-pay setup through the HTTP API, against the Stripe peer: a Pro plan on auto-charge
(Net 0; $50.00 a month + $0.08 per API call), a customer linked to a Stripe customer with a saved card,
usage in March, the April invoice finalized; and a collector to run auto-pay as ``monk payments run`` does."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from monk.email.send import Mailer
from monk.kit.clock import Clock, FrozenClock
from monk.payments.autopay import Collector, RunReport
from tests.conftest import SECRET_KEY, Api
from tests.e2e import scenario as s
from tests.peers.smtp import Received, SmtpPeer
from tests.peers.stripe import StripePeer
from tests.peers.stripe_objects import CARD_OK, card, client, connect, stripe_customer

MARCH = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
APRIL_RUN = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)  # after the finalization grace and the 11:00 run


@dataclass
class Pro:
    """The customer, its contract, its Stripe customer and card, and its invoices once finalized."""

    customer: dict[str, Any]
    contract: dict[str, Any]
    stripe_customer: str
    card: str


async def pro_customer(api: Api, peer: StripePeer, clock: FrozenClock, *, number: str = CARD_OK,
                       calls: int = 5350, external_id: str = "bob", plan_id: str | None = None) -> Pro:
    """Connect Stripe (once per organization), the Pro auto-charge plan (unless ``plan_id``), a customer
    linked to a new Stripe customer whose card is ``number``, its contract from March 1 and ``calls``
    API calls in March."""
    clock.set(datetime(2026, 2, 25, tzinfo=UTC))
    if plan_id is None:
        await connect(api, peer)
        m = await s.meter(api, "API_CALL", "call_count")
        fee = await s.flat_price(api, "Pro Platform Fee", "50.00")
        calls_price = await s.usage_price(api, "API Calls (Pro)", m["id"], "0.08")
        plan_id = (await s.plan(api, "pro", [fee["id"], calls_price["id"]], collectionMethod="auto_charge"))["id"]
    cus = stripe_customer(peer, name=external_id)
    pm = card(peer, cus, number)
    r = await api.post("/v1/customers", {
        "name": external_id.title(), "externalCustomerId": external_id,
        "contacts": [{"email": f"ap@{external_id}.com", "roles": ["accounts_payable"]}],
        "paymentProviderId": cus, "provider": "stripe", "paymentMethodId": pm, "paymentMethodType": "card"})
    assert r.status_code == 201, r.text
    customer = r.json()["data"]
    contract = await s.created(await api.post("/v1/contracts", {
        "customerId": customer["id"], "planId": plan_id, "startDate": "2026-03-01"}))
    events = [{"eventName": "call_count", "customerId": customer["id"], "idempotencyKey": f"{external_id}-{i}",
               "timestamp": (MARCH + timedelta(seconds=i)).isoformat()} for i in range(calls)]
    clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    for i in range(0, len(events), 10_000):
        assert (await api.post("/v1/events/batch", {"events": events[i:i + 10_000]})).status_code == 202
    return Pro(customer, contract, cus, pm)


async def finalize_april(worker: Any, clock: FrozenClock) -> None:
    """Move to April 1, 12:00 UTC and run the worker: March's invoice and April's are finalized."""
    clock.set(APRIL_RUN)
    await worker.drain()


async def run(app: Any, clock: FrozenClock) -> RunReport:
    """The auto-pay run, now, as ``monk payments run`` does."""
    collector = Collector(app.state.sessions, server_key=SECRET_KEY, clock=clock.now)
    return await collector.run(through=clock.now().date())


async def invoices(api: Api, contract_id: str) -> list[dict[str, Any]]:
    """The contract's finalized invoices (not its open drafts) in date order."""
    r = await api.get("/v1/invoices", contractId=contract_id, limit=100)
    issued = [i for i in r.json()["data"] if i["status"] not in ("Drafted", "In Progress")]
    return sorted(issued, key=lambda i: i["invoiceDate"])


async def attempts(api: Api, invoice_id: str) -> list[dict[str, Any]]:
    """The invoice's payment attempts."""
    r = await api.get(f"/v1/invoices/{invoice_id}/payment-attempts")
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def intents(peer: StripePeer) -> list[Any]:
    """Every PaymentIntent the peer holds."""
    return list(client(peer).payment_intents.list(params={"limit": 100}).data)


async def run_cli(database_url: str, module: str = "monk.cli") -> subprocess.CompletedProcess[str]:
    """``monk payments run`` in its own process on the test's database (real time: every invoice
    dated today or earlier is due); ``module``: another entry point (``tests.payments.dying_run``)."""
    env = {**os.environ, "MONK_DATABASE_URL": database_url, "MONK_SECRET_KEY": SECRET_KEY,
           "PYTHONPATH": os.pathsep.join(sys.path)}
    args = [sys.executable, "-m", module] + (["payments", "run"] if module == "monk.cli" else [])
    return await asyncio.to_thread(subprocess.run, args, env=env, capture_output=True, text=True, timeout=120)



async def mail(app: Any, smtp: SmtpPeer) -> list[Received]:
    """Send the emails queued so far through ``smtp`` (as the worker's email job does; on the real clock,
    so emails queued at the tests' frozen times and by ``monk payments run`` alike are due) → every
    message the server holds."""
    settings = app.state.settings.model_copy(update={"smtp_url": smtp.url, "smtp_timeout_seconds": 5.0})
    await Mailer(app.state.sessions, clock=Clock(), settings=settings).send_due()
    return list(smtp.inbox.messages)


def mailing_worker(app: Any, clock: FrozenClock, smtp: SmtpPeer) -> Any:
    """The worker of the app with ``MONK_SMTP_URL`` pointing at ``smtp`` (its email pass sends; without
    an SMTP server due emails are skipped)."""
    from monk.worker.runner import Worker

    settings = app.state.settings.model_copy(update={"smtp_url": smtp.url, "smtp_timeout_seconds": 5.0})
    return Worker(app.state.sessions, clock=clock, settings=settings)

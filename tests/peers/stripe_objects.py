"""Objects a test makes at the Stripe peer, through the ``stripe`` SDK as a Monk user's own code
would (their sign-up flow creates Stripe customers and saves cards), and the Stripe connection of an
organization pointed at the peer."""

from __future__ import annotations

from typing import Any

import stripe

from tests.peers.stripe import StripePeer

WEBHOOK_SECRET = "whsec_monk_tests_0123456789"
SECRET_KEYS = {"live": "sk_live_monktests4242", "test": "sk_test_monktests4242"}
PUBLISHABLE_KEYS = {"live": "pk_live_monktests4242", "test": "pk_test_monktests4242"}
CARD_OK = "4242424242424242"
CARD_DECLINED_AT_CHARGE = "4000000000000341"  # attaches fine, every charge declined


def client(peer: StripePeer) -> Any:
    """The SDK's ``v1`` services against the peer."""
    return stripe.StripeClient(SECRET_KEYS["test"], base_addresses={"api": peer.base}).v1


async def connect(api: Any, peer: StripePeer, *, key: str | None = None, mode: str = "live") -> dict[str, Any]:
    """Connect the key's organization (``mode`` must be the key's) to the peer → the connection."""
    r = await api.put("/v1/payments/stripe", {"secretKey": SECRET_KEYS[mode], "webhookSecret": WEBHOOK_SECRET,
                                              "publishableKey": PUBLISHABLE_KEYS[mode], "apiBase": peer.base},
                      key=key)
    assert r.status_code == 200, r.text
    return r.json()["data"]  # type: ignore[no-any-return]


def stripe_customer(peer: StripePeer, *, name: str = "Acme", email: str = "ap@acme.com") -> str:
    """A new Stripe customer → ``cus_…``."""
    return str(client(peer).customers.create(params={"name": name, "email": email}).id)


def card(peer: StripePeer, customer: str | None, number: str = CARD_OK) -> str:
    """A card PaymentMethod (attached to ``customer`` when given) → ``pm_…``."""
    v1 = client(peer)
    pm = v1.payment_methods.create(params={"type": "card", "card": {
        "number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"}})
    if customer:
        v1.payment_methods.attach(pm.id, params={"customer": customer})
    return str(pm.id)


def bank_debit(peer: StripePeer, customer: str, *, fails: bool = False) -> str:
    """A bank debit the peer settles later (its ``sepa_debit``: Stripe's ACH debits behave alike, and the
    peer has no ``us_bank_account``) attached to ``customer`` → ``pm_…``; ``fails``: the debit bounces."""
    v1 = client(peer)
    iban = "DE62370400440532013001" if fails else "DE89370400440532013000"
    pm = v1.payment_methods.create(params={"type": "sepa_debit", "sepa_debit": {"iban": iban}})
    v1.payment_methods.attach(pm.id, params={"customer": customer})
    return str(pm.id)

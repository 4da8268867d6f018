"""Customers linked to Stripe (reference §5.1/§5.4; getting paid, item 3): ``paymentProviderId`` and
``paymentMethodId`` are checked against the organization's Stripe account (a real Stripe-compatible
server), unknown ids are a 400 naming them, the card's brand and last 4 come from Stripe, and nothing
is written when a check fails."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api, assert_error
from tests.peers.ports import free_port
from tests.peers.stripe import StripePeer
from tests.peers.stripe_objects import SECRET_KEYS, WEBHOOK_SECRET, card, connect, stripe_customer

CONTACTS = [{"email": "ap@acme.com", "roles": ["accounts_payable"]}]


async def _create(api: Api, **fields: Any) -> Any:
    return await api.post("/v1/customers", {"name": "Acme", "contacts": CONTACTS, **fields})


async def test_link_needs_a_stripe_connection(api: Api) -> None:
    r = await _create(api, paymentProviderId="cus_abc", provider="stripe")
    assert "Stripe connection" in assert_error(r, 400)["message"]
    assert (await api.get("/v1/customers")).json()["total"] == 0


async def test_known_customer_and_card_are_linked_with_brand_and_last4(api: Api, stripe_api: StripePeer) -> None:
    await connect(api, stripe_api)
    cus = stripe_customer(stripe_api)
    pm = card(stripe_api, cus)
    r = await _create(api, paymentProviderId=cus, provider="stripe", paymentMethodId=pm, paymentMethodType="card")
    assert r.status_code == 201, r.text
    data = r.json()["data"]
    assert (data["provider"], data["paymentProviderId"]) == ("stripe", cus)
    assert data["paymentMethod"] == {"id": pm, "type": "card", "brand": "visa", "last4": "4242"}
    # Clearing the method needs no Stripe call; a new provider id forgets the old customer's method.
    cleared = await api.patch(f"/v1/customers/{data['id']}", {"paymentMethodId": None, "paymentMethodType": None})
    assert cleared.json()["data"]["paymentMethod"] is None
    other = stripe_customer(stripe_api, name="Other")
    await api.patch(f"/v1/customers/{data['id']}", {"paymentMethodId": pm, "paymentMethodType": "card"})
    moved = (await api.patch(f"/v1/customers/{data['id']}", {"paymentProviderId": other, "provider": "stripe"})).json()
    assert (moved["data"]["paymentProviderId"], moved["data"]["paymentMethod"]) == (other, None)


async def test_a_method_attached_to_a_stripe_customer_links_that_customer(api: Api, stripe_api: StripePeer) -> None:
    await connect(api, stripe_api)
    cus = stripe_customer(stripe_api)
    pm = card(stripe_api, cus, "5555555555554444")
    made = (await _create(api)).json()["data"]
    r = await api.patch(f"/v1/customers/{made['id']}", {"paymentMethodId": pm, "paymentMethodType": "card"})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["paymentProviderId"] == cus
    assert r.json()["data"]["paymentMethod"]["last4"] == "4444"


async def test_unknown_or_mismatched_ids_are_400s_naming_them_and_change_nothing(
        api: Api, stripe_api: StripePeer) -> None:
    await connect(api, stripe_api)
    cus = stripe_customer(stripe_api)
    r = await _create(api, paymentProviderId="cus_doesnotexist", provider="stripe")
    assert "cus_doesnotexist" in assert_error(r, 400)["message"]
    made = (await _create(api, paymentProviderId=cus, provider="stripe")).json()["data"]
    before = (await api.get(f"/v1/customers/{made['id']}")).json()
    for body, named in [
        ({"paymentMethodId": "pm_doesnotexist", "paymentMethodType": "card"}, "pm_doesnotexist"),
        ({"paymentMethodId": card(stripe_api, cus), "paymentMethodType": "us_bank_account"}, "card payment method"),
        ({"paymentMethodId": card(stripe_api, None), "paymentMethodType": "card"}, "not attached"),
        ({"paymentMethodId": card(stripe_api, stripe_customer(stripe_api, name="B")), "paymentMethodType": "card"},
         "belongs to Stripe customer"),
    ]:
        r = await api.patch(f"/v1/customers/{made['id']}", body)
        assert named in assert_error(r, 400)["message"], body
    assert (await api.get(f"/v1/customers/{made['id']}")).json() == before


async def test_stripe_unreachable_is_a_503_and_changes_nothing(api: Api) -> None:
    r = await api.put("/v1/payments/stripe", {"secretKey": SECRET_KEYS["live"], "webhookSecret": WEBHOOK_SECRET,
                                              "apiBase": f"http://127.0.0.1:{free_port()}"})  # nothing listens
    assert r.status_code == 200, r.text
    r = await _create(api, paymentProviderId="cus_abc", provider="stripe")
    assert_error(r, 503, "SERVICE_UNAVAILABLE")
    assert (await api.get("/v1/customers")).json()["total"] == 0

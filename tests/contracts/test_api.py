"""Contracts' auto-pay through the HTTP API (concepts §18): ``autoPay`` defaults to the plan's (on for
``auto_charge`` plans), is set at creation and by ``PATCH``; the shape carries the plan's
``collectionMethod`` and the contract's own ``paymentMethod`` (saved by ``service.set_payment_method``);
plan changes never turn auto-pay off and turn it on when an ``auto_charge`` plan takes effect; other
organizations' ids stay 404. Now is 2026-01-15 12:00 UTC; contracts start 2026-01-01, monthly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from monk.contracts import service
from monk.kit.auth import Principal
from monk.kit.clock import FrozenClock
from monk.kit.errors import ValidationFailed
from monk.models import Contract
from monk.worker.runner import Worker
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s

SHAPE = ("collectionMethod", "autoPay", "paymentMethod")


async def _plan(api: Api, code: str, **extra: Any) -> dict:
    fee = await s.flat_price(api, f"{code} fee", "10")
    return await s.plan(api, code, [fee["id"]], **extra)


async def _customer(api: Api) -> dict:
    return await s.customer(api, "Corp", "corp")


async def _contract(api: Api, plan: dict, customer: dict, **extra: Any) -> dict:
    return await s.contract(api, customer["id"], plan["id"], "2026-01-01", **extra)


async def _get(api: Api, contract: dict, key: str | None = None) -> dict:
    r = await api.get(f"/v1/contracts/{contract['id']}", key=key)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _auto(contract: dict) -> tuple:
    return tuple(contract[k] for k in SHAPE)


async def _connect_stripe(api: Api) -> None:
    """A Stripe connection for the key's mode (explicit auto-pay needs one; nothing calls Stripe here)."""
    r = await api.put("/v1/payments/stripe", {"secretKey": "sk_live_contracttests", "webhookSecret": "whsec_contracts"})
    assert r.status_code == 200, r.text


async def test_explicit_auto_pay_needs_a_stripe_connection(api: Api) -> None:
    cust = await _customer(api)
    plain = await _plan(api, "plain")
    err = assert_error(await api.post("/v1/contracts", {"customerId": cust["id"], "planId": plain["id"],
                                                        "startDate": "2026-01-01", "autoPay": True}), 400)
    assert err["message"] == "autoPay: auto-pay needs a Stripe connection in live mode (PUT /v1/payments/stripe)"
    c = await _contract(api, plain, cust)
    assert_error(await api.patch(f"/v1/contracts/{c['id']}", {"autoPay": True}), 400)
    assert (await api.patch(f"/v1/contracts/{c['id']}", {"autoPay": False})).status_code == 200
    await _connect_stripe(api)
    assert (await api.patch(f"/v1/contracts/{c['id']}", {"autoPay": True})).json()["data"]["autoPay"] is True


async def test_the_shape_and_the_plan_defaults(api: Api) -> None:
    cust = await _customer(api)
    plain = await _contract(api, await _plan(api, "plain"), cust)
    assert _auto(plain) == ("invoice_and_collect", False, None)
    assert _auto(await _get(api, plain)) == _auto(plain)
    keen = await _contract(api, await _plan(api, "keen", autoPay=True, netTerms=30), cust)
    assert _auto(keen) == ("invoice_and_collect", True, None) and keen["netTerms"] == 30
    charged_plan = await _plan(api, "charged", collectionMethod="auto_charge")
    charged = await _contract(api, charged_plan, cust)
    assert _auto(charged) == ("auto_charge", True, None) and charged["netTerms"] == 0
    listed = (await api.get("/v1/contracts")).json()["data"]
    assert [_auto(c) for c in listed] == [("invoice_and_collect", False, None), ("invoice_and_collect", True, None),
                                          ("auto_charge", True, None)]
    assert listed[2] == await _get(api, charged)


async def test_auto_pay_at_creation(api: Api) -> None:
    await _connect_stripe(api)
    cust = await _customer(api)
    plain, charged = await _plan(api, "plain"), await _plan(api, "charged", collectionMethod="auto_charge")
    assert (await _contract(api, plain, cust, autoPay=True))["autoPay"] is True
    assert (await _contract(api, plain, cust, autoPay=None))["autoPay"] is False  # null: the plan's
    off = await _contract(api, charged, cust, autoPay=False)  # allowed: concepts §18 turns it off after failures
    assert _auto(off) == ("auto_charge", False, None)
    assert (await _contract(api, charged, cust, netTerms=0))["netTerms"] == 0
    total = (await api.get("/v1/contracts")).json()["total"]
    base = {"customerId": cust["id"], "planId": charged["id"], "startDate": "2026-01-01"}
    err = assert_error(await api.post("/v1/contracts", {**base, "netTerms": 30}), 400, "VALIDATION_ERROR")
    assert err["message"].startswith("netTerms: auto_charge plans are due on receipt (Net 0)"), err
    assert err["details"] == [{"field": "netTerms", "message": err["message"].removeprefix("netTerms: ")}]
    for bad in ("yes", 1, "true"):
        err = assert_error(await api.post("/v1/contracts", {**base, "autoPay": bad}), 400, "VALIDATION_ERROR")
        assert err["message"].startswith("autoPay"), err
    assert (await api.get("/v1/contracts")).json()["total"] == total


async def test_patch_turns_auto_pay_on_and_off(api: Api, clock: FrozenClock) -> None:
    await _connect_stripe(api)
    cust = await _customer(api)
    c = await _contract(api, await _plan(api, "charged", collectionMethod="auto_charge"), cust,
                        metadata={"crm": "42"})
    path = f"/v1/contracts/{c['id']}"
    clock.set(datetime(2026, 1, 16, tzinfo=UTC))
    r = await api.patch(path, {"autoPay": False})
    assert r.status_code == 200, r.text
    off = r.json()["data"]
    assert _auto(off) == ("auto_charge", False, None) and off["metadata"] == {"crm": "42"}
    assert off["updatedAt"] == "2026-01-16T00:00:00.000Z"
    assert await _get(api, c) == off
    on = (await api.patch(path, {"autoPay": True, "metadata": None})).json()["data"]
    assert (on["autoPay"], on["metadata"]) == (True, {})
    kept = (await api.patch(path, {"metadata": {"team": "growth"}})).json()["data"]
    assert (kept["autoPay"], kept["metadata"]) == (True, {"team": "growth"})
    for bad in ({}, {"autoPay": None}, {"autoPay": "false"}, {"autoPay": 0}, {"autoPay": True, "netTerms": 5}):
        assert_error(await api.patch(path, bad), 400, "VALIDATION_ERROR")
    assert await _get(api, c) == kept


async def test_other_organizations_ids_stay_404(api: Api) -> None:
    c = await _contract(api, await _plan(api, "charged", collectionMethod="auto_charge"), await _customer(api))
    for key in (await api.new_key(["*"], org="other"), await api.new_key(["*"], mode="test")):
        assert_error(await api.get(f"/v1/contracts/{c['id']}", key=key), 404, "NOT_FOUND")
        assert_error(await api.patch(f"/v1/contracts/{c['id']}", {"autoPay": False}, key=key), 404, "NOT_FOUND")
        assert (await api.get("/v1/contracts", key=key)).json()["total"] == 0
    reader = await api.new_key(["contracts:read"])
    assert_error(await api.patch(f"/v1/contracts/{c['id']}", {"autoPay": False}, key=reader), 403, "FORBIDDEN")
    assert (await _get(api, c))["autoPay"] is True


async def test_plan_changes_keep_auto_pay_and_an_auto_charge_plan_turns_it_on(
        api: Api, worker: Worker, clock: FrozenClock) -> None:
    await _connect_stripe(api)
    cust = await _customer(api)
    plain, other = await _plan(api, "plain"), await _plan(api, "other")
    charged = await _plan(api, "charged", collectionMethod="auto_charge")

    async def change(c: dict, plan: dict, option: str = "immediate") -> dict:
        r = await api.post(f"/v1/contracts/{c['id']}/change-plan", {"planId": plan["id"], "changeOption": option})
        assert r.status_code == 200, r.text
        return await _get(api, c)

    kept_on = await _contract(api, plain, cust, autoPay=True)
    assert _auto(await change(kept_on, other)) == ("invoice_and_collect", True, None)
    turned_off = await _contract(api, charged, cust, autoPay=False)
    assert _auto(await change(turned_off, plain)) == ("invoice_and_collect", False, None)  # never flipped back
    on_now = await _contract(api, plain, cust)
    assert _auto(await change(on_now, charged)) == ("auto_charge", True, None)
    left_on = await _contract(api, charged, cust)
    assert _auto(await change(left_on, plain)) == ("invoice_and_collect", True, None)  # not turned off either

    scheduled = await _contract(api, plain, cust)
    assert _auto(await change(scheduled, charged, "end_of_period")) == ("invoice_and_collect", False, None)
    clock.set(datetime(2026, 2, 1, 0, 1, tzinfo=UTC))
    await worker.drain()
    after = await _get(api, scheduled)
    assert after["planId"] == charged["id"] and _auto(after) == ("auto_charge", True, None)


async def _principal(api: Api, contract_id: str) -> Principal:
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessions() as session:
        org = (await session.execute(select(Contract.org_id).where(Contract.id == contract_id))).scalar_one()
    return Principal(org_id=org, mode="live", key_id="k", scopes=frozenset({"*"}))


async def test_the_contracts_own_payment_method(api: Api, clock: FrozenClock) -> None:
    c = await _contract(api, await _plan(api, "charged", collectionMethod="auto_charge"), await _customer(api))
    who = await _principal(api, c["id"])
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessions() as session:
        contract = await service.get_for_update(session, who, c["id"])
        await service.set_payment_method(session, contract, method_id="pm_1Abc", method_type="card", brand="visa",
                                         last4="4242")
        await session.commit()
    got = await _get(api, c)
    assert got["paymentMethod"] == {"id": "pm_1Abc", "type": "card", "brand": "visa", "last4": "4242"}
    assert got["updatedAt"] == c["updatedAt"]  # without ``now`` the contract's updatedAt stays
    assert (await api.get("/v1/contracts")).json()["data"][0]["paymentMethod"] == got["paymentMethod"]

    clock.set(datetime(2026, 1, 20, tzinfo=UTC))
    async with app.state.sessions() as session:
        contract = await service.get_for_update(session, who, c["id"])
        await service.set_payment_method(session, contract, method_id="pm_Bank9", method_type="us_bank_account",
                                         brand="STRIPE TEST BANK", last4=None, now=clock.now())
        await session.commit()
    got = await _get(api, c)
    assert got["paymentMethod"] == {"id": "pm_Bank9", "type": "us_bank_account", "brand": "STRIPE TEST BANK",
                                    "last4": None}
    assert got["updatedAt"] == "2026-01-20T00:00:00.000Z"
    other = await api.new_key(["*"], org="other")
    assert_error(await api.get(f"/v1/contracts/{c['id']}", key=other), 404, "NOT_FOUND")

    async with app.state.sessions() as session:
        contract = await service.get_for_update(session, who, c["id"])
        for fields, field in [
            ({"method_id": "card_123", "method_type": "card"}, "paymentMethod.id"),
            ({"method_id": "pm_1", "method_type": "sepa_debit"}, "paymentMethod.type"),
            ({"method_id": "pm_1", "method_type": "card", "last4": "42"}, "paymentMethod.last4"),
        ]:
            with pytest.raises(ValidationFailed, match=field):
                await service.set_payment_method(session, contract, **{"brand": None, "last4": None, **fields})
        await service.clear_payment_method(session, contract)
        await session.commit()
    cleared = await _get(api, c)
    assert _auto(cleared) == ("auto_charge", True, None)

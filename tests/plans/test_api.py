"""Plans' billing mode through the HTTP API (concepts §18): ``collectionMethod`` defaults to
``invoice_and_collect``; ``auto_charge`` forces Net 0 and auto-pay on, and a body that contradicts it
is a 400 naming the field; the mode is stored and shown on every read, to this organization only."""

from __future__ import annotations

from tests.conftest import Api, assert_error

PRO = {"name": "Pro", "planCode": "pro", "billingFrequency": "MONTHLY"}
TERMS = ("collectionMethod", "netTerms", "autoPay")


async def _create(api: Api, **extra: object) -> dict:
    r = await api.post("/v1/plans", {**PRO, **extra})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def _terms(plan: dict) -> tuple:
    return tuple(plan[k] for k in TERMS)


async def test_invoice_and_collect_is_the_default_and_keeps_what_is_sent(api: Api) -> None:
    assert _terms(await _create(api)) == ("invoice_and_collect", 0, False)
    sent = await _create(api, planCode="ent", collectionMethod="invoice_and_collect", netTerms=30, autoPay=True)
    assert _terms(sent) == ("invoice_and_collect", 30, True)
    assert _terms((await api.get(f"/v1/plans/{sent['id']}")).json()["data"]) == ("invoice_and_collect", 30, True)


async def test_auto_charge_is_net_0_with_auto_pay_on(api: Api) -> None:
    plan = await _create(api, collectionMethod="auto_charge")
    assert _terms(plan) == ("auto_charge", 0, True)
    explicit = await _create(api, planCode="explicit", collectionMethod="auto_charge", netTerms=0, autoPay=True)
    assert _terms(explicit) == ("auto_charge", 0, True)
    assert (await api.get(f"/v1/plans/{plan['id']}")).json() == {"data": plan}
    listed = (await api.get("/v1/plans")).json()["data"]
    assert [_terms(p) for p in listed] == [("auto_charge", 0, True)] * 2


async def test_auto_charge_refuses_other_terms_and_stores_nothing(api: Api) -> None:
    for extra, field, why in [
        ({"netTerms": 30}, "netTerms", "auto_charge plans are due on receipt (Net 0)"),
        ({"netTerms": 1, "autoPay": True}, "netTerms", "auto_charge plans are due on receipt (Net 0)"),
        ({"autoPay": False}, "autoPay", "auto_charge plans charge automatically (auto-pay on)"),
    ]:
        err = assert_error(await api.post("/v1/plans", {**PRO, "collectionMethod": "auto_charge", **extra}),
                           400, "VALIDATION_ERROR")
        assert err["message"].startswith(f"{field}: {why}"), err
        assert [d["field"] for d in err["details"]] == [field]
    for bad in ("AUTO_CHARGE", "charge", None, 1):
        err = assert_error(await api.post("/v1/plans", {**PRO, "collectionMethod": bad}), 400, "VALIDATION_ERROR")
        assert err["message"].startswith("collectionMethod"), err
    assert (await api.get("/v1/plans")).json()["total"] == 0


async def test_other_organizations_do_not_see_the_plan(api: Api) -> None:
    plan = await _create(api, collectionMethod="auto_charge")
    for key in (await api.new_key(["*"], org="other"), await api.new_key(["*"], mode="test")):
        assert_error(await api.get(f"/v1/plans/{plan['id']}", key=key), 404, "NOT_FOUND")
        assert (await api.get("/v1/plans", key=key)).json()["total"] == 0

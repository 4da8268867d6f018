"""Credit budgets (reference §11) through the API and the worker, on SQLite and PostgreSQL: CRUD with
its errors, index shifts, PATCH semantics, the cap field against the wallet's mode; enforcement in the
draw-down (credits stop at a budget's cap, the rest is due), ``credit.budget.exhausted`` once per
period and again after a cap change, first-match attribution, and ``…/budgets/usage`` agreeing with
the invoice."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.credits.test_drawdown import _april, _balance, _grant, _setup, _totals
from tests.e2e import scenario as s

DOVE = {"business_unit": "dove"}


async def _events(api: Api, n: int, properties: dict[str, Any] | None, *, tag: str,
                  name: str = "call_count") -> None:
    await s.send(api, [{"eventName": name, "externalCustomerId": "alice", "idempotencyKey": f"{tag}-{i}",
                        "timestamp": "2026-03-02T10:00:00Z", **({"properties": properties} if properties else {})}
                       for i in range(n)])


async def _budget(api: Api, contract_id: str, label: str, key: str, value: str, **cap: Any) -> dict[str, Any]:
    r = await api.post(f"/v1/contracts/{contract_id}/budgets",
                       {"label": label, "eventPropertyKey": key, "eventPropertyValue": value, **cap})
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _usage(api: Api, contract_id: str) -> list[dict[str, Any]]:
    r = await api.get(f"/v1/contracts/{contract_id}/budgets/usage")
    assert r.status_code == 200, r.text
    return r.json()["data"]["budgets"]


async def _exhausted(api: Api) -> list[dict[str, Any]]:
    r = await api.get("/v1/webhooks/deliveries", eventType="credit.budget.exhausted", limit=100)
    assert r.status_code == 200, r.text
    return sorted((d["payload"] for d in r.json()["data"]), key=lambda p: p["consumedCents"])


async def _subscribe(api: Api) -> None:
    r = await api.post("/v1/webhooks/endpoints", {"url": "http://127.0.0.1:9/hooks",
                                                  "eventTypes": ["credit.budget.exhausted"]})
    assert r.status_code == 201, r.text


async def test_crud_indexes_and_errors(api: Api, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    base = f"/v1/contracts/{c['id']}/budgets"
    empty = (await api.get(base)).json()["data"]
    assert empty == {"budgets": [], "contractId": c["id"], "walletMode": "dollars"}
    dove = await _budget(api, c["id"], "Dove", "business_unit", "dove", maxCreditsCents=3000)
    assert dove == {"index": 0, "label": "Dove", "eventPropertyKey": "business_unit", "eventPropertyValue": "dove",
                    "meterId": None, "maxCredits": None, "maxCreditsCents": 3000, "isExhausted": False}
    await _budget(api, c["id"], "Hawk", "business_unit", "hawk", maxCreditsCents=100)
    meter = (await api.get("/v1/meters")).json()["data"][0]
    await _budget(api, c["id"], "Red team", "team", "red", maxCreditsCents=0, meterId=meter["id"])

    dup = await api.post(base, {"label": "Again", "eventPropertyKey": "business_unit", "eventPropertyValue": "dove",
                                "maxCreditsCents": 1})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "CONFLICT"
    assert (await api.post("/v1/contracts/nope/budgets", {"label": "x", "eventPropertyKey": "k",
                                                          "eventPropertyValue": "v", "maxCreditsCents": 1})
            ).status_code == 404
    assert (await api.post(base, {"label": "x", "eventPropertyKey": "k", "eventPropertyValue": "v",
                                  "maxCreditsCents": 1, "meterId": "no-such-meter"})).status_code == 404
    wrong = await api.post(base, {"label": "x", "eventPropertyKey": "k", "eventPropertyValue": "v", "maxCredits": 5})
    assert wrong.status_code == 400 and "maxCredits" in wrong.json()["error"]["message"]
    missing = await api.post(base, {"label": "x", "eventPropertyKey": "k", "eventPropertyValue": "v"})
    assert missing.status_code == 400 and "maxCreditsCents" in missing.json()["error"]["message"]
    assert (await api.post(base, {"label": "x" * 256, "eventPropertyKey": "k", "eventPropertyValue": "v",
                                  "maxCreditsCents": 1})).status_code == 400
    assert (await api.post(base, {"label": "x", "eventPropertyKey": "k", "eventPropertyValue": "v",
                                  "maxCreditsCents": -1})).status_code == 400

    # PATCH: only the fields given change; the property pair cannot change; null clears the meter / cap.
    r = await api.patch(f"{base}/2", {"label": "Red", "meterId": None})
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["label"], r.json()["data"]["meterId"], r.json()["data"]["maxCreditsCents"]) == (
        "Red", None, 0)
    fixed = await api.patch(f"{base}/2", {"eventPropertyValue": "blue"})
    assert fixed.status_code == 400 and "eventPropertyValue" in fixed.json()["error"]["message"]
    assert (await api.patch(f"{base}/2", {"maxCredits": 3})).status_code == 400
    assert (await api.patch(f"{base}/7", {"label": "x"})).status_code == 404
    r = await api.patch(f"{base}/1", {"maxCreditsCents": None})
    assert r.status_code == 200 and r.json()["data"]["maxCreditsCents"] is None

    # DELETE: the later budgets move down one index.
    r = await api.delete(f"{base}/0")
    assert r.status_code == 200, r.text
    assert r.json()["data"]["removed"]["label"] == "Dove"
    listed = (await api.get(base)).json()["data"]["budgets"]
    assert [(b["index"], b["label"]) for b in listed] == [(0, "Hawk"), (1, "Red")]
    assert (await api.delete(f"{base}/2")).status_code == 404
    # ``/budgets/usage`` is not an index.
    usage = await api.get(f"{base}/usage")
    assert usage.status_code == 200 and [b["consumedCents"] for b in usage.json()["data"]["budgets"]] == [0, 0]
    assert usage.json()["data"]["queriedAt"].endswith("Z")


async def test_a_budget_caps_credits_and_the_rest_is_due(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await _subscribe(api)
    await _grant(api, c["id"], 10000)
    await _budget(api, c["id"], "Dove", "business_unit", "dove", maxCreditsCents=3000)
    await worker.drain()
    await _events(api, 50, DOVE, tag="dove")  # $50 of Dove usage against a $30 cap
    await _events(api, 20, {"business_unit": "hawk"}, tag="hawk")  # not budgeted: draws freely
    await _events(api, 10, None, tag="plain")
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (8000, 6000, 2000)  # $20 of Dove usage is overage
    assert await _balance(api, c["id"]) == 4000
    [dove] = await _usage(api, c["id"])
    assert (dove["consumedCents"], dove["consumedUnits"], dove["percentConsumed"], dove["isExhausted"]) == (
        3000, 30.0, 100.0, True)
    assert (await api.get(f"/v1/contracts/{c['id']}/budgets")).json()["data"]["budgets"][0]["isExhausted"] is True
    sent = await _exhausted(api)
    assert len(sent) == 1
    assert {k: sent[0][k] for k in ("index", "label", "contractId", "consumedCents", "consumedUnits",
                                    "periodStart", "isExhausted", "maxCreditsCents")} == {
        "index": 0, "label": "Dove", "contractId": c["id"], "consumedCents": 3000, "consumedUnits": 30.0,
        "periodStart": "2026-03-01", "isExhausted": True, "maxCreditsCents": 3000}

    await _events(api, 5, DOVE, tag="dove-more")  # still exhausted: no second event
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (8500, 6000, 2500)
    assert len(await _exhausted(api)) == 1

    # A higher cap re-arms the event and lets credits pay again (the worker draws the invoice again).
    r = await api.patch(f"/v1/contracts/{c['id']}/budgets/0", {"maxCreditsCents": 6000})
    assert r.status_code == 200 and r.json()["data"]["isExhausted"] is False
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (8500, 8500, 0)  # $55 of Dove usage, under $60
    assert len(await _exhausted(api)) == 1
    await _events(api, 10, DOVE, tag="dove-last")  # $65 against $60: crossed again
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (9500, 9000, 500)
    sent = await _exhausted(api)
    assert [p["consumedCents"] for p in sent] == [3000, 6000]  # once per crossing of each cap
    [dove] = await _usage(api, c["id"])
    april = await _april(api, c["id"])
    assert (dove["consumedCents"], dove["isExhausted"]) == (6000, True)
    assert april["creditsAppliedCents"] == 9000 and await _balance(api, c["id"]) == 1000


async def test_usage_matching_two_budgets_counts_against_the_first(api: Api, worker: Any,
                                                                   clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await _grant(api, c["id"], 100000)
    await _budget(api, c["id"], "Dove", "business_unit", "dove", maxCreditsCents=1000)
    await _budget(api, c["id"], "Red team", "team", "red", maxCreditsCents=100000)
    await _budget(api, c["id"], "Tier 7", "tier", "7", maxCreditsCents=100000)  # numbers match by JSON text
    await _budget(api, c["id"], "VIP", "vip", "true", maxCreditsCents=0)  # booleans too
    await worker.drain()
    await _events(api, 20, {**DOVE, "team": "red"}, tag="both")
    await _events(api, 3, {"team": "red"}, tag="red")
    await _events(api, 4, {"tier": 7}, tag="tier")
    await _events(api, 2, {"vip": True}, tag="vip")
    await worker.drain()
    # 29 calls = $29; Dove owns the 20 shared calls ($20 against $10: $10 over); VIP's $2 are all over.
    assert _totals(await _april(api, c["id"])) == (2900, 1700, 1200)
    usage = await _usage(api, c["id"])
    assert [(b["label"], b["consumedCents"], b["isExhausted"]) for b in usage] == [
        ("Dove", 1000, True), ("Red team", 300, False), ("Tier 7", 400, False), ("VIP", 0, True)]
    assert [b["percentConsumed"] for b in usage] == [100.0, 0.3, 0.4, None]


async def test_a_credit_wallet_caps_in_credits(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock, creditSettings={"walletMode": "credits", "creditRateCents": 50})
    base = f"/v1/contracts/{c['id']}/budgets"
    wrong = await api.post(base, {"label": "Dove", "eventPropertyKey": "business_unit", "eventPropertyValue": "dove",
                                  "maxCreditsCents": 3000})
    assert wrong.status_code == 400 and "maxCreditsCents" in wrong.json()["error"]["message"]
    budget = await _budget(api, c["id"], "Dove", "business_unit", "dove", maxCredits=60)  # 60 credits = $30
    assert (budget["maxCredits"], budget["maxCreditsCents"]) == (60.0, None)
    r = await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant",
                       {"creditRateCents": 50, "creditAmount": 200, "expiresAt": "2026-12-31T00:00:00Z"})
    assert r.status_code == 201, r.text
    await worker.drain()
    await _events(api, 50, DOVE, tag="dove")
    await worker.drain()
    assert _totals(await _april(api, c["id"])) == (5000, 3000, 2000)
    [dove] = await _usage(api, c["id"])
    assert (dove["consumedUnits"], dove["consumedCents"], dove["percentConsumed"]) == (60.0, 3000, 100.0)
    listed = (await api.get(base)).json()["data"]
    assert listed["walletMode"] == "credits" and listed["budgets"][0]["isExhausted"] is True


async def test_usage_numbers_follow_the_current_period(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    await _grant(api, c["id"], 100000)
    await _budget(api, c["id"], "Dove", "business_unit", "dove", maxCreditsCents=3000)
    await worker.drain()
    await _events(api, 12, DOVE, tag="dove")
    await worker.drain()
    [dove] = await _usage(api, c["id"])
    assert (dove["consumedCents"], dove["percentConsumed"], dove["isExhausted"]) == (1200, 40.0, False)
    clock.set(datetime(2026, 4, 2, tzinfo=UTC))  # April's usage period: nothing measured yet
    [dove] = await _usage(api, c["id"])
    assert (dove["consumedCents"], dove["percentConsumed"]) == (0, 0.0)

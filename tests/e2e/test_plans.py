"""Plans end to end: create, list, get; pricing bundling, scopes, tenancy, validation; repository contract."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from monk.kit.auth import Principal
from monk.models import Plan, PlanPricing
from monk.plans import repository
from tests.conftest import Api, assert_error

PRO = {"name": "Pro", "planCode": "pro", "billingFrequency": "MONTHLY"}


async def _pricing(api: Api, name: str, key: str | None = None) -> dict:
    r = await api.post("/v1/pricing", {"productName": "Platform", "name": name, "model": "FLAT",
                                       "billingMode": "RECURRING", "unitAmount": "49", "priceInterval": "MONTH"},
                       key=key)
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _plan(api: Api, body: dict | None = None, **extra: object) -> dict:
    r = await api.post("/v1/plans", {**(body or PRO), **extra})
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _total(api: Api) -> int:
    return (await api.get("/v1/plans")).json()["total"]


async def _links(api: Api) -> int:
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessions() as s:
        return (await s.execute(select(func.count()).select_from(PlanPricing))).scalar_one()


async def test_create_get_list(api: Api) -> None:
    base = await _pricing(api, "Base fee")
    seats = await _pricing(api, "Seats")
    r = await api.post("/v1/plans", {
        "name": "Pro", "planCode": "pro_2026-v1", "currency": "USD", "billingFrequency": "QUARTERLY",
        "pricingIds": [seats["id"], base["id"]], "netTerms": 30, "autoPay": True, "creditGrantCents": 5000,
        "status": "DRAFT", "description": "Our pro plan",
    })
    assert r.status_code == 201, r.text
    plan = r.json()["data"]
    assert plan == {
        "id": plan["id"],
        "name": "Pro",
        "planCode": "pro_2026-v1",
        "currency": "USD",
        "billingFrequency": "QUARTERLY",
        "collectionMethod": "invoice_and_collect",
        "netTerms": 30,
        "autoPay": True,
        "creditGrantCents": 5000,
        "status": "DRAFT",
        "description": "Our pro plan",
        "pricingIds": [seats["id"], base["id"]],
        "pricing": [seats, base],
        "createdAt": "2026-01-15T12:00:00.000Z",
        "updatedAt": "2026-01-15T12:00:00.000Z",
    }
    assert (await api.get(f"/v1/plans/{plan['id']}")).json() == {"data": plan}
    assert (await api.get("/v1/plans")).json() == {"data": [plan], "hasMore": False, "total": 1}


async def test_defaults(api: Api) -> None:
    plan = await _plan(api)
    assert {k: plan[k] for k in ("currency", "collectionMethod", "netTerms", "autoPay", "creditGrantCents", "status",
                                 "description", "pricingIds", "pricing")} == {
        "currency": "USD", "collectionMethod": "invoice_and_collect", "netTerms": 0, "autoPay": False,
        "creditGrantCents": None, "status": "ACTIVE", "description": None, "pricingIds": [], "pricing": [],
    }
    zero = await _plan(api, PRO, planCode="free", creditGrantCents=0, netTerms=365, billingFrequency="ANNUALLY")
    assert (zero["creditGrantCents"], zero["netTerms"], zero["billingFrequency"]) == (0, 365, "ANNUALLY")
    semi = await _plan(api, PRO, planCode="semi", billingFrequency="SEMI_ANNUALLY", creditGrantCents=None)
    assert semi["billingFrequency"] == "SEMI_ANNUALLY" and semi["creditGrantCents"] is None


async def test_pagination_and_status_filter(api: Api) -> None:
    p = await _pricing(api, "Fee")
    statuses = ["ACTIVE", "DRAFT", "ARCHIVED"] * 4  # 12 plans
    ids = [(await _plan(api, PRO, planCode=f"p{i}", status=s, pricingIds=[p["id"]]))["id"]
           for i, s in enumerate(statuses)]
    body = (await api.get("/v1/plans")).json()
    assert [x["id"] for x in body["data"]] == ids[:10] and body["hasMore"] is True and body["total"] == 12
    assert all(x["pricing"] == [p] for x in body["data"])
    body = (await api.get("/v1/plans", offset=10)).json()
    assert [x["id"] for x in body["data"]] == ids[10:] and body["hasMore"] is False
    body = (await api.get("/v1/plans", limit=100)).json()
    assert len(body["data"]) == 12 and body["hasMore"] is False
    body = (await api.get("/v1/plans", status="DRAFT", limit=3)).json()
    assert [x["id"] for x in body["data"]] == ids[1::3][:3] and body["total"] == 4 and body["hasMore"] is True
    assert {x["status"] for x in body["data"]} == {"DRAFT"}
    assert (await api.get("/v1/plans", status="ARCHIVED")).json()["total"] == 4
    assert_error(await api.get("/v1/plans", status="active"), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/plans", limit=101), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/plans", offset=-1), 400, "VALIDATION_ERROR")


async def test_scopes_and_tenancy(api: Api) -> None:
    plan = await _plan(api)
    key = await api.new_key(["customers:read"])
    for resp, scope in [
        (await api.post("/v1/plans", {**PRO, "planCode": "x"}, key=key), "plans:write"),
        (await api.get("/v1/plans", key=key), "plans:read"),
        (await api.get(f"/v1/plans/{plan['id']}", key=key), "plans:read"),
    ]:
        err = assert_error(resp, 403, "FORBIDDEN")
        assert err["message"] == f"API key does not have the required permission: {scope}"
    reader = await api.new_key(["plans:read"])
    assert (await api.get(f"/v1/plans/{plan['id']}", key=reader)).status_code == 200
    err = assert_error(await api.post("/v1/plans", {**PRO, "planCode": "x"}, key=reader), 403, "FORBIDDEN")
    assert err["message"] == "API key does not have the required permission: plans:write"
    for key in (await api.new_key(["*"], org="other"), await api.new_key(["*"], mode="test")):
        assert_error(await api.get(f"/v1/plans/{plan['id']}", key=key), 404, "NOT_FOUND")
        assert (await api.get("/v1/plans", key=key)).json()["total"] == 0
        assert (await api.post("/v1/plans", PRO, key=key)).status_code == 201  # planCode is per org and mode
    assert_error(await api.get("/v1/plans/nope"), 404, "NOT_FOUND")
    assert await _total(api) == 1


async def test_bad_input_stores_nothing(api: Api) -> None:
    p = await _pricing(api, "Fee")
    foreign = await _pricing(api, "Theirs", key=await api.new_key(["*"], org="other"))
    test_mode = await _pricing(api, "Test", key=await api.new_key(["*"], mode="test"))
    bad: list[tuple[dict, str]] = [
        ({}, "name"),
        ({k: v for k, v in PRO.items() if k != "name"}, "name"),
        ({k: v for k, v in PRO.items() if k != "planCode"}, "planCode"),
        ({k: v for k, v in PRO.items() if k != "billingFrequency"}, "billingFrequency"),
        ({**PRO, "name": ""}, "name"),
        ({**PRO, "planCode": "Pro"}, "planCode"),
        ({**PRO, "planCode": "pro plan"}, "planCode"),
        ({**PRO, "planCode": "-pro"}, "planCode"),
        ({**PRO, "planCode": "p" * 101}, "planCode"),
        ({**PRO, "currency": "EUR"}, "currency"),
        ({**PRO, "billingFrequency": "WEEKLY"}, "billingFrequency"),
        ({**PRO, "billingFrequency": "monthly"}, "billingFrequency"),
        ({**PRO, "status": "LIVE"}, "status"),
        ({**PRO, "netTerms": -1}, "netTerms"),
        ({**PRO, "netTerms": 366}, "netTerms"),
        ({**PRO, "netTerms": "30"}, "netTerms"),
        ({**PRO, "autoPay": "yes"}, "autoPay"),
        ({**PRO, "autoPay": 1}, "autoPay"),
        ({**PRO, "collectionMethod": "AUTO_CHARGE"}, "collectionMethod"),
        ({**PRO, "collectionMethod": None}, "collectionMethod"),
        ({**PRO, "collectionMethod": "auto_charge", "netTerms": 30}, "netTerms"),
        ({**PRO, "collectionMethod": "auto_charge", "autoPay": False}, "autoPay"),
        ({**PRO, "creditGrantCents": -1}, "creditGrantCents"),
        ({**PRO, "creditGrantCents": 10.5}, "creditGrantCents"),
        ({**PRO, "creditGrantCents": "100"}, "creditGrantCents"),
        ({**PRO, "pricingIds": "x"}, "pricingIds"),
        ({**PRO, "pricingIds": [p["id"], p["id"]]}, "duplicates"),
        ({**PRO, "pricingIds": [p["id"], "nope"]}, "nope"),
        ({**PRO, "pricingIds": [foreign["id"]]}, foreign["id"]),
        ({**PRO, "pricingIds": [test_mode["id"]]}, test_mode["id"]),
        ({**PRO, "basePrice": "10"}, "basePrice"),
    ]
    for body, needle in bad:
        err = assert_error(await api.post("/v1/plans", body), 400, "VALIDATION_ERROR")
        assert needle in err["message"], (body, err)
    assert await _total(api) == 0 and await _links(api) == 0
    await _plan(api, PRO, pricingIds=[p["id"]])
    err = assert_error(await api.post("/v1/plans", {**PRO, "name": "Again"}), 409, "CONFLICT")
    assert "pro" in err["message"]
    assert await _total(api) == 1 and await _links(api) == 1


async def test_repository_contract(api: Api) -> None:
    a, b, c = [await _pricing(api, n) for n in ("A", "B", "C")]
    plan = await _plan(api, PRO, pricingIds=[c["id"], a["id"], b["id"]])
    empty = await _plan(api, PRO, planCode="empty")
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessions() as s:
        org_id = (await s.execute(select(Plan.org_id).where(Plan.id == plan["id"]))).scalar_one()
        who = Principal(org_id=org_id, mode="live", key_id="k", scopes=frozenset({"*"}))
        row = await repository.get(s, who, plan["id"])
        assert row is not None and row.plan_code == "pro" and row.net_terms == 0
        assert [p.id for p in await repository.pricing_of(s, plan["id"])] == [c["id"], a["id"], b["id"]]
        assert await repository.pricing_of(s, empty["id"]) == []
        assert await repository.get(s, Principal(org_id=org_id, mode="test", key_id="k", scopes=frozenset()),
                                    plan["id"]) is None
        assert await repository.get(s, who, "nope") is None


async def test_concurrent_duplicate_code_is_409(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    p = await _pricing(api, "Fee")
    await _plan(api, PRO, pricingIds=[p["id"]])
    real, calls = repository.by_code, []

    async def stale_first(*args: object) -> object:  # the first check misses a concurrent insert
        calls.append(args)
        return None if len(calls) == 1 else await real(*args)

    monkeypatch.setattr(repository, "by_code", stale_first)
    err = assert_error(await api.post("/v1/plans", {**PRO, "pricingIds": [p["id"]]}), 409, "CONFLICT")
    assert "pro" in err["message"] and len(calls) == 2
    assert await _total(api) == 1 and await _links(api) == 1

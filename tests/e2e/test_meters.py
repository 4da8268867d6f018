"""Meters end to end (reference §3.4, §6): create, list, get, archive; scopes, tenancy, validation."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from monk.billing.matching import MeterSpec, PropertyFilter
from monk.kit.auth import Principal
from monk.meters import repository
from monk.meters.service import meter_spec
from monk.models import Meter
from tests.conftest import Api, assert_error

TOKENS = {
    "code": "LLM_TOKENS",
    "displayName": "LLM tokens",
    "description": "Tokens used by completions",
    "aggregationType": "SUM",
    "eventTypeFilter": {"include": ["completion"], "exclude": ["test_completion"]},
    "propertyFilters": [
        {"name": "total_tokens", "exists": True},
        {"name": "model", "include": ["gpt-4", "gpt-4o"]},
        {"name": "region", "exclude": ["internal"]},
    ],
    "aggregationKey": "total_tokens",
    "groupKeys": ["model", "region"],
}
CALLS = {"code": "API_CALLS", "displayName": "API calls", "aggregationType": "COUNT"}


async def _meter(api: Api, body: dict | None = None, **extra: object) -> dict:
    r = await api.post("/v1/meters", {**(body or CALLS), **extra})
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _total(api: Api, status: str = "all") -> int:
    return (await api.get("/v1/meters", status=status)).json()["total"]


async def test_create_get_list(api: Api) -> None:
    r = await api.post("/v1/meters", TOKENS)
    assert r.status_code == 201, r.text
    m = r.json()["data"]
    assert m == {
        "id": m["id"],
        "code": "LLM_TOKENS",
        "displayName": "LLM tokens",
        "description": "Tokens used by completions",
        "aggregationType": "SUM",
        "status": "active",
        "eventTypeFilter": {"include": ["completion"], "exclude": ["test_completion"]},
        "propertyFilters": [
            {"name": "total_tokens", "exists": True},
            {"name": "model", "include": ["gpt-4", "gpt-4o"]},
            {"name": "region", "exclude": ["internal"]},
        ],
        "aggregationKey": "total_tokens",
        "groupKeys": ["model", "region"],
        "sql": None,
        "createdAt": "2026-01-15T12:00:00.000Z",
        "updatedAt": "2026-01-15T12:00:00.000Z",
    }
    assert (await api.get(f"/v1/meters/{m['id']}")).json() == {"data": m}
    body = (await api.get("/v1/meters")).json()
    assert body == {"data": [m], "hasMore": False, "total": 1}


async def test_defaults_count_and_sql(api: Api) -> None:
    m = await _meter(api, {"code": "X", "displayName": "x", "aggregationKey": "v"})
    assert m["aggregationType"] == "SUM" and m["description"] is None
    assert m["eventTypeFilter"] == {"include": [], "exclude": []}
    assert m["propertyFilters"] == [] and m["groupKeys"] == [] and m["sql"] is None
    c = await _meter(api, {**CALLS, "aggregationKey": "ignored"})
    assert c["aggregationType"] == "COUNT" and c["aggregationKey"] is None
    u = await _meter(api, {"code": "USERS", "displayName": "Users", "aggregationType": "UNIQUE_COUNT",
                           "aggregationKey": "user_id", "eventTypeFilter": {"include": ["login"]}})
    assert u["aggregationType"] == "UNIQUE_COUNT" and u["eventTypeFilter"] == {"include": ["login"], "exclude": []}
    sql = "SELECT SUM(properties['cpu']) AS value FROM events"
    s = await _meter(api, {"code": "CPU", "displayName": "CPU", "aggregationType": "MAX",
                           "aggregationKey": "cpu", "sql": sql})
    assert s["sql"] == sql and s["aggregationType"] == "MAX"


async def test_pagination_and_status_filter(api: Api) -> None:
    ids = [(await _meter(api, code=f"M{i}"))["id"] for i in range(3)]
    body = (await api.get("/v1/meters", limit=2)).json()
    assert [m["id"] for m in body["data"]] == ids[:2] and body["hasMore"] is True and body["total"] == 3
    body = (await api.get("/v1/meters", limit=2, offset=2)).json()
    assert [m["id"] for m in body["data"]] == ids[2:] and body["hasMore"] is False and body["total"] == 3
    assert_error(await api.get("/v1/meters", limit=101), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/meters", limit=0), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/meters", offset=-1), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/meters", status="archived"), 400, "VALIDATION_ERROR")
    assert (await api.delete(f"/v1/meters/{ids[1]}")).status_code == 200
    active = (await api.get("/v1/meters")).json()
    assert [m["id"] for m in active["data"]] == [ids[0], ids[2]] and active["total"] == 2
    inactive = (await api.get("/v1/meters", status="inactive")).json()
    assert [(m["id"], m["status"]) for m in inactive["data"]] == [(ids[1], "inactive")]
    assert (await api.get("/v1/meters", status="all")).json()["total"] == 3
    assert (await api.get("/v1/meters", status="active")).json()["total"] == 2


async def test_scopes(api: Api) -> None:
    m = await _meter(api)
    other = await api.new_key(["customers:read"])
    for resp, scope in [
        (await api.post("/v1/meters", {**CALLS, "code": "Y"}, key=other), "meters:write"),
        (await api.get("/v1/meters", key=other), "meters:read"),
        (await api.get(f"/v1/meters/{m['id']}", key=other), "meters:read"),
        (await api.delete(f"/v1/meters/{m['id']}", key=other), "meters:write"),
    ]:
        err = assert_error(resp, 403, "FORBIDDEN")
        assert err["message"] == f"API key does not have the required permission: {scope}"
    reader = await api.new_key(["meters:read"])
    assert (await api.get(f"/v1/meters/{m['id']}", key=reader)).status_code == 200
    err = assert_error(await api.post("/v1/meters", {**CALLS, "code": "Y"}, key=reader), 403, "FORBIDDEN")
    assert err["message"] == "API key does not have the required permission: meters:write"
    writer = await api.new_key(["meters:write"])
    assert (await api.post("/v1/meters", {**CALLS, "code": "Y"}, key=writer)).status_code == 201
    assert_error(await api.post("/v1/meters", CALLS, key="mk_live_" + "0" * 48), 401, "UNAUTHORIZED")
    assert await _total(api) == 2


async def test_other_org_and_test_mode_see_nothing(api: Api) -> None:
    m = await _meter(api)
    for key in (await api.new_key(["*"], org="other"), await api.new_key(["*"], mode="test")):
        assert_error(await api.get(f"/v1/meters/{m['id']}", key=key), 404, "NOT_FOUND")
        assert_error(await api.delete(f"/v1/meters/{m['id']}", key=key), 404, "NOT_FOUND")
        assert (await api.get("/v1/meters", key=key, status="all")).json()["total"] == 0
        # the same code is free in another organization or mode
        assert (await api.post("/v1/meters", CALLS, key=key)).status_code == 201
    assert (await api.get(f"/v1/meters/{m['id']}")).json()["data"]["status"] == "active"
    assert await _total(api) == 1


async def test_bad_input_stores_nothing(api: Api) -> None:
    bad = [
        {},
        {"displayName": "x", "aggregationType": "COUNT"},
        {"code": "X", "aggregationType": "COUNT"},
        {**CALLS, "code": "lower_case"},
        {**CALLS, "code": "HAS-DASH"},
        {**CALLS, "code": ""},
        {**CALLS, "code": "A" * 101},
        {**CALLS, "displayName": ""},
        {**CALLS, "aggregationType": "AVG"},
        {**CALLS, "aggregationType": "count"},
        {"code": "S", "displayName": "s", "aggregationType": "SUM"},
        {"code": "S", "displayName": "s"},
        {"code": "S", "displayName": "s", "aggregationType": "MAX", "aggregationKey": ""},
        {"code": "S", "displayName": "s", "aggregationType": "MIN"},
        {"code": "S", "displayName": "s", "aggregationType": "UNIQUE_COUNT"},
        {"code": "S", "displayName": "s", "aggregationType": "SUM", "sql": "SELECT 1 AS value FROM events"},
        {**CALLS, "propertyFilters": [{"name": "a"}]},
        {**CALLS, "propertyFilters": [{"name": "a", "exists": True, "include": ["x"]}]},
        {**CALLS, "propertyFilters": [{"name": "a", "include": ["x"], "exclude": ["y"]}]},
        {**CALLS, "propertyFilters": [{"exists": True}]},
        {**CALLS, "propertyFilters": [{"name": "a", "exists": "yes"}]},
        {**CALLS, "propertyFilters": [{"name": "a", "include": []}]},
        {**CALLS, "propertyFilters": [{"name": "a", "include": [1]}]},
        {**CALLS, "propertyFilters": [{"name": "a", "exists": True, "other": 1}]},
        {**CALLS, "propertyFilters": {"name": "a", "exists": True}},
        {**CALLS, "eventTypeFilter": {"include": "completion"}},
        {**CALLS, "eventTypeFilter": {"only": ["x"]}},
        {**CALLS, "groupKeys": ["model", "model"]},
        {**CALLS, "groupKeys": "model"},
        {**CALLS, "sql": 5},
        {**CALLS, "unknownField": 1},
    ]
    for body in bad:
        assert_error(await api.post("/v1/meters", body), 400, "VALIDATION_ERROR")
    err = assert_error(await api.post("/v1/meters", {"code": "S", "displayName": "s"}), 400)
    assert "aggregationKey" in err["message"]
    headers = {**api._h(None), "content-type": "application/json"}
    r = await api.client.post("/v1/meters", content=b"{nope", headers=headers)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert await _total(api) == 0


async def test_duplicate_code_and_archive_rules(api: Api) -> None:
    m = await _meter(api)
    err = assert_error(await api.post("/v1/meters", {**CALLS, "displayName": "again"}), 409, "CONFLICT")
    assert "API_CALLS" in err["message"]
    assert_error(await api.delete("/v1/meters/nope"), 404, "NOT_FOUND")
    assert_error(await api.get("/v1/meters/nope"), 404, "NOT_FOUND")

    r = await api.delete(f"/v1/meters/{m['id']}")
    assert r.status_code == 200 and r.json() == {"data": {"success": True}}
    got = (await api.get(f"/v1/meters/{m['id']}")).json()["data"]
    assert got["status"] == "inactive" and got["code"] == "API_CALLS"
    err = assert_error(await api.delete(f"/v1/meters/{m['id']}"), 409, "CONFLICT")
    assert err["message"] == "Meter is already archived"

    again = await _meter(api)  # the archived meter's code is free again
    assert again["id"] != m["id"] and again["status"] == "active"
    assert_error(await api.post("/v1/meters", CALLS), 409, "CONFLICT")
    assert await _total(api, "active") == 1 and await _total(api, "inactive") == 1


async def _usage_pricing(api: Api, meter_id: str, name: str) -> str:
    r = await api.post("/v1/pricing", {
        "productName": "API", "name": name, "model": "USAGE", "billingMode": "RECURRING",
        "unitAmount": "0.01", "meterId": meter_id,
    })
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


async def test_archive_refused_while_in_active_or_draft_plan(api: Api) -> None:
    in_active, in_draft, in_archived, unplanned = [await _meter(api, code=c) for c in ("A", "D", "R", "U")]
    plans = [("pro", "ACTIVE", in_active), ("beta", "DRAFT", in_draft), ("old", "ARCHIVED", in_archived)]
    for code, status, meter in plans:
        pid = await _usage_pricing(api, meter["id"], f"calls {code}")
        r = await api.post("/v1/plans", {"name": code, "planCode": code, "billingFrequency": "MONTHLY",
                                         "pricingIds": [pid], "status": status})
        assert r.status_code == 201, r.text
    await _usage_pricing(api, unplanned["id"], "calls unplanned")

    err = assert_error(await api.delete(f"/v1/meters/{in_active['id']}"), 409, "CONFLICT")
    assert "pro" in err["message"] and "ACTIVE" in err["message"]
    err = assert_error(await api.delete(f"/v1/meters/{in_draft['id']}"), 409, "CONFLICT")
    assert "beta" in err["message"]
    assert (await api.get(f"/v1/meters/{in_active['id']}")).json()["data"]["status"] == "active"
    assert (await api.delete(f"/v1/meters/{in_archived['id']}")).status_code == 200
    assert (await api.delete(f"/v1/meters/{unplanned['id']}")).status_code == 200
    assert await _total(api, "active") == 2 and await _total(api, "inactive") == 2


async def test_meter_spec(api: Api) -> None:
    m = await _meter(api, TOKENS)
    c = await _meter(api, {**CALLS, "aggregationKey": "ignored"})
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessions() as s:
        org_id = (await s.execute(select(Meter.org_id).where(Meter.id == m["id"]))).scalar_one()
        who = Principal(org_id=org_id, mode="live", key_id="k", scopes=frozenset({"*"}))
        tokens = await repository.get(s, who, m["id"])
        calls = await repository.get(s, who, c["id"])
    assert meter_spec(tokens) == MeterSpec(
        aggregation_type="SUM",
        event_include=("completion",),
        event_exclude=("test_completion",),
        property_filters=(
            PropertyFilter(name="total_tokens", exists=True),
            PropertyFilter(name="model", include=("gpt-4", "gpt-4o")),
            PropertyFilter(name="region", exclude=("internal",)),
        ),
        aggregation_key="total_tokens",
        group_keys=("model", "region"),
    )
    assert meter_spec(calls) == MeterSpec(aggregation_type="COUNT")


async def test_concurrent_duplicate_code_is_409(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    await _meter(api)
    real, calls = repository.live_by_code, []

    async def stale_first(*args: object) -> object:  # the first check misses a concurrent insert
        calls.append(args)
        return None if len(calls) == 1 else await real(*args)

    monkeypatch.setattr(repository, "live_by_code", stale_first)
    err = assert_error(await api.post("/v1/meters", CALLS), 409, "CONFLICT")
    assert "API_CALLS" in err["message"] and len(calls) == 2
    assert await _total(api) == 1

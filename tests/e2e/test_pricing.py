"""Pricing end to end (reference §3.5, §7.1–7.3): create, list, get; codes, tiers, scopes, validation."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from monk.models import Product
from tests.conftest import Api, assert_error

PLATFORM = {"productName": "Platform Access", "productDescription": "Base access", "name": "Monthly Platform Fee",
            "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "99.00", "priceInterval": "MONTH",
            "priceIntervalCount": 1}
TIERS = [
    {"minQty": "0", "maxQty": "1000", "unitAmount": "0.10"},
    {"minQty": "1000", "maxQty": "10000", "unitAmount": "0.05", "flatAmount": "5"},
    {"minQty": "10000", "unitAmount": "0.001"},
]


async def _meter(api: Api, code: str = "API_CALLS") -> str:
    r = await api.post("/v1/meters", {"code": code, "displayName": code, "aggregationType": "COUNT"})
    assert r.status_code == 201, r.text
    return r.json()["data"]["id"]


async def _pricing(api: Api, body: dict, **extra: object) -> dict:
    r = await api.post("/v1/pricing", {**body, **extra})
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _total(api: Api) -> int:
    return (await api.get("/v1/pricing")).json()["total"]


async def _products(api: Api) -> int:
    app = api.client._transport.app  # type: ignore[attr-defined]
    async with app.state.sessions() as s:
        return (await s.execute(select(func.count()).select_from(Product))).scalar_one()


async def test_create_flat_get_list(api: Api) -> None:
    r = await api.post("/v1/pricing", PLATFORM)
    assert r.status_code == 201, r.text
    p = r.json()["data"]
    assert p == {
        "id": p["id"],
        "productId": p["productId"],
        "productName": "Platform Access",
        "name": "Monthly Platform Fee",
        "description": None,
        "code": "monthly-platform-fee",
        "model": "FLAT",
        "billingMode": "RECURRING",
        "tiering": "NONE",
        "unitAmount": "99.00",
        "flatAmount": None,
        "minimumAmount": None,
        "priceInterval": "MONTH",
        "priceIntervalCount": 1,
        "meterId": None,
        "pricingTiers": [],
        "createdAt": "2026-01-15T12:00:00.000Z",
    }
    assert (await api.get(f"/v1/pricing/{p['id']}")).json() == {"data": p}
    assert (await api.get("/v1/pricing")).json() == {"data": [p], "hasMore": False, "total": 1}
    assert await _products(api) == 1


async def test_usage_with_minimum_and_sub_cent_amounts(api: Api) -> None:
    meter_id = await _meter(api)
    p = await _pricing(api, {
        "productName": "API", "name": "API calls", "description": "per call", "model": "USAGE",
        "billingMode": "RECURRING", "unitAmount": "0.0450", "flatAmount": "10", "minimumAmount": "25.5",
        "meterId": meter_id, "code": "api-calls-v2",
    })
    assert {k: p[k] for k in ("code", "model", "tiering", "unitAmount", "flatAmount", "minimumAmount",
                              "priceInterval", "priceIntervalCount", "meterId", "description", "pricingTiers")} == {
        "code": "api-calls-v2", "model": "USAGE", "tiering": "NONE", "unitAmount": "0.045", "flatAmount": "10.00",
        "minimumAmount": "25.50", "priceInterval": None, "priceIntervalCount": 1, "meterId": meter_id,
        "description": "per call", "pricingTiers": [],
    }
    assert (await api.get(f"/v1/pricing/{p['id']}")).json()["data"] == p
    tiny = await _pricing(api, {"productId": p["productId"], "name": "Tiny", "model": "USAGE",
                                "billingMode": "ONE_TIME", "unitAmount": "0.000000000001", "meterId": meter_id})
    assert tiny["unitAmount"] == "0.000000000001" and tiny["billingMode"] == "ONE_TIME"
    assert (await api.get(f"/v1/pricing/{tiny['id']}")).json()["data"]["unitAmount"] == "0.000000000001"
    big = await _pricing(api, {"productId": p["productId"], "name": "Big", "model": "FLAT",
                               "billingMode": "ONE_TIME", "unitAmount": "999999999.999999999999"})
    assert (await api.get(f"/v1/pricing/{big['id']}")).json()["data"]["unitAmount"] == "999999999.999999999999"
    weekly = await _pricing(api, {"productId": p["productId"], "name": "Weekly", "model": "USAGE",
                                  "billingMode": "RECURRING", "unitAmount": "0", "meterId": meter_id,
                                  "priceInterval": "WEEK", "priceIntervalCount": 2})
    assert (weekly["unitAmount"], weekly["priceInterval"], weekly["priceIntervalCount"]) == ("0.00", "WEEK", 2)


async def test_tiers(api: Api) -> None:
    meter_id = await _meter(api)
    t = await _pricing(api, {"productName": "API", "name": "Tiered", "model": "TIER", "billingMode": "RECURRING",
                             "meterId": meter_id, "pricingTiers": TIERS, "minimumAmount": "1"})
    expected = [
        {"minQty": "0", "maxQty": "1000", "unitAmount": "0.10", "flatAmount": "0.00"},
        {"minQty": "1000", "maxQty": "10000", "unitAmount": "0.05", "flatAmount": "5.00"},
        {"minQty": "10000", "maxQty": None, "unitAmount": "0.001", "flatAmount": "0.00"},
    ]
    assert t["tiering"] == "VOLUME" and t["pricingTiers"] == expected and t["unitAmount"] is None
    assert t["minimumAmount"] == "1.00"
    assert (await api.get(f"/v1/pricing/{t['id']}")).json()["data"] == t
    t2 = await _pricing(api, {"productId": t["productId"], "name": "Tiered", "model": "TIER",
                              "billingMode": "RECURRING", "meterId": meter_id, "pricingTiers": TIERS,
                              "tiering": "NONE"})
    assert t2["tiering"] == "VOLUME" and t2["code"] == "tiered-2"
    g = await _pricing(api, {"productId": t["productId"], "name": "Graduated", "model": "USAGE",
                             "billingMode": "RECURRING", "meterId": meter_id, "tiering": "GRADUATED",
                             "pricingTiers": [{"minQty": "0", "maxQty": "1.5", "unitAmount": "1"},
                                              {"minQty": "1.5", "maxQty": None, "unitAmount": "0.5"}]})
    assert g["tiering"] == "GRADUATED" and g["model"] == "USAGE"
    assert g["pricingTiers"][0] == {"minQty": "0", "maxQty": "1.5", "unitAmount": "1.00", "flatAmount": "0.00"}


async def test_codes_are_slugs_made_unique(api: Api) -> None:
    base = {"productName": "Msgs", "model": "FLAT", "billingMode": "ONE_TIME", "unitAmount": "1"}
    codes = [(await _pricing(api, base, name="SMS Notifications"))["code"] for _ in range(3)]
    assert codes == ["sms-notifications", "sms-notifications-2", "sms-notifications-3"]
    assert (await _pricing(api, base, name="  Café API (v2)!! "))["code"] == "cafe-api-v2"
    assert (await _pricing(api, base, name="$$$"))["code"] == "pricing"
    assert (await _pricing(api, base, name="x", code="sms-notifications-9"))["code"] == "sms-notifications-9"
    assert (await _pricing(api, base, name="SMS notifications"))["code"] == "sms-notifications-4"
    err = assert_error(await api.post("/v1/pricing", {**base, "name": "y", "code": "cafe-api-v2"}), 409, "CONFLICT")
    assert "cafe-api-v2" in err["message"]
    for code in ("Upper", "a--b", "-a", "a-", "a_b", "a b", ""):
        assert_error(await api.post("/v1/pricing", {**base, "name": "y", "code": code}), 400, "VALIDATION_ERROR")
    other = await api.new_key(["*"], org="other")
    r = await api.post("/v1/pricing", {**base, "name": "SMS Notifications"}, key=other)
    assert r.status_code == 201 and r.json()["data"]["code"] == "sms-notifications"
    assert await _total(api) == 7


async def test_products_and_filter(api: Api) -> None:
    a = await _pricing(api, PLATFORM)
    b = await _pricing(api, PLATFORM, productId=a["productId"], productName=None, productDescription=None,
                       name="Annual", priceInterval="YEAR")
    c = await _pricing(api, PLATFORM, productName="Other", name="Other")
    assert b["productId"] == a["productId"] and b["productName"] == "Platform Access"
    assert c["productId"] != a["productId"]
    assert await _products(api) == 2
    body = (await api.get("/v1/pricing", productId=a["productId"])).json()
    assert [p["id"] for p in body["data"]] == [a["id"], b["id"]] and body["total"] == 2
    assert (await api.get("/v1/pricing", productId="nope")).json() == {"data": [], "hasMore": False, "total": 0}
    body = {**PLATFORM, "productId": "nope", "productName": None, "productDescription": None}
    assert_error(await api.post("/v1/pricing", body), 404, "NOT_FOUND")
    other = await api.new_key(["*"], org="other")
    assert_error(await api.post("/v1/pricing", {**body, "productId": a["productId"]}, key=other), 404, "NOT_FOUND")
    test_mode = await api.new_key(["*"], mode="test")
    assert_error(await api.post("/v1/pricing", {**body, "productId": a["productId"]}, key=test_mode), 404)
    assert await _total(api) == 3 and await _products(api) == 2


async def test_pagination(api: Api) -> None:
    ids = [(await _pricing(api, PLATFORM, name=f"P{i}"))["id"] for i in range(3)]
    body = (await api.get("/v1/pricing", limit=2)).json()
    assert [p["id"] for p in body["data"]] == ids[:2] and body["hasMore"] is True and body["total"] == 3
    body = (await api.get("/v1/pricing", limit=2, offset=2)).json()
    assert [p["id"] for p in body["data"]] == ids[2:] and body["hasMore"] is False
    assert_error(await api.get("/v1/pricing", limit=101), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/pricing", offset="x"), 400, "VALIDATION_ERROR")


async def test_scopes_and_tenancy(api: Api) -> None:
    p = await _pricing(api, PLATFORM)
    key = await api.new_key(["customers:read"])
    for resp, scope in [
        (await api.post("/v1/pricing", PLATFORM, key=key), "pricing:write"),
        (await api.get("/v1/pricing", key=key), "pricing:read"),
        (await api.get(f"/v1/pricing/{p['id']}", key=key), "pricing:read"),
    ]:
        err = assert_error(resp, 403, "FORBIDDEN")
        assert err["message"] == f"API key does not have the required permission: {scope}"
    reader = await api.new_key(["pricing:read"])
    assert (await api.get(f"/v1/pricing/{p['id']}", key=reader)).status_code == 200
    err = assert_error(await api.post("/v1/pricing", PLATFORM, key=reader), 403, "FORBIDDEN")
    assert err["message"] == "API key does not have the required permission: pricing:write"
    for key in (await api.new_key(["*"], org="other"), await api.new_key(["*"], mode="test")):
        assert_error(await api.get(f"/v1/pricing/{p['id']}", key=key), 404, "NOT_FOUND")
        assert (await api.get("/v1/pricing", key=key)).json()["total"] == 0
    assert_error(await api.get("/v1/pricing/nope"), 404, "NOT_FOUND")
    assert await _total(api) == 1


async def test_meter_must_be_live_and_own(api: Api) -> None:
    meter_id = await _meter(api)
    usage = {"productName": "API", "name": "calls", "model": "USAGE", "billingMode": "RECURRING",
             "unitAmount": "0.01"}
    for key in (await api.new_key(["*"], org="other"), await api.new_key(["*"], mode="test")):
        err = assert_error(await api.post("/v1/pricing", {**usage, "meterId": meter_id}, key=key), 400)
        assert err["code"] == "VALIDATION_ERROR" and "meterId" in err["message"]
    assert (await api.delete(f"/v1/meters/{meter_id}")).status_code == 200
    err = assert_error(await api.post("/v1/pricing", {**usage, "meterId": meter_id}), 400, "VALIDATION_ERROR")
    assert "meterId" in err["message"] and "archived" in err["message"]
    assert await _total(api) == 0 and await _products(api) == 0


@pytest.mark.parametrize("field", ["unitAmount", "flatAmount"])
async def test_amount_strictness(api: Api, field: str) -> None:
    for value in (99, 0.5, "-1", "-0.01", "1e3", "1.", ".5", "+1", " 1", "1,000", "abc", "", "NaN", True,
                  "0.0000000000001", "1" * 27, ["1"]):
        err = assert_error(await api.post("/v1/pricing", {**PLATFORM, field: value}), 400, "VALIDATION_ERROR")
        assert field in err["message"], (value, err)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            assert err["message"] == f'{field}: must be a decimal string such as "0.045", not a JSON number'
    assert (await _pricing(api, PLATFORM, **{field: "0.1000000000000"}))[field] == "0.10"
    assert await _total(api) == 1


async def test_bad_input_stores_nothing(api: Api) -> None:
    meter_id = await _meter(api)
    usage = {"productName": "API", "name": "calls", "model": "USAGE", "billingMode": "RECURRING",
             "unitAmount": "0.01", "meterId": meter_id}
    tier = {"productName": "API", "name": "tiered", "model": "TIER", "billingMode": "RECURRING",
            "meterId": meter_id, "pricingTiers": TIERS}
    no_product = {k: v for k, v in PLATFORM.items() if k not in ("productName", "productDescription")}
    bad: list[tuple[dict, str]] = [
        ({}, "name"),
        ({**PLATFORM, "name": ""}, "name"),
        ({k: v for k, v in PLATFORM.items() if k != "name"}, "name"),
        ({k: v for k, v in PLATFORM.items() if k != "model"}, "model"),
        ({k: v for k, v in PLATFORM.items() if k != "billingMode"}, "billingMode"),
        ({**PLATFORM, "model": "PER_SEAT"}, "model"),
        ({**PLATFORM, "billingMode": "MONTHLY"}, "billingMode"),
        ({**PLATFORM, "priceInterval": "DAY"}, "priceInterval"),
        ({**PLATFORM, "priceIntervalCount": 0}, "priceIntervalCount"),
        ({**PLATFORM, "priceIntervalCount": "2"}, "priceIntervalCount"),
        ({**PLATFORM, "priceIntervalCount": 1.5}, "priceIntervalCount"),
        ({**PLATFORM, "tiering": "STAIRCASE"}, "tiering"),
        ({**PLATFORM, "unknownField": 1}, "unknownField"),
        (no_product, "productId"),
        ({**PLATFORM, "productId": "x"}, "productId"),
        ({**no_product, "productId": "x", "productDescription": "d"}, "productDescription"),
        ({k: v for k, v in PLATFORM.items() if k != "unitAmount"}, "unitAmount"),
        ({k: v for k, v in PLATFORM.items() if k != "priceInterval"}, "priceInterval"),
        ({**PLATFORM, "billingMode": "ONE_TIME"}, "priceInterval"),
        ({**PLATFORM, "billingMode": "ONE_TIME", "priceInterval": None}, "priceIntervalCount"),
        ({**PLATFORM, "minimumAmount": "5"}, "minimumAmount"),
        ({**PLATFORM, "meterId": meter_id}, "meterId"),
        ({**PLATFORM, "tiering": "VOLUME", "pricingTiers": TIERS}, "tiering"),
        ({**PLATFORM, "pricingTiers": TIERS}, "pricingTiers"),
        ({k: v for k, v in usage.items() if k != "meterId"}, "meterId"),
        ({**usage, "meterId": "nope"}, "meterId"),
        ({k: v for k, v in usage.items() if k != "unitAmount"}, "unitAmount"),
        ({**usage, "pricingTiers": TIERS}, "pricingTiers"),
        ({**usage, "tiering": "GRADUATED"}, "pricingTiers"),
        ({**usage, "tiering": "GRADUATED", "pricingTiers": TIERS}, "unitAmount"),
        ({**usage, "minimumAmount": -1}, "minimumAmount"),
        ({**usage, "minimumAmount": "-1"}, "minimumAmount"),
        ({k: v for k, v in tier.items() if k != "pricingTiers"}, "pricingTiers"),
        ({**tier, "pricingTiers": []}, "pricingTiers"),
        ({k: v for k, v in tier.items() if k != "meterId"}, "meterId"),
        ({**tier, "pricingTiers": [{"minQty": "0", "maxQty": "10", "unitAmount": 1}]}, "unitAmount"),
        ({**tier, "pricingTiers": [{"minQty": 0, "maxQty": "10", "unitAmount": "1"}]}, "minQty"),
        ({**tier, "pricingTiers": [{"minQty": "0", "maxQty": "10", "unitAmount": "-1"}]}, "unitAmount"),
        ({**tier, "pricingTiers": [{"minQty": "0", "unitAmount": "1", "flatAmount": "-2"}]}, "flatAmount"),
        ({**tier, "pricingTiers": [{"maxQty": "10", "unitAmount": "1"}]}, "minQty"),
        ({**tier, "pricingTiers": [{"minQty": "0", "maxQty": "10"}]}, "unitAmount"),
        ({**tier, "pricingTiers": [{"minQty": "0", "unitAmount": "1", "upTo": "5"}]}, "upTo"),
        ({**tier, "pricingTiers": [{"minQty": "1", "unitAmount": "1"}]}, "start at 0"),  # must start at 0
        ({**tier, "pricingTiers": [  # gap
            {"minQty": "0", "maxQty": "10", "unitAmount": "1"}, {"minQty": "20", "unitAmount": "1"}]}, "contiguous"),
        ({**tier, "pricingTiers": [  # overlap
            {"minQty": "0", "maxQty": "10", "unitAmount": "1"}, {"minQty": "5", "unitAmount": "1"}]}, "contiguous"),
        ({**tier, "pricingTiers": [  # decreasing
            {"minQty": "0", "maxQty": "10", "unitAmount": "1"},
            {"minQty": "10", "maxQty": "5", "unitAmount": "1"}]}, "greater than"),
        ({**tier, "pricingTiers": [  # open tier not last
            {"minQty": "0", "unitAmount": "1"}, {"minQty": "10", "unitAmount": "1"}]}, "pricingTiers"),
    ]
    for body, needle in bad:
        err = assert_error(await api.post("/v1/pricing", body), 400, "VALIDATION_ERROR")
        assert needle in err["message"], (body, err)
    assert await _total(api) == 0 and await _products(api) == 0
    await _pricing(api, usage)
    await _pricing(api, tier)
    assert await _total(api) == 2 and await _products(api) == 2


async def test_concurrent_duplicate_code_is_409(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from monk.pricing import repository

    await _pricing(api, PLATFORM, code="fee")
    real, calls = repository.code_taken, []

    async def stale_first(*args: object) -> bool:  # the first check misses a concurrent insert
        calls.append(args)
        return False if len(calls) == 1 else await real(*args)

    monkeypatch.setattr(repository, "code_taken", stale_first)
    err = assert_error(await api.post("/v1/pricing", {**PLATFORM, "code": "fee"}), 409, "CONFLICT")
    assert "fee" in err["message"] and len(calls) == 2
    assert await _total(api) == 1 and await _products(api) == 1  # the new product was rolled back too

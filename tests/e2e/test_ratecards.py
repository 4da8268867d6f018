"""Dimensional rate cards end to end (concepts §9): the API, validation, scopes, tenancy, and the
worked example billing $425.00 in four lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s

RATES = [
    ("US", "resolved", "2.00"), ("US", "transferred", "4.00"), ("US", "escalated", "6.00"),
    ("EU", "resolved", "2.50"), ("EU", "transferred", "5.00"), ("EU", "escalated", "7.50"),
    ("APAC", "resolved", "3.00"), ("APAC", "transferred", "6.00"), ("APAC", "escalated", "9.00"),
]
CARD = {"rates": [{"dimensions": {"region": r, "call_outcome": o}, "unitAmount": a} for r, o, a in RATES],
        "fallbackRate": "4.00"}


async def ai_meter(api: Api) -> dict[str, Any]:
    return await s.meter(api, "AI_CALL", "ai_call", groupKeys=["region", "call_outcome"])


def calls(n: int, region: str | None, outcome: str | None, *, prefix: str, customer: str = "acme",
          day: int = 10) -> list[dict[str, Any]]:
    props = {k: v for k, v in (("region", region), ("call_outcome", outcome)) if v is not None}
    return [{"eventName": "ai_call", "externalCustomerId": customer, "idempotencyKey": f"{prefix}-{i}",
             "timestamp": f"2026-03-{day:02d}T10:{i // 60:02d}:{i % 60:02d}Z", "properties": props}
            for i in range(n)]


async def ai_contract(api: Api, clock: FrozenClock, *, card: dict[str, Any] | None = CARD,
                      unit: str = "5.00", **contract_extra: Any) -> tuple[dict, dict, dict]:
    """Meter AI_CALL (COUNT ai_call by region, call_outcome), pricing "AI Calls", plan, customer acme,
    contract from 2026-03-01; the rate card when ``card`` is given. Returns (meter, pricing, contract)."""
    clock.set(datetime(2026, 2, 20, tzinfo=UTC))
    m = await ai_meter(api)
    if card is not None:
        r = await api.put(f"/v1/meters/{m['id']}/rate-card", card)
        assert r.status_code == 200, r.text
    p = await s.usage_price(api, "AI Calls", m["id"], unit)
    plan = await s.plan(api, "ai", [p["id"]])
    cust = await s.customer(api, "Acme", "acme")
    c = await s.contract(api, cust["id"], plan["id"], "2026-03-01", "2026-06-01", **contract_extra)
    return m, p, c


async def march_usage(api: Api, contract_id: str) -> dict[str, Any]:
    """The invoice billing March's usage (dated 2026-04-01)."""
    inv = [i for i in await s.invoices(api, contract_id) if i["invoiceDate"] == "2026-04-01"]
    assert len(inv) == 1
    return inv[0]


async def test_worked_example_bills_425_in_four_lines(api: Api, worker, clock: FrozenClock) -> None:
    _, p, c = await ai_contract(api, clock)
    events = (calls(60, "US", "resolved", prefix="usr") + calls(30, "US", "transferred", prefix="ust")
              + calls(10, "US", "escalated", prefix="use") + calls(50, "EU", "resolved", prefix="eur"))
    clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    await s.send(api, events)
    assert await worker.drain() == 150

    inv = await march_usage(api, c["id"])
    assert sorted(s.lines(inv)) == [
        ("AI Calls - EU / resolved", 50, 12500),
        ("AI Calls - US / escalated", 10, 6000),
        ("AI Calls - US / resolved", 60, 12000),
        ("AI Calls - US / transferred", 30, 12000),
    ]
    assert inv["totalCents"] == 42500
    by_name = {li["name"]: li for li in inv["lineItems"]}
    us_resolved = by_name["AI Calls - US / resolved"]
    assert us_resolved["unitPrice"] == "2.00" and us_resolved["unitPriceCents"] == 200
    assert us_resolved["totalAmount"] == "120.00" and us_resolved["priceId"] == p["id"]
    assert us_resolved["description"] == "60 units × $2.00/unit = $120.00"
    assert us_resolved["dimensions"] == {"region": "US", "call_outcome": "resolved"}
    assert by_name["AI Calls - EU / resolved"]["unitPrice"] == "2.50"
    assert all(li["isMetered"] for li in inv["lineItems"])
    assert us_resolved["servicePeriod"] == {"start": "2026-03-01T00:00:00.000Z", "end": "2026-03-31T23:59:59.999Z"}


async def test_fallback_missing_keys_and_case(api: Api, worker, clock: FrozenClock) -> None:
    _, _, c = await ai_contract(api, clock)
    events = (calls(5, "LATAM", "resolved", prefix="latam") + calls(2, "US", None, prefix="nooutcome")
              + calls(1, "us", "resolved", prefix="lower") + calls(3, "APAC", "escalated", prefix="apac"))
    clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    await s.send(api, events)
    await worker.drain()
    inv = await march_usage(api, c["id"])
    # LATAM 5 x 4.00 (fallback); US without outcome 2 x 4.00; "us" 1 x 4.00 (case-sensitive); APAC 3 x 9.00.
    assert sorted(s.lines(inv)) == [
        ("AI Calls - APAC / escalated", 3, 2700),
        ("AI Calls - LATAM / resolved", 5, 2000),
        ("AI Calls - US / (none)", 2, 800),
        ("AI Calls - us / resolved", 1, 400),
    ]
    assert inv["totalCents"] == 5900


async def test_without_fallback_the_pricing_unit_applies(api: Api, worker, clock: FrozenClock) -> None:
    card = {"rates": CARD["rates"][:1]}
    _, _, c = await ai_contract(api, clock, card=card, unit="0.75")
    clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    await s.send(api, calls(4, "US", "resolved", prefix="a") + calls(4, "EU", "resolved", prefix="b"))
    await worker.drain()
    inv = await march_usage(api, c["id"])
    assert sorted(s.lines(inv)) == [("AI Calls - EU / resolved", 4, 300), ("AI Calls - US / resolved", 4, 800)]


async def test_put_get_replace_delete(api: Api, clock: FrozenClock) -> None:
    m = await ai_meter(api)
    url = f"/v1/meters/{m['id']}/rate-card"
    assert_error(await api.get(url), 404, "NOT_FOUND")
    r = await api.put(url, {"rates": [{"dimensions": {"call_outcome": "resolved", "region": "US"},
                                       "unitAmount": "2.0000"}], "fallbackRate": "4"})
    assert r.status_code == 200, r.text
    card = r.json()["data"]
    assert card == {
        "meterId": m["id"], "groupKeys": ["region", "call_outcome"],
        "rates": [{"dimensions": {"region": "US", "call_outcome": "resolved"}, "unitAmount": "2.00"}],
        "fallbackRate": "4.00", "createdAt": "2026-01-15T12:00:00.000Z", "updatedAt": "2026-01-15T12:00:00.000Z",
    }
    assert (await api.get(url)).json() == {"data": card}

    clock.advance(timedelta(hours=1))
    r = await api.put(url, {"rates": [{"dimensions": {"region": "EU", "call_outcome": "x"}, "unitAmount": "0.0045"},
                                      {"dimensions": {"region": "EU", "call_outcome": "y"}, "unitAmount": "0"}]})
    assert r.status_code == 200, r.text
    replaced = r.json()["data"]
    assert replaced["rates"] == [{"dimensions": {"region": "EU", "call_outcome": "x"}, "unitAmount": "0.0045"},
                                 {"dimensions": {"region": "EU", "call_outcome": "y"}, "unitAmount": "0.00"}]
    assert replaced["fallbackRate"] is None
    assert replaced["createdAt"] == "2026-01-15T12:00:00.000Z" and replaced["updatedAt"] == "2026-01-15T13:00:00.000Z"
    assert (await api.put(url, {"rates": [], "fallbackRate": "1.5"})).json()["data"]["rates"] == []

    r = await api.delete(url)
    assert r.status_code == 200 and r.json() == {"data": {"success": True}}
    assert_error(await api.get(url), 404, "NOT_FOUND")
    assert_error(await api.delete(url), 404, "NOT_FOUND")


async def test_changing_the_card_rerates_open_drafts(api: Api, worker, clock: FrozenClock) -> None:
    m, _, c = await ai_contract(api, clock)
    clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    await s.send(api, calls(10, "US", "resolved", prefix="a"))
    await worker.drain()
    assert (await march_usage(api, c["id"]))["totalCents"] == 2000
    url = f"/v1/meters/{m['id']}/rate-card"
    new = {"rates": [{"dimensions": {"region": "US", "call_outcome": "resolved"}, "unitAmount": "1.25"}]}
    assert (await api.put(url, new)).status_code == 200
    assert s.lines(await march_usage(api, c["id"])) == [("AI Calls - US / resolved", 10, 1250)]
    assert (await api.delete(url)).status_code == 200
    inv = await march_usage(api, c["id"])
    assert s.lines(inv) == [("AI Calls - US / resolved", 10, 5000)] and inv["totalCents"] == 5000


BAD_BODIES = [
    {},
    {"rates": "x"},
    {"rates": [{"dimensions": {"region": "US"}, "unitAmount": "2.00"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a", "tier": "b"}, "unitAmount": "2.00"}]},
    {"rates": [{"dimensions": {"region": "US", "outcome": "a"}, "unitAmount": "2.00"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": 1}, "unitAmount": "2.00"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": ""}, "unitAmount": "2.00"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": None}, "unitAmount": "2.00"}]},
    {"rates": [{"dimensions": ["US", "a"], "unitAmount": "2.00"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": 2.0}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": 2}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": "-2.00"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": "1e3"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": " 2.00"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": "2."}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": "0.0000000000001"}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": "2.00", "extra": 1}]},
    {"rates": [{"dimensions": {"region": "US", "call_outcome": "a"}, "unitAmount": "2.00"},
               {"dimensions": {"call_outcome": "a", "region": "US"}, "unitAmount": "3.00"}]},
    {"rates": [], "fallbackRate": 4},
    {"rates": [], "fallbackRate": "-4.00"},
    {"rates": [], "fallbackRate": "four"},
    {"rates": [], "unknown": True},
    {"rates": [{"dimensions": {"region": f"R{i}", "call_outcome": "a"}, "unitAmount": "1"} for i in range(10_001)]},
]


async def test_bad_bodies_are_rejected_and_nothing_is_stored(api: Api) -> None:
    m = await ai_meter(api)
    url = f"/v1/meters/{m['id']}/rate-card"
    for body in BAD_BODIES:
        assert_error(await api.put(url, body), 400, "VALIDATION_ERROR")
    assert_error(await api.get(url), 404)
    r = await api.client.put(url, content=b"{not json", headers={**api._h(None), "Content-Type": "application/json"})
    assert_error(r, 400, "VALIDATION_ERROR")
    # Exactly 10,000 entries is allowed.
    many = {"rates": [{"dimensions": {"region": f"R{i}", "call_outcome": "a"}, "unitAmount": "1"}
                      for i in range(10_000)]}
    r = await api.put(url, many)
    assert r.status_code == 200 and len(r.json()["data"]["rates"]) == 10_000
    # A failed replace leaves the stored card as it was.
    assert_error(await api.put(url, BAD_BODIES[2]), 400)
    assert len((await api.get(url)).json()["data"]["rates"]) == 10_000


async def test_messages_name_the_problem(api: Api) -> None:
    m = await ai_meter(api)
    url = f"/v1/meters/{m['id']}/rate-card"
    err = assert_error(await api.put(url, BAD_BODIES[2]), 400)
    assert err["message"] == ("rates[0].dimensions: keys must be exactly the meter's groupKeys "
                              "(region, call_outcome); got (region)")
    err = assert_error(await api.put(url, BAD_BODIES[18]), 400)
    assert err["message"] == ("rates[1]: duplicate dimension combination (call_outcome=a, region=US), "
                              "already given in rates[0]")
    plain = await s.meter(api, "PLAIN", "plain")
    err = assert_error(await api.put(f"/v1/meters/{plain['id']}/rate-card", {"rates": []}), 400, "VALIDATION_ERROR")
    assert "no groupKeys" in err["message"]
    assert_error(await api.get(f"/v1/meters/{plain['id']}/rate-card"), 404)


async def test_unknown_foreign_and_archived_meters(api: Api) -> None:
    m = await ai_meter(api)
    body = {"rates": [], "fallbackRate": "1.00"}
    for meter_id in ("00000000-0000-0000-0000-000000000000", "nope"):
        assert_error(await api.put(f"/v1/meters/{meter_id}/rate-card", body), 404, "NOT_FOUND")
        assert_error(await api.get(f"/v1/meters/{meter_id}/rate-card"), 404, "NOT_FOUND")
        assert_error(await api.delete(f"/v1/meters/{meter_id}/rate-card"), 404, "NOT_FOUND")
    assert (await api.put(f"/v1/meters/{m['id']}/rate-card", body)).status_code == 200
    other_org = await api.new_key(["*"], org="other")
    test_mode = await api.new_key(["*"], mode="test")
    for key in (other_org, test_mode):
        url = f"/v1/meters/{m['id']}/rate-card"
        assert_error(await api.get(url, key=key), 404, "NOT_FOUND")
        assert_error(await api.put(url, body, key=key), 404, "NOT_FOUND")
        assert_error(await api.delete(url, key=key), 404, "NOT_FOUND")
    assert (await api.get(f"/v1/meters/{m['id']}/rate-card")).json()["data"]["fallbackRate"] == "1.00"
    assert (await api.delete(f"/v1/meters/{m['id']}")).status_code == 200  # archive the meter
    assert_error(await api.put(f"/v1/meters/{m['id']}/rate-card", body), 409, "CONFLICT")
    assert (await api.get(f"/v1/meters/{m['id']}/rate-card")).status_code == 200


async def test_scopes(api: Api) -> None:
    m = await ai_meter(api)
    url = f"/v1/meters/{m['id']}/rate-card"
    reader = await api.new_key(["meters:read", "pricing:write"])
    writer = await api.new_key(["meters:write", "pricing:read"])
    for method, scope, key in (("get", "meters:read", writer), ("put", "meters:write", reader),
                               ("delete", "meters:write", reader)):
        call = getattr(api, method)
        resp = await (call(url, CARD, key=key) if method == "put" else call(url, key=key))
        err = assert_error(resp, 403, "FORBIDDEN")
        assert err["message"] == f"API key does not have the required permission: {scope}"
        r = await api.client.request(method.upper(), url, json=CARD if method == "put" else None)
        assert_error(r, 401, "UNAUTHORIZED")
    assert (await api.get(url)).status_code == 404  # nothing was stored
    assert (await api.put(url, CARD, key=writer)).status_code == 200
    assert (await api.get(url, key=reader)).status_code == 200
    assert (await api.delete(url, key=writer)).status_code == 200

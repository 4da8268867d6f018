"""The catalog pages through HTTP against the real app on both databases: products and their pricing
(flat, per unit with a minimum, tiers; the code derived from the name), meters with their rate cards and
archiving, plans (Net 0 for auto-charge through the plans service's rule); errors next to the fields with
nothing written, viewer and CSRF refusals, other organizations' ids and test mode."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import Api
from tests.dashboard.browser import Browser
from tests.e2e import scenario


def _errors(html: str) -> list[str]:
    return re.findall(r'class="error"[^>]*>([^<]*)<', html)


async def _pricing(api: Api) -> list[dict[str, Any]]:
    return list((await api.get("/v1/pricing", limit=100)).json()["data"])


async def test_the_sms_product_is_created_through_the_form_with_exact_amounts(api: Api, admin: Browser) -> None:
    sms = await scenario.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    form = (await admin.get("/products/new")).text
    assert '<label for="f-name">Name</label>' in form and '<label for="f-code">Pricing code</label>' in form
    assert f'<option value="{sms["id"]}">Sms (SMS)</option>' in form and 'name="csrf"' in form
    assert 'hx-get="/products/code" hx-trigger="input changed delay:300ms"' in form
    made = await admin.submit("/products/new", {"name": "SMS Notifications", "code": "", "charge": "unit",
                                                "meter": sms["id"], "price": "0.045", "minimum": "$15.00"})
    assert made.status_code == 303, made.text
    [p] = await _pricing(api)
    assert made.headers["location"] == f"/products/{p['id']}"
    assert (p["code"], p["model"], p["unitAmount"], p["minimumAmount"], p["meterId"]) == (
        "sms-notifications", "USAGE", "0.045", "15.00", sms["id"])
    assert p["productName"] == "SMS Notifications" and p["tiering"] == "NONE"
    page = (await admin.get(made.headers["location"])).text
    assert "<h1>SMS Notifications</h1>" in page and '<code class="code">sms-notifications</code>' in page
    assert '<dd class="price">$0.045 per unit</dd>' in page and '<dd class="minimum">$15.00</dd>' in page
    assert '<dd class="charge">Per unit</dd>' in page and f'href="/meters/{sms["id"]}">Sms</a>' in page
    again = await admin.submit("/products/new", {"name": "SMS Notifications", "charge": "unit",
                                                 "meter": sms["id"], "price": "0.05"})
    assert again.status_code == 303
    assert [q["code"] for q in await _pricing(api)] == ["sms-notifications", "sms-notifications-2"]
    preview = await admin.get("/products/code", name="SMS Notifications")
    assert "<code>sms-notifications</code>" in preview.text


async def test_flat_fee_and_tiers_through_the_form(api: Api, admin: Browser) -> None:
    calls = await scenario.meter(api, "API_CALL", "call_count")
    flat = await admin.submit("/products/new", {"name": "Platform fee", "charge": "flat", "interval": "MONTH",
                                                "price": "350", "code": "platform"})
    assert flat.status_code == 303
    tiers = await admin.submit("/products/new", {
        "name": "API calls", "charge": "tier", "tiering": "GRADUATED", "meter": calls["id"], "minimum": "",
        "up_to_1": "1,000", "tier_price_1": "0.10", "up_to_2": "", "tier_price_2": "0.05"})
    assert tiers.status_code == 303, tiers.text
    fee, api_calls = await _pricing(api)
    assert (fee["model"], fee["unitAmount"], fee["priceInterval"], fee["code"]) == ("FLAT", "350.00", "MONTH",
                                                                                   "platform")
    assert (api_calls["model"], api_calls["tiering"], api_calls["minimumAmount"]) == ("TIER", "GRADUATED", None)
    assert api_calls["pricingTiers"] == [
        {"minQty": "0", "maxQty": "1000", "unitAmount": "0.10", "flatAmount": "0.00"},
        {"minQty": "1000", "maxQty": None, "unitAmount": "0.05", "flatAmount": "0.00"}]
    page = (await admin.get(f"/products/{api_calls['id']}")).text
    assert "Per tier (graduated)" in page and "$0.10" in page and "and above" in page
    listing = (await admin.get("/products")).text
    assert "$350.00" in listing and "Flat fee · every month" in listing and "$0.05 above" in listing


async def test_bad_input_is_a_400_next_to_the_field_and_nothing_is_written(api: Api, admin: Browser) -> None:
    sms = await scenario.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"name": "", "charge": "flat", "price": "1"}, "name", "Enter a name."),
        ({"name": "X", "charge": "flat", "price": "1.5e3"}, "price", "must be a plain decimal string"),
        ({"name": "X", "charge": "unit", "meter": sms["id"], "price": "-1"}, "price", "must not be negative"),
        ({"name": "X", "charge": "unit", "meter": "", "price": "1"}, "meter", "Choose the meter"),
        ({"name": "X", "charge": "unit", "meter": sms["id"], "price": "1", "minimum": "ten"}, "minimum",
         "plain decimal"),
        ({"name": "X", "charge": "flat", "price": "1", "code": "Not A Code"}, "code", "String should match"),
        ({"name": "X", "charge": "tier", "meter": sms["id"], "up_to_1": "", "tier_price_1": "0.1",
          "up_to_2": "100", "tier_price_2": "0.05"}, "tiers", "only the last tier may be open-ended"),
        ({"name": "X", "charge": "unit", "meter": "nope", "price": "1"}, "meter", "does not exist"),
    ]
    for data, field, message in cases:
        resp = await admin.submit("/products/new", data)
        assert resp.status_code == 400, (data, resp.text)
        assert f'id="e-{field}"' in resp.text and message in resp.text, (data, _errors(resp.text))
        assert f'value="{data.get("price", data.get("minimum", ""))}"' in resp.text or "price" not in data
    assert await _pricing(api) == []
    await scenario.flat_price(api, "Taken", "1.00", code="taken")
    taken = await admin.submit("/products/new", {"name": "Y", "charge": "flat", "price": "2", "code": "taken"})
    assert taken.status_code == 400 and 'id="e-code"' in taken.text and "already exists" in taken.text
    assert [p["name"] for p in await _pricing(api)] == ["Taken"]


async def test_the_product_list_searches_and_paginates_on_the_server(api: Api, admin: Browser) -> None:
    for n in range(52):
        await scenario.flat_price(api, f"Fee {n:02d}", f"{n}.00")
    await scenario.flat_price(api, "Support 100%", "9.99", code="support")
    first = (await admin.get("/products")).text
    assert "1–50 of 53" in first and 'rel="next"' in first and "Fee 00" in first and "Support" not in first
    second = (await admin.get("/products", offset=50)).text
    assert "51–53 of 53" in second and "Support 100%" in second and "$9.99" in second
    assert "1–1 of 1" in (await admin.get("/products", q="SUPPORT")).text
    assert "1–1 of 1" in (await admin.get("/products", q="fee-07")).text
    assert "1–1 of 1" in (await admin.get("/products", q="0%")).text
    assert "No product matches" in (await admin.get("/products", q="zzz")).text
    assert (await admin.get("/products", limit=500)).status_code == 400


async def _meters(api: Api, status: str = "all") -> list[dict[str, Any]]:
    return list((await api.get("/v1/meters", status=status, limit=100)).json()["data"])


async def test_the_meter_form_creates_the_guides_api_call_meter(api: Api, admin: Browser) -> None:
    form = (await admin.get("/meters/new")).text
    for name, label in (("code", "Code"), ("event_name", "Event name"), ("display_name", "Display name"),
                        ("aggregation", "Aggregation")):
        assert f'<label for="f-{name}">{label}</label>' in form
    assert '<option value="UNIQUE_COUNT">Unique count</option>' in form
    made = await admin.submit("/meters/new", {"code": "API_CALL", "event_name": "call_count",
                                              "display_name": "API Calls", "aggregation": "COUNT"})
    assert made.status_code == 303, _errors(made.text)
    [m] = await _meters(api)
    assert made.headers["location"] == f"/meters/{m['id']}"
    assert (m["code"], m["displayName"], m["aggregationType"], m["eventTypeFilter"], m["aggregationKey"]) == (
        "API_CALL", "API Calls", "COUNT", {"include": ["call_count"], "exclude": []}, None)
    page = (await admin.get(made.headers["location"])).text
    assert "API Calls" in page and "call_count" in page and '<dd class="aggregation">Count</dd>' in page
    assert "has no group keys" in page and "Archive meter" in page
    listing = (await admin.get("/meters")).text
    assert "API Calls" in listing and "<code>API_CALL</code>" in listing and "1–1 of 1" in listing


async def test_meter_form_errors_are_next_to_the_field(api: Api, admin: Browser) -> None:
    await scenario.meter(api, "TAKEN", "taken")
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"code": "api call", "event_name": "e", "display_name": "D"}, "code", "String should match"),
        ({"code": "A", "event_name": "", "display_name": "D"}, "event_name", "Enter the event name."),
        ({"code": "A", "event_name": "e", "display_name": ""}, "display_name", "at least 1 character"),
        ({"code": "A", "event_name": "e", "display_name": "D", "aggregation": "SUM"}, "aggregation_key",
         "required for SUM meters"),
        ({"code": "TAKEN", "event_name": "e", "display_name": "D"}, "code", "already exists"),
        ({"code": "A", "event_name": "e", "display_name": "D", "group_keys": "a, a"}, "",
         "groupKeys must not contain duplicates"),
    ]
    for data, field, message in cases:
        resp = await admin.submit("/meters/new", {"aggregation": "COUNT", **data})
        assert resp.status_code == 400, (data, resp.text)
        assert (f'id="e-{field}"' if field else 'role="alert"') in resp.text, (data, _errors(resp.text))
        assert message in resp.text, (data, _errors(resp.text))
        assert f'value="{data["code"]}"' in resp.text
    assert [m["code"] for m in await _meters(api)] == ["TAKEN"]


async def test_a_rate_card_is_set_replaced_and_removed_through_the_meters_page(api: Api, admin: Browser) -> None:
    gpu = await scenario.meter(api, "GPU", "gpu_used", "SUM", key="hours", groupKeys=["region", "tier"])
    page = (await admin.get(f"/meters/{gpu['id']}")).text
    assert "No rate card" in page and 'rows="8"' in page and "Set rate card" in page
    assert "region=…, tier=… -&gt; rate" in page
    bad_cases = [("region=eu -> 2.00", "", "rates", "keys must be exactly the meter&#39;s groupKeys"),
                 ("\nregion=eu, tier=gold 2.00", "", "rates", "line 2: write key=value"),
                 ("region=eu, tier=gold -> 2,5.0.0", "", "rates", "line 1"),
                 ("region=eu, tier=gold -> 2\nregion=eu, tier=gold -> 3", "", "rates", "line 2: duplicate"),
                 ("region=eu, tier=gold -> 2", "-1", "fallback", "non-negative decimal")]
    for rates, fallback, field, message in bad_cases:
        resp = await admin.submit(f"/meters/{gpu['id']}/rate-card", {"rates": rates, "fallback": fallback})
        assert resp.status_code == 400 and f'id="e-{field}"' in resp.text, (rates, _errors(resp.text))
        assert message in resp.text, (rates, _errors(resp.text))
    assert (await api.get(f"/v1/meters/{gpu['id']}/rate-card")).status_code == 404
    made = await admin.submit(f"/meters/{gpu['id']}/rate-card", {
        "rates": "region=eu, tier=gold -> $2.50\n\nregion=us, tier=gold -> 0.045", "fallback": "4"})
    assert made.status_code == 303 and made.headers["location"] == f"/meters/{gpu['id']}"
    card = (await api.get(f"/v1/meters/{gpu['id']}/rate-card")).json()["data"]
    assert card["rates"] == [{"dimensions": {"region": "eu", "tier": "gold"}, "unitAmount": "2.50"},
                             {"dimensions": {"region": "us", "tier": "gold"}, "unitAmount": "0.045"}]
    assert card["fallbackRate"] == "4.00"
    page = (await admin.get(f"/meters/{gpu['id']}")).text
    assert "<td>eu</td><td>gold</td><td class=\"num\">$2.50</td>" in page and "$0.045" in page
    assert '<td class="num fallback">$4.00</td>' in page, page.split("Rate card")[1]
    assert "region=eu, tier=gold -&gt; 2.50" in page, page.split("Rate card")[1]
    replaced = await admin.submit(f"/meters/{gpu['id']}/rate-card", {"rates": "region=ap, tier=x -> 1", "fallback": ""})
    assert replaced.status_code == 303
    card = (await api.get(f"/v1/meters/{gpu['id']}/rate-card")).json()["data"]
    assert card["rates"] == [{"dimensions": {"region": "ap", "tier": "x"}, "unitAmount": "1.00"}]
    assert card["fallbackRate"] is None
    assert (await admin.submit(f"/meters/{gpu['id']}/rate-card/delete", {})).status_code == 303
    assert (await api.get(f"/v1/meters/{gpu['id']}/rate-card")).status_code == 404


async def test_archiving_a_meter_and_the_status_tabs(api: Api, admin: Browser) -> None:
    used = await scenario.meter(api, "USED", "used")
    price = await scenario.usage_price(api, "Used", used["id"], "0.10")
    await scenario.plan(api, "starter", [price["id"]])
    spare = await scenario.meter(api, "SPARE", "spare")
    refused = await admin.submit(f"/meters/{used['id']}/archive", {})
    assert refused.status_code == 409 and "archive the plan first" in refused.text
    assert (await admin.submit(f"/meters/{spare['id']}/archive", {})).status_code == 303
    statuses = {m["code"]: m["status"] for m in await _meters(api)}
    assert statuses == {"USED": "active", "SPARE": "inactive"}
    active = (await admin.get("/meters")).text
    assert "USED" in active and "SPARE" not in active
    archived = (await admin.get("/meters", status="inactive")).text
    assert "SPARE" in archived and "USED" not in archived and "Archived" in archived
    page = (await admin.get(f"/meters/{spare['id']}")).text
    assert "Archive meter" not in page and "badge-archived" in page
    assert (await admin.submit(f"/meters/{spare['id']}/archive", {})).status_code == 409


async def _plans(api: Api) -> list[dict[str, Any]]:
    return list((await api.get("/v1/plans", limit=100)).json()["data"])


async def test_the_plan_form_bundles_pricing_with_its_terms(api: Api, admin: Browser) -> None:
    fee = await scenario.flat_price(api, "Platform fee", "350.00")
    sms_meter = await scenario.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    sms = await scenario.usage_price(api, "SMS", sms_meter["id"], "0.045", minimumAmount="15.00")
    form = (await admin.get("/plans/new")).text
    for name, label in (("name", "Name"), ("plan_code", "Plan code"), ("billing_frequency", "Billing frequency"),
                        ("net_terms", "Net terms (days)"), ("credit_grant", "Credit grant (dollars, optional)")):
        assert f'<label for="f-{name}">{label}</label>' in form
    assert f'name="pricing" value="{fee["id"]}"' in form and "Auto-pay on for new contracts" in form
    made = await admin.submit("/plans/new", [
        ("name", "Starter"), ("plan_code", "starter"), ("billing_frequency", "MONTHLY"),
        ("collection_method", "invoice_and_collect"), ("net_terms", "30"), ("credit_grant", "$1,250.50"),
        ("status", "ACTIVE"), ("pricing", sms["id"]), ("pricing", fee["id"])])
    assert made.status_code == 303, _errors(made.text)
    [plan] = await _plans(api)
    assert made.headers["location"] == f"/plans/{plan['id']}"
    assert (plan["planCode"], plan["netTerms"], plan["autoPay"], plan["creditGrantCents"], plan["pricingIds"]) == (
        "starter", 30, False, 125050, [sms["id"], fee["id"]])
    page = (await admin.get(made.headers["location"])).text
    assert "<h1>Starter" in page and '<dd class="net-terms">Net 30</dd>' in page
    assert '<dd class="credit-grant">$1,250.50</dd>' in page and '<dd class="auto-pay">Off</dd>' in page
    assert page.index("$0.045") < page.index("$350.00") and "$15.00" in page
    auto = await admin.submit("/plans/new", {"name": "Auto", "plan_code": "auto", "billing_frequency": "ANNUALLY",
                                             "collection_method": "auto_charge", "net_terms": "0", "auto_pay": "1"})
    assert auto.status_code == 303
    listing = (await admin.get("/plans")).text
    assert "Starter" in listing and "SMS, Platform fee" in listing and "Net 0 · auto-pay · auto-charge" in listing
    assert "1–2 of 2" in listing
    assert "Auto" not in (await admin.get("/plans", status="DRAFT")).text


async def test_plan_form_errors_are_next_to_the_field_and_nothing_is_written(api: Api, admin: Browser) -> None:
    await scenario.plan(api, "taken", [])
    base = {"name": "P", "plan_code": "p", "billing_frequency": "MONTHLY", "collection_method": "invoice_and_collect",
            "net_terms": "30", "status": "ACTIVE"}
    cases: list[tuple[dict[str, str], str, str]] = [
        ({"name": ""}, "name", "at least 1 character"),
        ({"plan_code": "Bad Code"}, "plan_code", "String should match"),
        ({"plan_code": "taken"}, "plan_code", "already exists"),
        ({"net_terms": "thirty"}, "net_terms", "whole number of days"),
        ({"net_terms": "400"}, "net_terms", "less than or equal to 365"),
        ({"collection_method": "auto_charge", "auto_pay": "1"}, "net_terms", "Net 0"),
        ({"collection_method": "auto_charge", "net_terms": "0"}, "auto_pay", "auto-pay on"),
        ({"credit_grant": "1.005"}, "credit_grant", "dollars and cents"),
        ({"pricing": "nope"}, "pricing", "pricing &#39;nope&#39; not found"),
    ]
    for change, field, message in cases:
        resp = await admin.submit("/plans/new", {**base, **change})
        assert resp.status_code == 400, (change, resp.text)
        assert f'id="e-{field}"' in resp.text and message in resp.text, (change, _errors(resp.text))
        assert f'value="{base["plan_code"] if "plan_code" not in change else change["plan_code"]}"' in resp.text
    assert [p["planCode"] for p in await _plans(api)] == ["taken"]


async def _catalog(api: Api, key: str | None = None) -> dict[str, dict[str, Any]]:
    """A meter with group keys, a usage pricing on it, a flat fee and a plan, through the API."""
    async def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = await api.post(path, body, key=key)
        assert resp.status_code == 201, resp.text
        return dict(resp.json()["data"])
    meter = await made("/v1/meters", {"code": "GPU", "displayName": "GPU hours", "aggregationType": "SUM",
                                      "aggregationKey": "hours", "groupKeys": ["region"],
                                      "eventTypeFilter": {"include": ["gpu"]}})
    usage = await made("/v1/pricing", {"productName": "GPU", "name": "GPU", "model": "USAGE",
                                       "billingMode": "RECURRING", "unitAmount": "2.00", "meterId": meter["id"]})
    flat = await made("/v1/pricing", {"productName": "Seat", "name": "Seat fee", "model": "FLAT",
                                      "billingMode": "RECURRING", "unitAmount": "99.00", "priceInterval": "MONTH"})
    plan = await made("/v1/plans", {"name": "Pro", "planCode": "pro", "billingFrequency": "MONTHLY",
                                    "pricingIds": [usage["id"], flat["id"]]})
    return {"meter": meter, "usage": usage, "flat": flat, "plan": plan}


async def _counts(api: Api) -> tuple[int, int, int, int]:
    meters = (await api.get("/v1/meters", status="active")).json()["total"]
    card = (await api.get(f"/v1/meters/{(await _meters(api))[0]['id']}/rate-card")).status_code
    return meters, (await api.get("/v1/pricing")).json()["total"], (await api.get("/v1/plans")).json()["total"], card


def _posts(c: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, str]]]:
    meter_id = c["meter"]["id"]
    return [("/products/new", {"name": "Evil", "charge": "flat", "price": "1"}),
            ("/meters/new", {"code": "EVIL", "event_name": "e", "display_name": "Evil", "aggregation": "COUNT"}),
            ("/plans/new", {"name": "Evil", "plan_code": "evil", "billing_frequency": "MONTHLY"}),
            (f"/meters/{meter_id}/rate-card", {"rates": "region=eu -> 1", "fallback": ""}),
            (f"/meters/{meter_id}/rate-card/delete", {}),
            (f"/meters/{meter_id}/archive", {})]


async def test_a_viewer_sees_no_action_and_every_form_refuses_a_viewer_or_a_missing_csrf_token(
        api: Api, admin: Browser, viewer: Browser) -> None:
    c = await _catalog(api)
    before = await _counts(api)
    pages = ["/products", f"/products/{c['usage']['id']}", "/products/new", "/meters", f"/meters/{c['meter']['id']}",
             "/meters/new", "/plans", f"/plans/{c['plan']['id']}", "/plans/new"]
    for path in pages:
        resp = await viewer.get(path)
        assert resp.status_code == 200, path
        body = resp.text.split('<main class="content">')[1]
        assert 'method="post"' not in body and "+ New" not in body, path
        assert "Archive" not in body.replace("Archived", "") and "rate card</button>" not in body, path
    assert "Archive meter" in (await admin.get(f"/meters/{c['meter']['id']}")).text
    for path, data in _posts(c):
        assert (await viewer.submit(path, data)).status_code == 403, path
        for token in ("", "forged"):
            assert (await admin.submit(path, data, csrf=token)).status_code == 403, path
    assert await _counts(api) == before


async def test_another_organizations_ids_are_not_found(api: Api, admin: Browser) -> None:
    other = await api.new_key(["*"], org="Other")
    theirs = await _catalog(api, key=other)
    mine = await _catalog(api)
    for path in (f"/products/{theirs['usage']['id']}", f"/meters/{theirs['meter']['id']}",
                 f"/plans/{theirs['plan']['id']}", "/products/nope", "/meters/nope", "/plans/nope"):
        resp = await admin.get(path)
        assert resp.status_code == 404 and "Not found." in resp.text, path
    for path, data in _posts(theirs)[3:]:
        assert (await admin.submit(path, data)).status_code == 404, path
    card = await api.get(f"/v1/meters/{theirs['meter']['id']}/rate-card", key=other)
    assert card.status_code == 404
    assert (await api.get(f"/v1/meters/{theirs['meter']['id']}", key=other)).json()["data"]["status"] == "active"
    form = (await admin.get("/plans/new")).text
    assert mine["flat"]["id"] in form and theirs["flat"]["id"] not in form
    smuggled = await admin.submit("/plans/new", {"name": "X", "plan_code": "x", "billing_frequency": "MONTHLY",
                                                 "pricing": theirs["flat"]["id"]})
    assert smuggled.status_code == 400 and 'id="e-pricing"' in smuggled.text


async def test_test_mode_shows_and_writes_test_data_only(api: Api, admin: Browser) -> None:
    test_key = await api.new_key(["*"], mode="test")
    sandbox = await _catalog(api, key=test_key)
    for path, name in (("/products", ">Seat fee</a>"), ("/meters", ">GPU hours</a>"), ("/plans", ">Pro</a>")):
        assert name not in (await admin.get(path)).text, path
    assert (await admin.get(f"/products/{sandbox['flat']['id']}")).status_code == 404
    await admin.mode("test")
    for path, name in (("/products", ">Seat fee</a>"), ("/meters", ">GPU hours</a>"), ("/plans", ">Pro</a>")):
        assert name in (await admin.get(path)).text, path
    assert "$99.00" in (await admin.get(f"/products/{sandbox['flat']['id']}")).text
    made = await admin.submit("/products/new", {"name": "Sandbox fee", "charge": "flat", "price": "5"})
    assert made.status_code == 303
    assert [p["name"] for p in (await api.get("/v1/pricing", key=test_key)).json()["data"]] == [
        "GPU", "Seat fee", "Sandbox fee"]
    assert await _pricing(api) == []


async def test_the_meter_and_plan_lists_paginate_on_the_server(api: Api, admin: Browser) -> None:
    for n in range(3):
        meter = await scenario.meter(api, f"M{n}", f"e{n}")
        await scenario.plan(api, f"plan-{n}", [])
    await api.post("/v1/plans", {"name": "Draft", "planCode": "draft", "billingFrequency": "MONTHLY",
                                 "status": "DRAFT"})
    await api.delete(f"/v1/meters/{meter['id']}")
    first = (await admin.get("/meters", limit=1)).text
    assert "1–1 of 2" in first and "<code>M0</code>" in first and 'rel="next"' in first
    second = (await admin.get("/meters", limit=1, offset=1)).text
    assert "2–2 of 2" in second and "<code>M1</code>" in second and 'rel="prev"' in second
    assert "<code>M2</code>" in (await admin.get("/meters", status="inactive")).text
    assert "1–3 of 3" in (await admin.get("/meters", status="all")).text
    plans = (await admin.get("/plans", limit=2, offset=2)).text
    assert "3–4 of 4" in plans and "<code>plan-2</code>" in plans and "<code>draft</code>" in plans
    drafts = (await admin.get("/plans", status="DRAFT")).text
    assert "1–1 of 1" in drafts and "<code>draft</code>" in drafts and "plan-0" not in drafts
    assert (await admin.get("/plans", status="BOGUS")).status_code == 400
    assert (await admin.get("/meters", limit=0)).status_code == 400

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

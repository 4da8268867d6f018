"""The catalog's forms in a real browser: the new-product form shows the fields of the chosen charge type
only (CSS, no script of ours), previews the code derived from the name (htmx), and creates the SMS product
by its labels; the meter and plan forms likewise; no console error; screenshots of each page."""

from __future__ import annotations

from tests.browser.conftest import Screen
from tests.browser.test_sign_in import sign_in
from tests.conftest import Api
from tests.dashboard.browser import add_user
from tests.e2e import scenario


async def test_create_the_sms_product_a_meter_and_a_plan_by_their_labels(app: object, api: Api,
                                                                          screen: Screen) -> None:
    await add_user(app, "admin@example.com")
    await sign_in(screen, "admin@example.com")
    page = screen.page
    await screen.goto("/meters/new")
    await page.get_by_label("Code").fill("SMS")
    await page.get_by_label("Event name").fill("sms_sent")
    await page.get_by_label("Display name").fill("SMS sent")
    await page.get_by_label("Aggregation", exact=True).select_option("SUM")
    await page.get_by_label("Aggregation key").fill("quantity")
    await screen.shot("meter-new")
    await page.get_by_role("button", name="Create meter").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("heading", name="SMS sent").is_visible()
    await screen.shot("meter")

    await screen.goto("/products/new")
    assert await page.get_by_label("Billed (flat fee, in advance)").is_visible()
    assert not await page.get_by_label("Meter (per unit and per tier)").is_visible()
    await page.get_by_label("Name").fill("SMS Notifications")
    await page.get_by_text("Left blank, the code will be").wait_for()
    assert await page.locator("#code-preview code").inner_text() == "sms-notifications"
    await page.get_by_label("Charge type").select_option("unit")
    assert not await page.get_by_label("Billed (flat fee, in advance)").is_visible()
    assert not await page.get_by_label("Tier 1 up to (units)").is_visible()
    await page.get_by_label("Meter (per unit and per tier)").select_option(label="SMS sent (SMS)")
    await page.get_by_label("Price (dollars)").fill("0.045")
    await page.get_by_label("Minimum amount (dollars, optional)").fill("15.00")
    await screen.shot("product-new")
    await page.get_by_role("button", name="Create product").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("heading", name="SMS Notifications").is_visible()
    await screen.shot("product")
    [sms] = (await api.get("/v1/pricing")).json()["data"]
    assert (sms["code"], sms["unitAmount"], sms["minimumAmount"]) == ("sms-notifications", "0.045", "15.00")

    await screen.goto("/products/new")
    await page.get_by_label("Charge type").select_option("tier")
    assert await page.get_by_label("Tier 1 up to (units)").is_visible()
    assert not await page.get_by_label("Price (dollars)").is_visible()

    fee = await scenario.flat_price(api, "Platform fee", "350.00")
    await screen.goto("/plans/new")
    await page.get_by_label("Name").fill("SMS Pro")
    await page.get_by_label("Plan code").fill("sms-pro")
    await page.get_by_label("How invoices are paid").select_option("auto_charge")
    await page.get_by_label("Net terms (days)").fill("0")
    await page.get_by_label("Auto-pay on for new contracts").check()
    await page.get_by_label("SMS Notifications").check()
    await page.get_by_label("Platform fee").check()
    await screen.shot("plan-new")
    await page.get_by_role("button", name="Create plan").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("heading", name="SMS Pro").is_visible()
    await screen.shot("plan")
    [plan] = (await api.get("/v1/plans")).json()["data"]
    assert plan["pricingIds"] == [sms["id"], fee["id"]] and plan["autoPay"] and plan["netTerms"] == 0
    for name, path in (("products", "/products"), ("meters", "/meters"), ("plans", "/plans")):
        await screen.goto(path)
        await screen.shot(name)

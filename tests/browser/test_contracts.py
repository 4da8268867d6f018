"""The contracts pages in a real browser: an admin creates the SMS guide's contract through the form
(the plan's terms swapped in by htmx when the plan changes), reviews its invoice schedule and confirms;
a viewer's contracts pages have no action button. Screenshots in ``artifacts/screenshots/``."""

from __future__ import annotations

from tests.browser.conftest import Screen
from tests.browser.test_sign_in import sign_in
from tests.conftest import Api
from tests.dashboard.browser import add_user
from tests.dashboard.test_contracts import SMS_SCHEDULE, _sms
from tests.e2e import scenario as s


async def test_an_admin_reviews_and_creates_the_sms_guides_contract(app: object, api: Api, screen: Screen) -> None:
    ids = await _sms(api)
    setup = await s.flat_price(api, "Setup", "99.00")
    await s.plan(api, "setup-only", [setup["id"]])
    await add_user(app, "admin@example.com")
    await sign_in(screen, "admin@example.com")
    await screen.goto("/contracts/new")
    page = screen.page
    await page.get_by_label("Plan", exact=True).select_option(label="Setup-Only (setup-only)")
    await page.get_by_role("cell", name="Setup", exact=True).wait_for()
    await page.get_by_label("Plan", exact=True).select_option(label="Business (business)")
    await page.get_by_role("cell", name="SMS Notifications").wait_for()
    assert await page.get_by_text("Metered", exact=True).count() == 1
    await page.get_by_label("Customer", exact=True).select_option(label="Corp (corp)")
    await page.get_by_label("Start date").fill("2026-01-01")
    await page.get_by_label("End date (optional)").fill("2026-05-01")
    await screen.shot("contract-new")
    await page.get_by_role("button", name="Review").click()
    await page.wait_for_load_state()
    assert await page.locator(".schedule-summary").inner_text() == SMS_SCHEDULE
    await screen.shot("contract-review")
    assert (await api.get("/v1/contracts")).json()["total"] == 0
    await page.get_by_role("button", name="Create contract").click()
    await page.wait_for_load_state()
    contract = (await api.get("/v1/contracts")).json()["data"][0]
    assert page.url.endswith(f"/contracts/{contract['id']}") and contract["planId"] == ids["plan"]
    await screen.shot("contract")
    await screen.goto("/contracts")
    await screen.shot("contracts")


async def test_a_viewers_contracts_pages_have_no_action_button(app: object, api: Api, screen: Screen) -> None:
    ids = await _sms(api)
    contract = await s.contract(api, ids["customer"], ids["plan"], "2026-01-01")
    await add_user(app, "viewer@example.com", role="viewer")
    await sign_in(screen, "viewer@example.com")
    allowed = {"Switch to test mode", "Switch to live mode", "Sign out", "Filter"}
    for path in ("/contracts", "/contracts/new", f"/contracts/{contract['id']}"):
        await screen.goto(path)
        labels = [(await b.inner_text()).strip() for b in await screen.page.get_by_role("button").all()]
        assert set(labels) <= allowed, (path, labels)
    await screen.shot("viewer-contract")

"""The docs' guides end to end through a real browser, every step by its labels as a person does it:
the SMS guide ($350/month in advance + $0.045 per SMS with a $15 minimum in arrears; the review shows the
five invoices; 400 SMS added by hand make February's invoice $368.00) and the SaaS guide (two plans, two
customers, usage added by hand and by the API, the upcoming invoices to the cent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.async_api import Page

from monk.kit.clock import FrozenClock
from tests.browser.conftest import Screen
from tests.browser.test_sign_in import sign_in
from tests.conftest import Api
from tests.dashboard.browser import add_user
from tests.dashboard.test_contracts import SMS_SCHEDULE
from tests.e2e import scenario as s


async def _click(page: Page, button: str) -> None:
    await page.get_by_role("button", name=button).click()
    await page.wait_for_load_state()


async def _meter(screen: Screen, code: str, event: str, name: str, aggregation: str, key: str = "") -> None:
    page = screen.page
    await screen.goto("/meters/new")
    await page.get_by_label("Code").fill(code)
    await page.get_by_label("Event name").fill(event)
    await page.get_by_label("Display name").fill(name)
    await page.get_by_label("Aggregation", exact=True).select_option(aggregation)
    if key:
        await page.get_by_label("Aggregation key").fill(key)
    await _click(page, "Create meter")
    assert await page.get_by_role("heading", name=name).is_visible()


async def _product(screen: Screen, name: str, price: str, *, meter: str = "", minimum: str = "") -> None:
    page = screen.page
    await screen.goto("/products/new")
    await page.get_by_label("Name").fill(name)
    if meter:
        await page.get_by_label("Charge type").select_option("unit")
        await page.get_by_label("Meter (per unit and per tier)").select_option(label=meter)
    await page.get_by_label("Price (dollars)").fill(price)
    if minimum:
        await page.get_by_label("Minimum amount (dollars, optional)").fill(minimum)
    await _click(page, "Create product")
    assert await page.get_by_role("heading", name=name).is_visible()


async def _plan(screen: Screen, name: str, code: str, products: list[str]) -> None:
    page = screen.page
    await screen.goto("/plans/new")
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Plan code").fill(code)
    for product in products:
        await page.get_by_role("checkbox", name=product).check()
    await _click(page, "Create plan")
    assert await page.get_by_role("heading", name=name).is_visible()


async def _customer(screen: Screen, name: str, external_id: str) -> None:
    page = screen.page
    await screen.goto("/customers/new")
    await page.get_by_label("Name", exact=True).fill(name)
    await page.get_by_label("External customer id").fill(external_id)
    await page.get_by_label("Billing contact email").fill(f"billing@{external_id}.example.com")
    await _click(page, "Create customer")
    assert await page.get_by_role("heading", name=name).is_visible()


async def _contract(screen: Screen, customer: str, plan: str, start: str, end: str = "") -> str:
    """Create a contract through the form and its review → the review's schedule summary."""
    page = screen.page
    await screen.goto("/contracts/new")
    await page.get_by_label("Plan", exact=True).select_option(label=plan)
    await page.get_by_label("Customer", exact=True).select_option(label=customer)
    await page.get_by_label("Start date").fill(start)
    if end:
        await page.get_by_label("End date (optional)").fill(end)
    await _click(page, "Review")
    summary = await page.locator(".schedule-summary").inner_text()
    await screen.shot(f"review-{customer.split()[0].lower()}")
    await _click(page, "Create contract")
    assert "/contracts/" in page.url
    return summary


async def _usage(screen: Screen, customer: str, pricing: str, quantity: str, at: str) -> None:
    page = screen.page
    await screen.goto("/usage/new")
    await page.get_by_label("Customer (external id)").fill(customer)
    await page.get_by_label("Pricing", exact=True).select_option(pricing)  # by its code
    await page.get_by_label("Quantity").fill(quantity)
    await page.get_by_label("Time (UTC)").fill(at)
    await _click(page, "Add usage")
    assert "/usage" in page.url and "/usage/new" not in page.url


async def test_the_sms_guide(app: object, api: Api, worker: object, clock: FrozenClock, screen: Screen) -> None:
    clock.set(datetime(2026, 1, 1, 9, tzinfo=UTC))
    await add_user(app, "admin@example.com")
    await sign_in(screen, "admin@example.com")
    await _meter(screen, "SMS", "sms_sent", "SMS sent", "SUM", "quantity")
    await _product(screen, "Platform Fee", "350.00")
    await _product(screen, "SMS Notifications", "0.045", meter="SMS sent (SMS)", minimum="15.00")
    await _plan(screen, "Business", "business", ["Platform Fee", "SMS Notifications"])
    await _customer(screen, "Corp", "corp")
    assert await _contract(screen, "Corp (corp)", "Business (business)", "2026-01-01", "2026-05-01") == SMS_SCHEDULE

    clock.set(datetime(2026, 1, 31, 12, tzinfo=UTC))
    await sign_in(screen, "admin@example.com")  # the session idled out while the clock moved a month
    pricing = next(p for p in (await api.get("/v1/pricing")).json()["data"] if p["name"] == "SMS Notifications")
    await _usage(screen, "corp", pricing["code"], "400", "2026-01-20T10:00")
    clock.set(datetime(2026, 2, 1, 6, tzinfo=UTC))
    await worker.drain()  # type: ignore[attr-defined]
    await sign_in(screen, "admin@example.com")
    await screen.goto("/invoices?status=Sent")
    await screen.shot("sms-invoices")
    await screen.page.get_by_role("link", name="INV-00002").click()
    await screen.page.wait_for_load_state()
    assert await screen.page.locator(".invoice-total").inner_text() == "$368.00"
    assert await screen.page.get_by_text("400 units × $0.045/unit = $18.00").is_visible()
    await screen.shot("sms-invoice")


async def test_the_saas_guide(app: object, api: Api, worker: object, clock: FrozenClock, screen: Screen) -> None:
    clock.set(datetime(2026, 2, 25, 9, tzinfo=UTC))
    await add_user(app, "admin@example.com")
    await sign_in(screen, "admin@example.com")
    await _meter(screen, "API_CALL", "call_count", "API Calls", "COUNT")
    await _product(screen, "API Calls (Free)", "0.10", meter="API Calls (API_CALL)")
    await _product(screen, "Pro Platform Fee", "50.00")
    await _product(screen, "API Calls (Pro)", "0.08", meter="API Calls (API_CALL)")
    await _plan(screen, "Free", "free", ["API Calls (Free)"])
    await _plan(screen, "Pro", "pro", ["Pro Platform Fee", "API Calls (Pro)"])
    await _customer(screen, "Alice Apps", "alice")
    await _customer(screen, "Bob Builds", "bob")
    await _contract(screen, "Alice Apps (alice)", "Free (free)", "2026-03-01")
    await _contract(screen, "Bob Builds (bob)", "Pro (pro)", "2026-03-01")

    clock.set(datetime(2026, 3, 20, 9, tzinfo=UTC))
    await sign_in(screen, "admin@example.com")
    free = next(p for p in (await api.get("/v1/pricing")).json()["data"] if p["name"] == "API Calls (Free)")
    await _usage(screen, "alice", free["code"], "1", "2026-03-02T08:00")
    march = datetime(2026, 3, 1, 9, tzinfo=UTC)
    await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"a-{i}",
                        "timestamp": (march + timedelta(minutes=i)).isoformat()} for i in range(1233)]
                 + [{"eventName": "call_count", "externalCustomerId": "bob", "idempotencyKey": f"b-{i}",
                     "timestamp": (march + timedelta(seconds=i)).isoformat()} for i in range(5350)])
    await worker.drain()  # type: ignore[attr-defined]
    upcoming = {}
    for name, total in (("Alice Apps", "$123.40"), ("Bob Builds", "$478.00")):
        await screen.goto("/customers")
        await screen.page.get_by_role("link", name=name).click()
        await screen.page.wait_for_load_state()
        await screen.shot(f"saas-{name.split()[0].lower()}")
        await screen.page.locator(".upcoming a").click()
        await screen.page.wait_for_load_state()
        assert await screen.page.locator(".invoice-total").inner_text() == total, name
        upcoming[name] = screen.page.url.removeprefix(screen.base_url)
        await screen.shot(f"saas-{name.split()[0].lower()}-upcoming")
    await _usage(screen, "alice", free["code"], "1", "2026-03-20T08:00")
    await worker.drain()  # type: ignore[attr-defined]
    await screen.goto(upcoming["Alice Apps"])  # one more call by hand: 1,235 × $0.10
    assert await screen.page.locator(".invoice-total").inner_text() == "$123.50"

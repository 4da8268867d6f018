"""Every dashboard page in a real browser, as an admin and as a viewer, over the SMS guide's data: each
page loads without a console error and is saved as a screenshot (``artifacts/screenshots/``) to look at;
the viewer's pages have no button but the mode switch and sign out."""

from __future__ import annotations

from typing import Any

from monk.kit.clock import FrozenClock
from tests.browser.conftest import Screen
from tests.browser.test_sign_in import sign_in
from tests.conftest import Api
from tests.dashboard.browser import add_user
from tests.dashboard.test_invoices import _sms


async def _seeded(api: Api, worker: object, clock: FrozenClock) -> dict[str, Any]:
    """The SMS guide billed through February, an unmatched event, and the ids every page needs."""
    contract, invoices = await _sms(api, worker, clock)
    await api.post("/v1/events", {"eventName": "sms_sent", "externalCustomerId": "nobody",
                                  "idempotencyKey": "stray", "timestamp": "2026-02-01T05:00:00Z",
                                  "properties": {"quantity": 3}})
    await worker.drain()  # type: ignore[attr-defined]
    feb = next(i for i in invoices if i["invoiceDate"] == "2026-02-01")
    pricing = (await api.get("/v1/pricing")).json()["data"]
    meters = (await api.get("/v1/meters")).json()["data"]
    return {"contract": contract["id"], "customer": contract["customerId"], "plan": contract["planId"],
            "invoice": feb["id"], "pricing": pricing[0]["id"], "meter": meters[0]["id"]}


def pages(ids: dict[str, Any]) -> list[tuple[str, str]]:
    """``(screenshot name, path)`` of every page of the dashboard."""
    return [
        ("overview", "/"),
        ("customers", "/customers"), ("customers-search", "/customers?q=corp"), ("customer-new", "/customers/new"),
        ("customer", f"/customers/{ids['customer']}"),
        ("invoices", "/invoices"), ("invoices-overdue", "/invoices?overdue=1"),
        ("invoice", f"/invoices/{ids['invoice']}"),
        ("contracts", "/contracts"), ("contract-new", f"/contracts/new?customer={ids['customer']}"),
        ("contract", f"/contracts/{ids['contract']}"), ("credits", "/credits"),
        ("wallet", f"/contracts/{ids['contract']}/credits"), ("grant", f"/contracts/{ids['contract']}/credits/grant"),
        ("budget-new", f"/contracts/{ids['contract']}/credits/budgets/new"),
        ("usage", "/usage"), ("usage-unmatched", "/usage?tab=unmatched"), ("usage-new", "/usage/new"),
        ("usage-chart", f"/usage/chart?meter={ids['meter']}&to=2026-02-01"),
        ("products", "/products"), ("product-new", "/products/new"), ("product", f"/products/{ids['pricing']}"),
        ("meters", "/meters"), ("meter-new", "/meters/new"), ("meter", f"/meters/{ids['meter']}"),
        ("plans", "/plans"), ("plan-new", "/plans/new"), ("plan", f"/plans/{ids['plan']}"),
        ("settings-keys", "/settings/keys"), ("settings-webhooks", "/settings/webhooks"),
        ("settings-deliveries", "/settings/webhooks/deliveries"), ("settings-stripe", "/settings/stripe"),
        ("settings-users", "/settings/users"),
    ]


async def test_every_page_as_an_admin(app: object, api: Api, worker: object, clock: FrozenClock,
                                      screen: Screen) -> None:
    ids = await _seeded(api, worker, clock)
    await add_user(app, "admin@example.com")
    await sign_in(screen, "admin@example.com")
    for name, path in pages(ids):
        await screen.goto(path)
        await screen.shot(name)
    await screen.goto(f"/invoices/{ids['invoice']}")
    mark = screen.page.get_by_role("img", name="Usage-based: Metered quantity that updates as new usage is recorded")
    assert await mark.count() == 1


async def test_every_page_as_a_viewer_has_no_action_button(app: object, api: Api, worker: object,
                                                           clock: FrozenClock, screen: Screen) -> None:
    ids = await _seeded(api, worker, clock)
    await add_user(app, "viewer@example.com", role="viewer")
    await sign_in(screen, "viewer@example.com")
    allowed = {"Switch to test mode", "Switch to live mode", "Sign out", "Search", "Filter", "Show"}  # GET forms
    for name, path in pages(ids):
        await screen.goto(path)
        labels = [(await b.inner_text()).strip() for b in await screen.page.get_by_role("button").all()]
        assert set(labels) <= allowed, (path, labels)
        if name in ("overview", "invoice", "customer", "contract", "wallet", "usage", "meter"):
            await screen.shot(f"viewer-{name}")

"""The invoices pages through HTTP against the real app on both databases: the list by status and overdue,
an invoice's page (metered mark and tooltip, service periods, amounts to the cent), mark paid and its
refusals, approve, viewer and CSRF refusals, other organizations' ids and test mode."""

from __future__ import annotations

from datetime import UTC, datetime

from monk.dashboard.pages.invoices import METERED
from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.dashboard.browser import Browser
from tests.e2e import scenario as s


async def _sms(api: Api, worker: object, clock: FrozenClock, *browsers: Browser) -> tuple[dict, list[dict]]:
    """The SMS guide: $350/month in advance + $0.045 per SMS in arrears, January to May; 400 SMS in
    January; the worker run on 2026-02-01 finalizes January's and February's invoices."""
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    sms = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    fee = await s.flat_price(api, "Platform Fee", "350.00")
    per_sms = await s.usage_price(api, "SMS Notifications", sms["id"], "0.045", minimumAmount="15.00")
    plan = await s.plan(api, "business", [fee["id"], per_sms["id"]], netTerms=30)
    cust = await s.customer(api, "Corp", "corp")
    contract = await s.contract(api, cust["id"], plan["id"], "2026-01-01", "2026-05-01")
    clock.set(datetime(2026, 1, 31, tzinfo=UTC))
    await s.send(api, [{"eventName": "sms_sent", "externalCustomerId": "corp", "idempotencyKey": f"jan-{i}",
                        "timestamp": f"2026-01-{10 + i}T08:00:00Z", "properties": {"quantity": 100}}
                       for i in range(4)])
    clock.set(datetime(2026, 2, 1, 6, tzinfo=UTC))
    await worker.drain()  # type: ignore[attr-defined]
    for browser in browsers:
        await browser.relogin()
    return contract, await s.invoices(api, contract["id"])


async def test_an_invoice_shows_metered_lines_service_periods_and_amounts_to_the_cent(
        api: Api, admin: Browser, worker: object, clock: FrozenClock) -> None:
    contract, invs = await _sms(api, worker, clock, admin)
    feb = next(i for i in invs if i["invoiceDate"] == "2026-02-01")
    assert feb["totalCents"] == 36800, feb
    page = (await admin.get(f"/invoices/{feb['id']}")).text
    assert f'<span class="metered" title="{METERED}"' in page
    assert METERED == "Usage-based: Metered quantity that updates as new usage is recorded"
    assert "SMS Notifications" in page and "400 units × $0.045/unit = $18.00" in page
    assert "2026-01-01 – 2026-01-31" in page and "2026-02-01 – 2026-02-28" in page
    assert '<td class="num">$350.00</td>' in page and '<td class="num">$18.00</td>' in page
    assert '<strong class="invoice-total">$368.00</strong>' in page
    assert "Corp" in page and "2026-03-03" in page  # net 30 due date


async def test_the_list_filters_by_status_contract_and_overdue_and_paginates(
        api: Api, admin: Browser, worker: object, clock: FrozenClock) -> None:
    contract, invs = await _sms(api, worker, clock, admin)
    every = (await admin.get("/invoices")).text
    assert "1–5 of 5" in every and every.index("2026-05-01") < every.index("2026-01-01")  # latest first
    sent = [i for i in invs if i["status"] == "Sent"]
    assert sent, invs
    page = (await admin.get("/invoices", status="Sent")).text
    assert f"1–{len(sent)} of {len(sent)}" in page and "$368.00" in page
    assert "1–5 of 5" in (await admin.get("/invoices", contract=contract["id"])).text
    assert "0–0 of 0" in (await admin.get("/invoices", contract="nope")).text
    assert "1–2 of 5" in (await admin.get("/invoices", limit=2)).text
    january = (await admin.get("/invoices", overdue="1")).text  # due 2026-01-31
    assert "1–1 of 1" in january and "$350.00" in january and "Overdue" in january
    clock.set(datetime(2026, 3, 10, tzinfo=UTC))  # February's invoice was due 2026-03-03
    await admin.relogin()
    overdue = (await admin.get("/invoices", overdue="1")).text
    assert "1–2 of 2" in overdue and "$368.00" in overdue
    assert (await admin.get("/invoices", status="Bogus")).status_code == 400


async def test_mark_paid_moves_a_sent_invoice_and_refuses_a_draft_with_the_message(
        api: Api, admin: Browser, viewer: Browser, worker: object, clock: FrozenClock) -> None:
    _, invs = await _sms(api, worker, clock, admin, viewer)
    feb = next(i for i in invs if i["invoiceDate"] == "2026-02-01")
    may = next(i for i in invs if i["invoiceDate"] == "2026-05-01")
    page = (await admin.get(f"/invoices/{feb['id']}")).text
    assert "Mark paid" in page and "Approve" not in page
    seen = (await viewer.get(f"/invoices/{feb['id']}")).text
    assert "$368.00" in seen and "Mark paid" not in seen and "<button" not in seen.split("<main")[1].split(
        "Sign out")[-1]
    assert (await viewer.submit(f"/invoices/{feb['id']}/mark-paid")).status_code == 403
    assert (await admin.submit(f"/invoices/{feb['id']}/mark-paid", csrf="")).status_code == 403
    assert (await api.get(f"/v1/invoices/{feb['id']}")).json()["data"]["status"] == "Sent"
    refused = await admin.submit(f"/invoices/{may['id']}/mark-paid")
    assert refused.status_code == 409 and 'role="alert"' in refused.text
    assert (await api.get(f"/v1/invoices/{may['id']}")).json()["data"]["status"] == "Drafted"
    assert (await admin.submit(f"/invoices/{feb['id']}/approve")).status_code == 409
    done = await admin.submit(f"/invoices/{feb['id']}/mark-paid")
    assert done.status_code == 303 and done.headers["location"] == f"/invoices/{feb['id']}"
    assert (await api.get(f"/v1/invoices/{feb['id']}")).json()["data"]["status"] == "Paid"
    paid = (await admin.get(f"/invoices/{feb['id']}")).text
    assert "Refund" in paid and '<td class="num amount-due"><strong>$0.00</strong>' in paid


async def test_other_organizations_invoices_are_404_and_test_mode_shows_test_invoices(
        api: Api, admin: Browser, worker: object, clock: FrozenClock) -> None:
    _, invs = await _sms(api, worker, clock, admin)
    await admin.mode("test")
    assert "0–0 of 0" in (await admin.get("/invoices")).text
    assert (await admin.get(f"/invoices/{invs[0]['id']}")).status_code == 404
    assert (await admin.submit(f"/invoices/{invs[1]['id']}/mark-paid")).status_code == 404
    assert (await admin.get(f"/invoices/{invs[0]['id']}/credit-statement.pdf")).status_code == 404

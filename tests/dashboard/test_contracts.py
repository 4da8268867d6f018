"""The contracts pages through HTTP against the real app on both databases: the list with its filters and
pagination, the two-step create flow (the review's invoice schedule of the SMS guide, nothing written
before the confirmation; errors next to the fields), a contract's page and its forms (cancel, change plan,
metadata, auto-pay), viewer and CSRF refusals, other organizations' ids and test mode."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.dashboard.browser import Browser
from tests.e2e import scenario as s

SMS_SCHEDULE = "INV-1 $350.00; INV-2 to INV-4 $350.00 + based on usage; INV-5 based on usage"


async def _sms(api: Api, key: str | None = None) -> dict[str, Any]:
    """The SMS guide's catalogue: $350/month platform fee in advance + SMS $0.045/unit, $15 minimum, in
    arrears; customer ``corp``."""
    sms = await s.created(await api.post("/v1/meters", {
        "code": "SMS", "displayName": "SMS", "aggregationType": "SUM", "aggregationKey": "quantity",
        "eventTypeFilter": {"include": ["sms_sent"]}}, key=key))
    fee = await s.created(await api.post("/v1/pricing", {
        "productName": "Platform Fee", "name": "Platform Fee", "model": "FLAT", "billingMode": "RECURRING",
        "priceInterval": "MONTH", "priceIntervalCount": 1, "unitAmount": "350.00"}, key=key))
    per_sms = await s.created(await api.post("/v1/pricing", {
        "productName": "SMS", "name": "SMS Notifications", "model": "USAGE", "billingMode": "RECURRING",
        "priceInterval": "MONTH", "unitAmount": "0.045", "minimumAmount": "15.00", "meterId": sms["id"]}, key=key))
    plan = await s.created(await api.post("/v1/plans", {
        "name": "Business", "planCode": "business", "billingFrequency": "MONTHLY",
        "pricingIds": [fee["id"], per_sms["id"]]}, key=key))
    cust = await s.created(await api.post("/v1/customers", {
        "name": "Corp", "externalCustomerId": "corp",
        "contacts": [{"email": "billing@corp.example", "roles": ["billing"]}]}, key=key))
    return {"plan": plan["id"], "customer": cust["id"], "fee": fee["id"], "sms": per_sms["id"]}


def _hidden(html: str, opening: str = 'method="post" action="/contracts/new"') -> list[tuple[str, str]]:
    """The hidden fields of the first form whose tag holds ``opening`` (the CSRF token left out)."""
    form = html.split(opening, 1)[1].split("</form>", 1)[0]
    return [(k, v) for k, v in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form) if k != "csrf"]


async def _count(api: Api, key: str | None = None) -> int:
    return int((await api.get("/v1/contracts", key=key)).json()["total"])


async def test_the_sms_guide_reviewed_then_created_and_billed(
        api: Api, admin: Browser, worker: object, clock: FrozenClock) -> None:
    ids = await _sms(api)
    form = (await admin.get("/contracts/new", customer=ids["customer"])).text
    assert f'<option value="{ids["customer"]}" selected>Corp (corp)</option>' in form
    assert '<span class="badge badge-metered">Metered</span>' in form and "In arrears (usage)" in form
    assert "$0.045/unit (minimum $15.00)" in form and "$350.00" in form
    assert f'<label for="f-override_{ids["sms"]}">' in form
    fields = {"customer": ids["customer"], "plan": ids["plan"], "start_date": "2026-01-01", "end_date": "2026-05-01"}
    review = await admin.submit("/contracts/new/review", fields)
    assert review.status_code == 200, review.text
    assert f'<p class="schedule-summary">{SMS_SCHEDULE}</p>' in review.text
    for n, day in enumerate(["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"], 1):
        assert f"<td>INV-{n}</td><td>{day}</td><td>{day}</td>" in review.text  # due on receipt
    assert "<td>2026-02-01 – 2026-02-28</td><td>2026-01-01 – 2026-01-31</td>" in review.text
    assert await _count(api) == 0  # the review wrote nothing
    assert (await api.get("/v1/invoices")).json()["total"] == 0
    carried = _hidden(review.text)
    assert ("start_date", "2026-01-01") in carried and ("end_date", "2026-05-01") in carried
    again = dict(_hidden(review.text, 'method="get" action="/contracts/new"'))
    edit = (await admin.get("/contracts/new", **again)).text  # "Edit" fills the form in again
    assert 'value="2026-05-01"' in edit and f'<option value="{ids["plan"]}" selected>' in edit
    made = await admin.submit("/contracts/new", carried)
    assert made.status_code == 303, made.text
    contract = (await api.get("/v1/contracts")).json()["data"][0]
    drafts = await s.invoices(api, contract["id"])  # the engine's calendar is the one reviewed
    assert [(i["invoiceDate"], i["totalCents"]) for i in drafts] == [
        ("2026-01-01", 35000), ("2026-02-01", 36500), ("2026-03-01", 36500), ("2026-04-01", 36500),
        ("2026-05-01", 1500)]  # usage not yet measured: the $15 minimum
    assert made.headers["location"] == f"/contracts/{contract['id']}"
    assert (contract["startDate"], contract["endDate"], contract["planId"]) == ("2026-01-01", "2026-05-01", ids["plan"])
    page = (await admin.get(made.headers["location"])).text
    assert f'<a href="/customers/{ids["customer"]}">Corp</a>' in page and "Business" in page
    assert f'href="/invoices?contract={contract["id"]}"' in page
    assert f'href="/contracts/{contract["id"]}/credits"' in page
    clock.set(datetime(2026, 2, 10, 9, tzinfo=UTC))
    await s.send(api, [{"eventName": "sms_sent", "externalCustomerId": "corp", "idempotencyKey": "feb",
                        "timestamp": "2026-02-10T08:00:00Z", "properties": {"quantity": 400}}])
    clock.set(datetime(2026, 3, 1, 6, tzinfo=UTC))
    await worker.drain()  # type: ignore[attr-defined]
    march = next(i for i in await s.invoices(api, contract["id"]) if i["invoiceDate"] == "2026-03-01")
    assert march["totalCents"] == 36800, march  # 350.00 + 400 × 0.045 = 18.00


async def test_open_ended_terms_overrides_and_credits(api: Api, admin: Browser) -> None:
    ids = await _sms(api)
    fields = {"customer_ref": "corp", "plan": ids["plan"], "start_date": "2026-01-01", "credit_grant": "123.45",
              "net_terms": "15", f"override_{ids['sms']}": "0.04", f"override_{ids['fee']}": ""}
    review = await admin.submit("/contracts/new/review", fields)
    assert review.status_code == 200, review.text
    assert ('<p class="schedule-summary">INV-1 $350.00; INV-2 to INV-4 $350.00 + based on usage; … every month</p>'
            in review.text)
    assert "<del>$0.045</del> $0.04 (override)" in review.text
    assert "$123.45" in review.text and "15 days" in review.text
    assert "<td>INV-2</td><td>2026-02-01</td><td>2026-02-16</td>" in review.text  # net 15
    made = await admin.submit("/contracts/new", _hidden(review.text))
    assert made.status_code == 303
    c = (await api.get("/v1/contracts")).json()["data"][0]
    assert c["endDate"] is None and c["creditGrantCents"] == 12345 and c["netTerms"] == 15
    assert c["overrides"] == [{"basePricingId": ids["sms"], "unitAmount": "0.04"}]
    page = (await admin.get(f"/contracts/{c['id']}")).text
    assert "SMS Notifications" in page and "$0.04/unit" in page and "Open-ended" in page and "$123.45" in page


async def test_the_terms_follow_the_chosen_plan(api: Api, admin: Browser) -> None:
    ids = await _sms(api)
    fee = await s.flat_price(api, "Setup", "99.00")
    other = await s.plan(api, "setup-only", [fee["id"]])
    form = (await admin.get("/contracts/new")).text
    assert 'hx-get="/contracts/new/terms"' in form and 'hx-target="#terms"' in form
    terms = (await admin.get("/contracts/new/terms", plan=other["id"])).text
    assert terms.startswith('\n<fieldset id="terms">') or terms.lstrip().startswith('<fieldset id="terms">')
    assert "Setup" in terms and "$99.00" in terms and "Metered" not in terms and "<html" not in terms
    assert f'name="override_{fee["id"]}"' in terms and ids["sms"] not in terms


async def test_bad_input_at_either_step_shows_next_to_the_field_and_writes_nothing(api: Api, admin: Browser) -> None:
    ids = await _sms(api)
    bad = {"customer": ids["customer"], "plan": ids["plan"], "start_date": "2026-03-01", "end_date": "2026-02-01",
           "credit_grant": "12.345", "net_terms": "x", f"override_{ids['sms']}": "abc"}
    for step in ("/contracts/new/review", "/contracts/new"):
        resp = await admin.submit(step, bad)
        assert resp.status_code == 400, resp.text
        for name in ("credit_grant", "net_terms", f"override_{ids['sms']}"):
            assert f'id="e-{name}"' in resp.text, name
        assert 'value="12.345"' in resp.text and 'value="abc"' in resp.text
    dates = await admin.submit("/contracts/new/review", {**bad, "credit_grant": "", "net_terms": "",
                                                         f"override_{ids['sms']}": ""})
    assert dates.status_code == 400
    assert '<p class="error" id="e-end_date">endDate must be after startDate</p>' in dates.text
    unknown = await admin.submit("/contracts/new/review", {"customer_ref": "nobody", "plan": ids["plan"],
                                                           "start_date": "2026-01-01"})
    assert unknown.status_code == 400 and 'id="e-customer"' in unknown.text and 'value="nobody"' in unknown.text
    far = await admin.submit("/contracts/new", {"customer": ids["customer"], "plan": ids["plan"],
                                                "start_date": "2020-01-01"})
    assert far.status_code == 400 and "startDate may be at most 2 years in the past" in far.text
    assert 'id="e-start_date"' in far.text
    assert await _count(api) == 0 and (await api.get("/v1/invoices")).json()["total"] == 0


async def test_the_list_filters_and_paginates_on_the_server(api: Api, admin: Browser) -> None:
    ids = await _sms(api)
    other = await s.customer(api, "Globex", "globex")
    for start in ("2026-01-01", "2026-02-01"):
        await s.contract(api, ids["customer"], ids["plan"], start, "2026-03-01")
    ended = await s.contract(api, other["id"], ids["plan"], "2025-12-01", "2026-01-01")
    first = (await admin.get("/contracts", limit=2)).text
    assert "1–2 of 3" in first and 'rel="next"' in first and '<a href="/customers/' in first
    assert "<td>2026-01-01</td>" in first and "Business" in first
    last = (await admin.get("/contracts", limit=2, offset=2)).text
    assert "3–3 of 3" in last and "Globex" in last and "Ended" in last and 'rel="prev"' in last
    assert "1–2 of 2" in (await admin.get("/contracts", customer="corp")).text
    by_id = (await admin.get("/contracts", customer=other["id"])).text
    assert "1–1 of 1" in by_id and ended["id"] in by_id
    first_id = (await api.get("/v1/contracts")).json()["data"][0]["id"]
    assert (await api.post(f"/v1/contracts/{first_id}/cancel", {"cancelAt": "immediate"})).status_code == 200
    inactive = (await admin.get("/contracts", status="inactive")).text
    assert "1–1 of 1" in inactive and "Cancelled" in inactive
    assert "1–2 of 2" in (await admin.get("/contracts", status="active")).text
    assert "No contract matches." in (await admin.get("/contracts", customer="nobody")).text
    assert (await admin.get("/contracts", limit=500)).status_code == 400


async def test_the_contract_forms_change_it_through_the_api_services(api: Api, admin: Browser) -> None:
    ids = await _sms(api)
    c = await s.contract(api, ids["customer"], ids["plan"], "2026-01-01")
    url = f"/contracts/{c['id']}"
    assert "Turn auto-pay on" in (await admin.get(url)).text
    meta = await admin.submit(f"{url}/metadata", [("meta_key", "crm"), ("meta_value", "A-1"),
                                                  ("meta_key", ""), ("meta_value", "")])
    assert meta.status_code == 303
    assert (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]["metadata"] == {"crm": "A-1"}
    long_key = await admin.submit(f"{url}/metadata", [("meta_key", "k" * 41), ("meta_value", "v")])
    assert long_key.status_code == 400 and 'id="e-metadata"' in long_key.text and 'value="kkkk' in long_key.text
    no_stripe = await admin.submit(f"{url}/auto-pay", {"auto_pay": "on"})
    assert no_stripe.status_code == 400 and 'id="e-auto_pay"' in no_stripe.text
    assert "Stripe connection" in no_stripe.text
    fee = await s.flat_price(api, "Pro Fee", "500.00")
    pro = await s.plan(api, "pro", [fee["id"]])
    same = await admin.submit(f"{url}/change-plan", {"plan": ids["plan"], "change_option": "immediate",
                                                    "prorate": "on"})
    assert same.status_code == 400 and 'id="e-plan"' in same.text
    no_date = await admin.submit(f"{url}/change-plan", {"plan": pro["id"], "change_option": "requested_date"})
    assert no_date.status_code == 400 and "changeDate is required" in no_date.text
    changed = await admin.submit(f"{url}/change-plan", {"plan": pro["id"], "change_option": "immediate",
                                                       "prorate": "on"})
    assert changed.status_code == 303
    data = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert data["planId"] == pro["id"] and len(data["phases"]) == 2
    page = (await admin.get(url)).text
    assert "Pro" in page and "immediate" in page
    assert (await admin.submit(f"{url}/cancel", {"cancel_at": "end_of_period"})).status_code == 303
    data = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert data["isActive"] is False and data["endDate"] == "2026-02-01"
    page = (await admin.get(url)).text
    assert "Cancelled" in page and "Cancel contract" not in page and "Change plan</button>" not in page
    again = await admin.submit(f"{url}/cancel", {"cancel_at": "immediate"})
    assert again.status_code == 409 and "already cancelled" in again.text


async def test_viewer_csrf_other_organizations_and_test_mode(api: Api, admin: Browser, viewer: Browser) -> None:
    ids = await _sms(api)
    c = await s.contract(api, ids["customer"], ids["plan"], "2026-01-01")
    url = f"/contracts/{c['id']}"
    page = (await viewer.get(url)).text
    assert "Corp" in page and "<form" not in page.split("<main", 1)[1]
    assert "Cancel contract" not in page and "Save metadata" not in page and "Turn auto-pay" not in page
    assert "New contract" not in (await viewer.get("/contracts")).text
    assert "Review</button>" not in (await viewer.get("/contracts/new")).text
    create = {"customer": ids["customer"], "plan": ids["plan"], "start_date": "2026-01-01"}
    posts = [("/contracts/new/review", create), ("/contracts/new", create),
             (f"{url}/cancel", {"cancel_at": "immediate"}), (f"{url}/auto-pay", {"auto_pay": "off"}),
             (f"{url}/metadata", {"meta_key": "x", "meta_value": "y"}),
             (f"{url}/change-plan", {"plan": ids["plan"], "change_option": "immediate"})]
    for path, data in posts:
        assert (await viewer.submit(path, data)).status_code == 403, path
        for token in ("", "forged"):
            assert (await admin.submit(path, data, csrf=token)).status_code == 403, path
    after = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert after["isActive"] is True and after["metadata"] == {} and await _count(api) == 1
    other = await api.new_key(["*"], org="Other")
    theirs = await _sms(api, key=other)
    their_contract = await s.created(await api.post("/v1/contracts", {
        "customerId": theirs["customer"], "planId": theirs["plan"], "startDate": "2026-01-01"}, key=other))
    their_url = f"/contracts/{their_contract['id']}"
    assert (await admin.get(their_url)).status_code == 404
    assert (await admin.submit(f"{their_url}/cancel", {"cancel_at": "immediate"})).status_code == 404
    assert (await admin.submit(f"{their_url}/metadata", {"meta_key": "x", "meta_value": "y"})).status_code == 404
    assert (await admin.get("/contracts/new", customer=theirs["customer"])).status_code == 404
    taken = await admin.submit("/contracts/new/review", {"customer": theirs["customer"], "plan": theirs["plan"],
                                                         "start_date": "2026-01-01"})
    assert taken.status_code == 400 and 'id="e-customer"' in taken.text
    assert (await api.get(f"/v1/contracts/{their_contract['id']}", key=other)).json()["data"]["isActive"] is True
    test_key = await api.new_key(["*"], mode="test")
    sandbox = await _sms(api, key=test_key)
    await s.created(await api.post("/v1/contracts", {"customerId": sandbox["customer"], "planId": sandbox["plan"],
                                                     "startDate": "2026-01-01"}, key=test_key))
    assert "1–1 of 1" in (await admin.get("/contracts")).text
    await admin.mode("test")
    listing = (await admin.get("/contracts")).text
    assert "1–1 of 1" in listing and c["id"] not in listing
    assert (await admin.get(url)).status_code == 404

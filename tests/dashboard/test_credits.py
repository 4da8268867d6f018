"""The credits pages through HTTP against the real app on both databases: the wallets list, a contract's
wallet (balance, blocks in draw-down order, ledger pages, budgets with consumption bars), the grant form
with its server-side review (the first-credit guide's amounts), the budget forms, errors next to the
field with nothing written, viewer and CSRF refusals, other organizations' ids and test mode."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.dashboard.browser import Browser
from tests.e2e import scenario as s


async def _contract(api: Api, clock: FrozenClock, *, key: str | None = None, name: str = "Alice Apps",
                    ext: str = "alice", **terms: Any) -> str:
    """A customer on a $1.00-per-call plan from 2026-01-01 to 2026-06-01 (made with ``key``; the clock
    stays at 2026-01-15 12:00 UTC, inside the first period)."""
    assert clock.now() == datetime(2026, 1, 15, 12, tzinfo=UTC)

    async def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await api.post(path, body, key=key)
        assert r.status_code == 201, r.text
        return dict(r.json()["data"])

    meter = await made("/v1/meters", {"code": f"API_CALL_{ext}".upper(), "displayName": "Api Call",
                                      "aggregationType": "COUNT", "eventTypeFilter": {"include": ["call_count"]}})
    price = await made("/v1/pricing", {"productName": "API Calls", "name": "API Calls", "model": "USAGE",
                                       "billingMode": "RECURRING", "priceInterval": "MONTH", "unitAmount": "1.00",
                                       "meterId": meter["id"]})
    plan = await made("/v1/plans", {"name": "Payg", "planCode": f"payg-{ext}", "billingFrequency": "MONTHLY",
                                    "pricingIds": [price["id"]]})
    customer = await made("/v1/customers", {"name": name, "externalCustomerId": ext,
                                            "contacts": [{"email": f"billing@{ext}.example", "roles": ["billing"]}]})
    contract = await made("/v1/contracts", {"customerId": customer["id"], "planId": plan["id"],
                                            "startDate": "2026-01-01", "endDate": "2026-06-01", **terms})
    return str(contract["id"])


async def _promo(api: Api, contract_id: str, cents: int, *, key: str | None = None,
                 expires: str = "2026-12-31T00:00:00Z") -> None:
    r = await api.post(f"/v1/contracts/{contract_id}/credits/promotional/grant",
                       {"amountCents": cents, "expiresAt": expires}, key=key)
    assert r.status_code == 201, r.text


async def _wallet(api: Api, contract_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/contracts/{contract_id}/credits/balance")
    assert r.status_code == 200, r.text
    return dict(r.json()["data"])


async def _budgets(api: Api, contract_id: str) -> list[dict[str, Any]]:
    return list((await api.get(f"/v1/contracts/{contract_id}/budgets")).json()["data"]["budgets"])


FIRST_CREDIT = {"kind": "paid", "unit": "credits", "credits": "1000", "rate": "0.50", "bonus": "200",
                "expires": "2027-02-27", "description": "First credits"}


async def test_the_first_credit_guide_review_then_grant(api: Api, admin: Browser, clock: FrozenClock) -> None:
    cid = await _contract(api, clock)
    form = await admin.get(f"/contracts/{cid}/credits/grant")
    assert form.status_code == 200
    for label in ('for="f-kind"', 'for="f-credits">Number of credits', 'for="f-rate">Dollars per credit',
                  'for="f-bonus"', 'for="f-expires">Expiry date'):
        assert label in form.text
    review = await admin.submit(f"/contracts/{cid}/credits/grant", FIRST_CREDIT)
    assert review.status_code == 200, review.text
    assert "1000 credits × $0.50 = $500.00" in review.text
    assert "200 credits × $0.50 = +$100.00 free" in review.text
    assert "2027-02-27" in review.text and 'name="confirm"' in review.text
    assert '<dd class="grant-priority">bonus 1, paid credits 2 of 2 active blocks' in review.text
    assert (await _wallet(api, cid))["blocks"] == []  # the review writes nothing

    done = await admin.submit(f"/contracts/{cid}/credits/grant", {**FIRST_CREDIT, "confirm": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"/contracts/{cid}/credits"
    wallet = await _wallet(api, cid)
    assert wallet["balance"]["balanceCents"] == 60000 and wallet["balance"]["blockCount"] == 2
    assert sorted((b["originalCents"], b["isPromotional"]) for b in wallet["blocks"]) == [(10000, True),
                                                                                           (50000, False)]
    entries = (await api.get(f"/v1/contracts/{cid}/credits/ledger")).json()["data"]["entries"]
    [paid] = [e for e in entries if not e["isPromotional"]]
    billed = (await api.get(f"/v1/invoices/{paid['invoiceId']}")).json()["data"]
    assert billed["contractId"] == cid and billed["subtotalCents"] >= 50000  # the purchase is invoiced
    page = (await admin.get(f"/contracts/{cid}/credits")).text
    assert '<dd class="wallet-balance">$600.00</dd>' in page
    blocks = page.split('<table class="blocks">')[1].split("</table>")[0]
    # Same expiry: the promotional bonus is drawn first (priority 1), then the paid block.
    assert blocks.index("Bonus credits") < blocks.index("First credits")
    assert "$100.00" in blocks and "$500.00" in blocks and "Promotional" in blocks and "Paid" in blocks
    assert "2027-02-27" in blocks
    ledger = page.split('<table class="ledger">')[1]
    assert "$500.00" in ledger and "$100.00" in ledger and "1–2 of 2" in ledger

    listing = (await admin.get("/credits")).text
    assert "Alice Apps" in listing and '<td class="num balance">$600.00</td>' in listing
    assert '<td class="num blocks">2</td>' in listing and f'href="/contracts/{cid}/credits"' in listing


async def test_a_credit_wallet_counts_credits(api: Api, admin: Browser, clock: FrozenClock) -> None:
    cid = await _contract(api, clock, creditSettings={"walletMode": "credits", "creditRateCents": 50})
    url = f"/contracts/{cid}/credits/grant"
    form = (await admin.get(url)).text
    assert 'id="f-rate" name="rate" type="text" value="0.50"' in form
    wrong = await admin.submit(url, {**FIRST_CREDIT, "rate": "0.40", "confirm": "1"})
    assert wrong.status_code == 400 and 'id="e-rate"' in wrong.text and "worth $0.50 each" in wrong.text
    review = await admin.submit(url, FIRST_CREDIT)
    assert "1000 credits × $0.50 = $500.00" in review.text and "200 credits × $0.50 = +$100.00 free" in review.text
    assert (await admin.submit(url, {**FIRST_CREDIT, "confirm": "1"})).status_code == 303
    balance = (await _wallet(api, cid))["balance"]
    assert (balance["balanceCents"], balance["creditBalance"]) == (60000, 1200.0)
    page = (await admin.get(f"/contracts/{cid}/credits")).text
    assert "1200 credits at $0.50 each" in page and "1000 credits" in page and "200 credits" in page
    budget = f"/contracts/{cid}/credits/budgets/new"
    form = (await admin.get(budget)).text
    assert 'for="f-cap">Cap in credits' in form
    meter = re.search(r'<option value="([0-9a-f-]{36})">API_CALL_\w+ — Api Call</option>', form)
    assert meter and '<option value="" selected>Any meter</option>' in form  # the meter is chosen by name
    made = await admin.submit(budget, {"label": "Dove", "key": "business_unit", "value": "dove", "cap": "150.5",
                                       "meter_id": meter.group(1)})
    assert made.status_code == 303
    assert [(b["maxCredits"], b["maxCreditsCents"], b["meterId"]) for b in await _budgets(api, cid)] == [
        (150.5, None, meter.group(1))]
    row = (await admin.get(f"/contracts/{cid}/credits")).text.split('<table class="budgets">')[1]
    assert "0 credits of 150.5 credits (0.00%)" in row


async def test_a_promotional_grant_in_dollars(api: Api, admin: Browser, clock: FrozenClock) -> None:
    cid = await _contract(api, clock)
    body = {"kind": "promotional", "unit": "dollars", "amount": "$1,234.56", "expires": "2026-12-31"}
    await _promo(api, cid, 100, expires="2026-06-30T00:00:00Z")
    review = await admin.submit(f"/contracts/{cid}/credits/grant", body)
    assert review.status_code == 200 and "$1,234.56" in review.text
    assert '<dd class="grant-priority">these credits 2 of 2 active blocks' in review.text  # expires later
    assert (await admin.submit(f"/contracts/{cid}/credits/grant", {**body, "confirm": "1"})).status_code == 303
    [_, block] = (await _wallet(api, cid))["blocks"]
    assert (block["originalCents"], block["isPromotional"], block["expiresAt"]) == (
        123456, True, "2026-12-31T00:00:00.000Z")
    assert "$1,234.56" in (await admin.get(f"/contracts/{cid}/credits")).text


async def test_bad_grant_input_shows_next_to_the_field_and_writes_nothing(api: Api, admin: Browser,
                                                                          clock: FrozenClock) -> None:
    cid = await _contract(api, clock)
    url = f"/contracts/{cid}/credits/grant"
    cases = [
        ({"kind": "paid", "unit": "dollars", "amount": "lots"}, "amount"),
        ({"kind": "paid", "unit": "dollars", "amount": "10.005"}, "amount"),
        ({"kind": "paid", "unit": "credits", "credits": "1000", "rate": ""}, "rate"),
        ({"kind": "paid", "unit": "credits", "credits": "-5", "rate": "0.50"}, "credits"),
        ({"kind": "paid", "unit": "credits", "credits": "3", "rate": "0.333"}, "rate"),
        ({"kind": "paid", "unit": "credits", "credits": "1.5", "rate": "0.01"}, "credits"),
        ({"kind": "promotional", "unit": "dollars", "amount": "50"}, "expires"),
        ({"kind": "promotional", "unit": "dollars", "amount": "50", "expires": "2026-01-15"}, "expires"),
        ({"kind": "promotional", "unit": "dollars", "amount": "50", "expires": "2027-01-01", "bonus": "5"}, "bonus"),
        ({"kind": "gift", "unit": "dollars", "amount": "50"}, "kind"),
    ]
    for body, field in cases:
        for confirm in ({}, {"confirm": "1"}):
            bad = await admin.submit(url, {**body, **confirm})
            assert bad.status_code == 400, (body, bad.text)
            assert f'id="e-{field}"' in bad.text, (body, field)
    kept = await admin.submit(url, {"kind": "paid", "unit": "dollars", "amount": "lots", "description": "Keep me"})
    assert 'value="lots"' in kept.text and 'value="Keep me"' in kept.text
    assert (await _wallet(api, cid))["blocks"] == []
    assert (await api.get(f"/v1/contracts/{cid}/credits/ledger")).json()["data"]["totalCount"] == 0


async def test_ledger_and_list_paginate_on_the_server(api: Api, admin: Browser, clock: FrozenClock) -> None:
    cid = await _contract(api, clock)
    for n in range(1, 53):
        await _promo(api, cid, n * 100)
    first = (await admin.get(f"/contracts/{cid}/credits")).text
    ledger = first.split('<table class="ledger">')[1]
    assert "1–50 of 52" in ledger and 'rel="next"' in ledger and "$52.00" in ledger and "$2.00" not in ledger
    second = (await admin.get(f"/contracts/{cid}/credits", offset=50)).text.split('<table class="ledger">')[1]
    assert "51–52 of 52" in second and "$2.00" in second and "$1.00" in second and "$52.00" not in second
    assert (await admin.get(f"/contracts/{cid}/credits", limit=500)).status_code == 400

    other = await _contract(api, clock, name="Bob Builds", ext="bob")
    await _promo(api, other, 700)
    await _contract(api, clock, name="Carol Cash", ext="carol")  # no wallet: not listed
    page1 = (await admin.get("/credits", limit=1)).text
    assert "1–1 of 2" in page1 and "Bob Builds" in page1 and "$7.00" in page1 and "Alice Apps" not in page1
    page2 = (await admin.get("/credits", limit=1, offset=1)).text
    assert "2–2 of 2" in page2 and "Alice Apps" in page2 and "$1,378.00" in page2  # 100 + 200 + … + 5200 cents
    assert "Carol Cash" not in (await admin.get("/credits")).text


async def test_budget_forms_and_the_consumption_bar(api: Api, admin: Browser, worker: Any,
                                                    clock: FrozenClock) -> None:
    cid = await _contract(api, clock)
    await _promo(api, cid, 10000)
    new = f"/contracts/{cid}/credits/budgets/new"
    assert 'for="f-cap">Cap in dollars' in (await admin.get(new)).text
    made = await admin.submit(new, {"label": "Dove", "key": "business_unit", "value": "dove", "cap": "30"})
    assert made.status_code == 303 and made.headers["location"] == f"/contracts/{cid}/credits"
    assert [(b["label"], b["maxCreditsCents"]) for b in await _budgets(api, cid)] == [("Dove", 3000)]
    for body, field in [({"label": "", "key": "k", "value": "v", "cap": "1"}, "label"),
                        ({"label": "X", "key": "k", "value": "v", "cap": "abc"}, "cap"),
                        ({"label": "X", "key": "k", "value": "v", "cap": ""}, "cap"),
                        ({"label": "X", "key": "business_unit", "value": "dove", "cap": "5"}, "value"),
                        ({"label": "X", "key": "k", "value": "v", "cap": "5", "meter_id": "nope"}, "meter_id")]:
        bad = await admin.submit(new, body)
        assert bad.status_code == 400 and f'id="e-{field}"' in bad.text, (body, bad.text)
        assert f'value="{body["label"]}"' in bad.text
    assert len(await _budgets(api, cid)) == 1

    await worker.drain()
    await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"d-{i}",
                        "timestamp": "2026-01-10T10:00:00Z", "properties": {"business_unit": "dove"}}
                       for i in range(50)])  # $50 of Dove usage against a $30 cap
    await worker.drain()
    page = (await admin.get(f"/contracts/{cid}/credits")).text
    row = page.split('<table class="budgets">')[1].split("</table>")[0]
    assert "$30.00 of $30.00 (100.00%)" in row and "Exhausted" in row
    assert 'max="3000" value="3000"' in row and 'aria-label="Dove: $30.00 of $30.00"' in row
    assert '<dd class="wallet-balance">$70.00</dd>' in page

    edit = f"/contracts/{cid}/credits/budgets/0"
    assert 'value="30.00"' in (await admin.get(edit)).text
    assert (await admin.submit(edit, {"label": "Dove", "cap": "-1"})).status_code == 400
    assert (await _budgets(api, cid))[0]["maxCreditsCents"] == 3000
    assert (await admin.submit(edit, {"label": "Dove team", "cap": "60.50"})).status_code == 303
    assert [(b["label"], b["maxCreditsCents"]) for b in await _budgets(api, cid)] == [("Dove team", 6050)]
    assert (await admin.get(f"/contracts/{cid}/credits/budgets/1")).status_code == 404
    assert (await admin.submit(f"{edit}/delete", {})).status_code == 303
    assert await _budgets(api, cid) == []


async def test_viewer_sees_no_actions_and_is_refused(api: Api, viewer: Browser, clock: FrozenClock) -> None:
    cid = await _contract(api, clock)
    await _promo(api, cid, 5000)
    r = await api.post(f"/v1/contracts/{cid}/budgets", {"label": "Dove", "eventPropertyKey": "business_unit",
                                                        "eventPropertyValue": "dove", "maxCreditsCents": 3000})
    assert r.status_code == 201
    page = (await viewer.get(f"/contracts/{cid}/credits")).text
    assert "$50.00" in page and "Dove" in page
    assert "Grant credits" not in page and "New budget" not in page and "budgets/0" not in page
    for path, body in [(f"/contracts/{cid}/credits/grant", {**FIRST_CREDIT, "confirm": "1"}),
                       (f"/contracts/{cid}/credits/budgets/new",
                        {"label": "Hawk", "key": "business_unit", "value": "hawk", "cap": "5"}),
                       (f"/contracts/{cid}/credits/budgets/0", {"label": "Renamed", "cap": "1"}),
                       (f"/contracts/{cid}/credits/budgets/0/delete", {})]:
        assert (await viewer.submit(path, body)).status_code == 403, path
    assert (await _wallet(api, cid))["balance"]["balanceCents"] == 5000
    assert [(b["label"], b["maxCreditsCents"]) for b in await _budgets(api, cid)] == [("Dove", 3000)]


async def test_csrf_other_organizations_and_test_mode(api: Api, admin: Browser, clock: FrozenClock) -> None:
    cid = await _contract(api, clock)
    await api.post(f"/v1/contracts/{cid}/budgets", {"label": "Dove", "eventPropertyKey": "business_unit",
                                                    "eventPropertyValue": "dove", "maxCreditsCents": 3000})
    for token in ("", "forged"):
        for path, body in [(f"/contracts/{cid}/credits/grant", {**FIRST_CREDIT, "confirm": "1"}),
                           (f"/contracts/{cid}/credits/budgets/new",
                            {"label": "Hawk", "key": "business_unit", "value": "hawk", "cap": "5"}),
                           (f"/contracts/{cid}/credits/budgets/0", {"label": "Renamed", "cap": "1"}),
                           (f"/contracts/{cid}/credits/budgets/0/delete", {})]:
            assert (await admin.submit(path, body, csrf=token)).status_code == 403, path
    assert (await _wallet(api, cid))["blocks"] == [] and len(await _budgets(api, cid)) == 1

    other = await api.new_key(["*"], org="Other")
    theirs = await _contract(api, clock, key=other, name="Theirs Inc", ext="theirs")
    await _promo(api, theirs, 900, key=other)
    for path in (f"/contracts/{theirs}/credits", f"/contracts/{theirs}/credits/grant",
                 f"/contracts/{theirs}/credits/budgets/new"):
        assert (await admin.get(path)).status_code == 404, path
    assert (await admin.submit(f"/contracts/{theirs}/credits/grant",
                               {**FIRST_CREDIT, "confirm": "1"})).status_code == 404
    assert "Theirs Inc" not in (await admin.get("/credits")).text

    test_key = await api.new_key(["*"], mode="test")
    sandbox = await _contract(api, clock, key=test_key, name="Sandbox Co", ext="sandbox")
    await _promo(api, sandbox, 4200, key=test_key)
    assert "Sandbox Co" not in (await admin.get("/credits")).text
    assert (await admin.get(f"/contracts/{sandbox}/credits")).status_code == 404
    await admin.mode("test")
    listing = (await admin.get("/credits")).text
    assert "Sandbox Co" in listing and "$42.00" in listing and "Alice Apps" not in listing
    assert '<dd class="wallet-balance">$42.00</dd>' in (await admin.get(f"/contracts/{sandbox}/credits")).text

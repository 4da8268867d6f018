"""The customers pages through HTTP against the real app on both databases: the list with search and
pagination, the create form (errors next to the field, nothing written), a customer's page (contacts,
Stripe link and payment method, contracts, invoices, credit balance), viewer and CSRF refusals, other
organizations' ids and test mode."""

from __future__ import annotations

from tests.conftest import Api
from tests.dashboard.browser import Browser
from tests.e2e import scenario


async def _customer(api: Api, name: str, ext: str) -> str:
    resp = await api.post("/v1/customers", {"name": name, "externalCustomerId": ext,
                                            "contacts": [{"email": f"{ext}@example.com", "roles": ["billing"]}]})
    assert resp.status_code == 201, resp.text
    return str(resp.json()["data"]["id"])


async def test_the_list_searches_names_and_external_ids_and_paginates_on_the_server(api: Api, admin: Browser) -> None:
    for n in range(55):
        await _customer(api, f"Customer {n:02d}", f"ext-{n:02d}")
    await _customer(api, "Acme 100%_Corp", "acme")
    first = (await admin.get("/customers")).text
    assert "1–50 of 56" in first and 'rel="next"' in first and "Acme 100%_Corp" in first  # newest first
    second = (await admin.get("/customers", offset=50)).text
    assert "51–56 of 56" in second and "Customer 00" in second and 'rel="prev"' in second
    found = (await admin.get("/customers", q="ACME")).text
    assert "1–1 of 1" in found and "Acme 100%_Corp" in found and "Customer 01" not in found
    assert "1–1 of 1" in (await admin.get("/customers", q="ext-07")).text
    assert "1–1 of 1" in (await admin.get("/customers", q="%_")).text  # LIKE wildcards are literal
    assert "No customer matches" in (await admin.get("/customers", q="zzz")).text
    assert (await admin.get("/customers", limit=500)).status_code == 400


async def test_the_form_creates_a_customer_and_bad_input_shows_next_to_the_field(api: Api, admin: Browser) -> None:
    form = (await admin.get("/customers/new")).text
    assert '<label for="f-name">Name</label>' in form and '<label for="f-email">Billing contact email</label>' in form
    bad = await admin.submit("/customers/new", {"name": "", "email": "not-an-email", "external_id": "x"})
    assert bad.status_code == 400
    assert 'id="e-name"' in bad.text and 'id="e-email"' in bad.text and 'value="not-an-email"' in bad.text
    assert (await api.get("/v1/customers")).json()["total"] == 0
    made = await admin.submit("/customers/new", {"name": "Globex", "email": "ap@globex.example.com",
                                                 "external_id": "globex"})
    assert made.status_code == 303
    customer = (await api.get("/v1/customers", externalCustomerId="globex")).json()["data"][0]
    assert made.headers["location"] == f"/customers/{customer['id']}" and customer["name"] == "Globex"
    taken = await admin.submit("/customers/new", {"name": "Globex 2", "email": "b@globex.example.com",
                                                  "external_id": "globex"})
    assert taken.status_code == 400 and 'id="e-external_id"' in taken.text
    assert (await api.get("/v1/customers")).json()["total"] == 1


async def test_a_customers_page_shows_contacts_contracts_invoices_and_credit_balance(api: Api, admin: Browser) -> None:
    cid = await _customer(api, "Initech", "initech")
    fee = await scenario.flat_price(api, "Platform fee", "350.00")
    starter = await scenario.plan(api, "starter", [fee["id"]])
    await scenario.contract(api, cid, starter["id"], "2026-01-01", creditGrantCents=12345)
    page = (await admin.get(f"/customers/{cid}")).text
    assert "<h1>Initech</h1>" in page and "initech@example.com" in page and "billing" in page
    assert "Starter" in page and "2026-01-01" in page and "Open-ended" in page
    assert '<dd class="credit-balance">$123.45</dd>' in page
    assert "$350.00" in page  # the first invoice, billed in advance
    assert "Not linked" in page and "None saved" in page


async def test_viewer_sees_no_buttons_and_is_refused(api: Api, viewer: Browser) -> None:
    await _customer(api, "Umbrella", "umbrella")
    listing = (await viewer.get("/customers")).text
    assert "Umbrella" in listing and "New customer" not in listing
    refused = await viewer.submit("/customers/new", {"name": "Evil", "email": "e@evil.example.com"})
    assert refused.status_code == 403 and (await api.get("/v1/customers")).json()["total"] == 1


async def test_csrf_other_organizations_and_test_mode(api: Api, admin: Browser) -> None:
    for token in ("", "forged"):
        refused = await admin.submit("/customers/new", {"name": "X", "email": "x@example.com"}, csrf=token)
        assert refused.status_code == 403
    other = await api.new_key(["customers:write", "customers:read"], org="Other")
    theirs = await api.post("/v1/customers", {"name": "Theirs", "contacts": [
        {"email": "t@other.example.com", "roles": ["billing"]}]}, key=other)
    assert (await admin.get(f"/customers/{theirs.json()['data']['id']}")).status_code == 404
    test_key = await api.new_key(["customers:write", "customers:read"], mode="test")
    await api.post("/v1/customers", {"name": "Sandbox Co", "contacts": [
        {"email": "s@sandbox.example.com", "roles": ["billing"]}]}, key=test_key)
    assert "Sandbox Co" not in (await admin.get("/customers")).text
    await admin.mode("test")
    assert "Sandbox Co" in (await admin.get("/customers")).text
    assert "Theirs" not in (await admin.get("/customers")).text

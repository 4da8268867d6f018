"""The settings pages through HTTP against the real app on both databases: API keys (created in the form,
shown once, working against the API, revoked), users (added with a password shown once, role changes,
never the last admin), webhooks (endpoints, secrets shown once, the delivery log and Retry) and the Stripe
connection; viewers see no forms and every POST of theirs is refused."""

from __future__ import annotations

import re
import socket

import httpx

from monk.kit.clock import FrozenClock
from monk.webhooks.dispatch import Dispatcher
from tests.conftest import Api
from tests.dashboard.browser import PASSWORD, Browser, login
from tests.e2e import scenario
from tests.peers.stripe import StripePeer
from tests.peers.stripe_objects import PUBLISHABLE_KEYS, SECRET_KEYS, WEBHOOK_SECRET, stripe_customer


def _shown_once(html: str, element_id: str) -> str:
    match = re.search(rf'<p class="shown-once" id="{element_id}">([^<]+)</p>', html)
    assert match, html
    return match.group(1)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ----- API keys -------------------------------------------------------------------------------------------

async def test_a_key_made_in_the_form_is_shown_once_works_against_the_api_and_is_refused_once_revoked(
        api: Api, admin: Browser) -> None:
    page = await admin.get("/settings/keys")
    assert page.status_code == 200 and 'aria-current="page" class="current">API keys<' in page.text
    for tab in ("/settings/webhooks", "/settings/webhooks/deliveries", "/settings/stripe", "/settings/users"):
        assert f'href="{tab}"' in page.text
    assert page.text.count('name="scopes"') == 17 and '<legend>Scopes</legend>' in page.text
    made = await admin.submit("/settings/keys", [("name", "billing sync"), ("scopes", "customers:read"),
                                                 ("scopes", "invoices:read")])
    assert made.status_code == 200
    key = _shown_once(made.text, "created-key")
    assert key.startswith("mk_live_") and "will not be shown again" in made.text
    assert (await api.get("/v1/customers", key=key)).status_code == 200
    assert (await api.get("/v1/plans", key=key)).status_code == 403  # only the scopes checked
    again = await admin.get("/settings/keys")
    assert key not in again.text and f"<code>{key[:16]}…</code>" in again.text
    assert '<td class="name">billing sync</td><td>customers:read, invoices:read</td>' in again.text
    key_id = re.search(rf'<tr id="key-([^"]+)"><td><code>{key[:16]}', again.text).group(1)  # type: ignore[union-attr]
    assert (await admin.submit(f"/settings/keys/{key_id}/revoke")).status_code == 303
    assert (await api.get("/v1/customers", key=key)).status_code == 401
    after = (await admin.get("/settings/keys")).text
    assert 'badge-revoked' in after and f'action="/settings/keys/{key_id}/revoke"' not in after


async def test_no_scope_is_a_400_next_to_the_scopes_and_stores_nothing(admin: Browser, api: Api, app: object) -> None:
    before = (await admin.get("/settings/keys")).text.count('<tr id="key-')
    bad = await admin.submit("/settings/keys", {})
    assert bad.status_code == 400
    assert '<p class="error" id="e-scopes">Choose at least one scope.</p>' in bad.text
    assert "shown-once" not in bad.text
    bad = await admin.submit("/settings/keys", {"scopes": "everything"})
    assert bad.status_code == 400 and "unknown scopes: everything" in bad.text
    assert 'value="everything"' not in bad.text
    long = await admin.submit("/settings/keys", {"name": "x" * 101, "scopes": "*"})
    assert long.status_code == 400 and 'id="e-name">the name must have at most 100 characters<' in long.text
    assert 'value="everything"' not in bad.text
    assert (await admin.get("/settings/keys")).text.count('<tr id="key-') == before == 1


async def test_keys_are_per_mode_paginated_and_another_orgs_key_is_404(api: Api, admin: Browser) -> None:
    for _ in range(3):
        await api.new_key(["usage:write"])
    test_key = await api.new_key(["*"], mode="test")
    other = await api.new_key(["*"], org="Other")
    live = await admin.get("/settings/keys", limit=2)
    assert live.text.count('<tr id="key-') == 2 and "1–2 of 4" in live.text and 'rel="next"' in live.text
    assert test_key[:16] not in live.text
    last = await admin.get("/settings/keys", limit=2, offset=2)
    assert "3–4 of 4" in last.text and last.text.count('<tr id="key-') == 2
    assert (await admin.get("/settings/keys", limit=500)).status_code == 400
    await admin.mode("test")
    shown = await admin.get("/settings/keys")
    assert test_key[:16] in shown.text and "1–1 of 1" in shown.text and "Create a test key" in shown.text
    made = await admin.submit("/settings/keys", {"scopes": "*"})
    assert _shown_once(made.text, "created-key").startswith("mk_test_")
    from monk.kit.auth import hash_key  # the other organization's key id, read from its hash
    async with api.client._transport.app.state.sessions() as s:  # type: ignore[attr-defined]
        from monk.keys import repository
        row = await repository.by_hash(s, hash_key(other))
        assert row is not None
        other_id = row.id
    assert (await admin.submit(f"/settings/keys/{other_id}/revoke")).status_code == 404
    assert (await api.get("/v1/customers", key=other)).status_code == 200


# ----- Users ----------------------------------------------------------------------------------------------

async def test_an_admin_adds_a_user_whose_password_is_shown_once_and_signs_in(
        app: object, admin: Browser, web: httpx.AsyncClient) -> None:
    page = await admin.get("/settings/users")
    assert '<td class="email">admin@example.com</td>' in page.text and "badge-admin" in page.text
    bad = await admin.submit("/settings/users", {"email": "not-an-email", "role": "viewer"})
    assert bad.status_code == 400 and '<p class="error" id="e-email">Enter an email address.</p>' in bad.text
    assert 'value="not-an-email"' in bad.text
    bad = await admin.submit("/settings/users", {"email": "bo@example.com", "role": "owner"})
    assert bad.status_code == 400 and 'id="e-role"' in bad.text
    assert "bo@example.com</td>" not in (await admin.get("/settings/users")).text
    added = await admin.submit("/settings/users", {"email": "Bo@Example.com", "role": "viewer"})
    assert added.status_code == 200 and "will not be shown again" in added.text
    password = _shown_once(added.text, "new-password")
    assert len(password) == 24 and '<td class="email">bo@example.com</td>' in added.text
    assert password not in (await admin.get("/settings/users")).text
    again = await admin.submit("/settings/users", {"email": "bo@example.com", "role": "admin"})
    assert again.status_code == 400 and "Already a user of this organization" in again.text
    assert (await login(web, "bo@example.com", password)).status_code == 303
    assert "viewer" in (await web.get("/")).text


async def test_roles_change_users_are_removed_but_never_the_last_admin(app: object, admin: Browser,
                                                                       web: httpx.AsyncClient) -> None:
    await admin.submit("/settings/users", {"email": "cy@example.com", "role": "viewer"})
    page = (await admin.get("/settings/users")).text
    ids = dict((email, uid) for uid, email in re.findall(r'<tr id="user-([^"]+)"><td class="email">([^<]+)</td>', page))
    assert (await admin.submit(f"/settings/users/{ids['cy@example.com']}/role", {"role": "admin"})).status_code == 303
    assert 'id="user-{}"'.format(ids["cy@example.com"]) in (await admin.get("/settings/users")).text
    assert (await admin.submit(f"/settings/users/{ids['cy@example.com']}/role", {"role": "viewer"})).status_code == 303
    last = await admin.submit(f"/settings/users/{ids['admin@example.com']}/role", {"role": "viewer"})
    assert last.status_code == 409 and "last admin cannot become a viewer" in last.text
    gone = await admin.submit(f"/settings/users/{ids['admin@example.com']}/remove")
    assert gone.status_code == 409 and "last admin cannot be removed" in gone.text
    assert (await admin.submit(f"/settings/users/{ids['admin@example.com']}/role", {"role": "root"})).status_code == 400
    assert (await admin.submit(f"/settings/users/{ids['cy@example.com']}/remove")).status_code == 303
    after = (await admin.get("/settings/users")).text
    assert "cy@example.com" not in after and "badge-admin" in after
    assert (await admin.submit(f"/settings/users/{ids['cy@example.com']}/remove")).status_code == 404
    await admin.get("/settings/users")


async def test_users_of_another_organization_are_not_shown_nor_changeable(app: object, admin: Browser) -> None:
    from tests.dashboard.browser import add_user
    await add_user(app, "zed@other.example", org="Other")
    assert "zed@other.example" not in (await admin.get("/settings/users")).text
    async with app.state.sessions() as s:  # type: ignore[attr-defined]
        from monk.users import repository
        zed = await repository.by_email(s, "zed@other.example")
        assert zed is not None
        zed_id = zed.id
    assert (await admin.submit(f"/settings/users/{zed_id}/remove")).status_code == 404
    assert (await admin.submit(f"/settings/users/{zed_id}/role", {"role": "viewer"})).status_code == 404
    assert PASSWORD  # zed still signs in to Other


# ----- Webhooks -------------------------------------------------------------------------------------------

async def _endpoint_row_id(browser: Browser, url: str) -> str:
    page = (await browser.get("/settings/webhooks")).text
    match = re.search(rf'<tr id="endpoint-([^"]+)"><td><a href="[^"]+">{re.escape(url)}</a>', page)
    assert match, page
    return match.group(1)


async def test_an_endpoint_is_created_with_its_secret_shown_once_then_disabled_rotated_and_deleted(
        api: Api, admin: Browser) -> None:
    url = "http://127.0.0.1:9/hooks"
    bad = await admin.submit("/settings/webhooks", {"url": "ftp://example.com/x"})
    assert bad.status_code == 400
    assert '<p class="error" id="e-events">' in bad.text and 'value="ftp://example.com/x"' in bad.text
    bad = await admin.submit("/settings/webhooks", [("url", "http://example.com/hooks"), ("events", "*")])
    assert bad.status_code == 400 and '<p class="error" id="e-url">' in bad.text
    assert (await api.get("/v1/webhooks/endpoints")).json()["total"] == 0
    made = await admin.submit("/settings/webhooks", [("url", url), ("events", "customer.created"),
                                                     ("events", "invoice.created"), ("description", "ops")])
    assert made.status_code == 200, made.text
    secret = _shown_once(made.text, "signing-secret")
    assert secret.startswith("whsec_") and "will not be shown again" in made.text
    [endpoint] = (await api.get("/v1/webhooks/endpoints")).json()["data"]
    assert (endpoint["url"], endpoint["eventTypes"], endpoint["description"]) == (
        url, ["customer.created", "invoice.created"], "ops")
    page = (await admin.get("/settings/webhooks")).text
    assert secret not in page and "customer.created, invoice.created" in page and "badge-enabled" in page
    eid = endpoint["id"]
    assert (await admin.submit(f"/settings/webhooks/{eid}/disable")).status_code == 303
    assert (await api.get(f"/v1/webhooks/endpoints/{eid}")).json()["data"]["enabled"] is False
    assert f'/settings/webhooks/{eid}/enable"' in (await admin.get("/settings/webhooks")).text
    assert (await admin.submit(f"/settings/webhooks/{eid}/enable")).status_code == 303
    ping = await admin.submit(f"/settings/webhooks/{eid}/test")
    assert ping.status_code == 303 and ping.headers["location"] == f"/settings/webhooks/deliveries?endpoint={eid}"
    log = (await admin.get(ping.headers["location"])).text
    assert "<td>ping</td>" in log and "none yet" in log and '<td class="num">0</td>' in log
    rotated = await admin.submit(f"/settings/webhooks/{eid}/rotate")
    assert rotated.status_code == 200
    new = _shown_once(rotated.text, "signing-secret")
    assert new != secret and new.startswith("whsec_")
    assert (await api.get(f"/v1/webhooks/endpoints/{eid}")).json()["data"]["previousSecretExpiresAt"]
    assert (await admin.submit(f"/settings/webhooks/{eid}/delete")).status_code == 303
    assert (await api.get("/v1/webhooks/endpoints")).json()["total"] == 0
    assert (await admin.submit(f"/settings/webhooks/{eid}/rotate")).status_code == 404


async def test_a_failing_endpoints_delivery_shows_in_the_log_and_retry_queues_another_attempt(
        api: Api, admin: Browser, app: object, clock: FrozenClock) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/down"
    ok = await admin.submit("/settings/webhooks", [("url", url), ("events", "customer.created")])
    assert ok.status_code == 200
    for n in range(3):
        await scenario.customer(api, f"Cust {n}", f"c{n}")
    settings = app.state.settings.model_copy(update={"webhook_timeout_seconds": 1.0})  # type: ignore[attr-defined]
    dispatcher = Dispatcher(app.state.sessions, clock=clock, settings=settings)  # type: ignore[attr-defined]
    try:
        assert await dispatcher.drain() == 3
        log = await admin.get("/settings/webhooks/deliveries")
        assert log.status_code == 200 and "1–3 of 3" in log.text and log.text.count("customer.created</td>") == 3
        assert log.text.count('<td class="num">1</td>') == 3 and "badge-pending" in log.text
        assert log.text.count(">Retry</button>") == 3 and url in log.text
        first = (await api.get("/v1/webhooks/deliveries", limit=1)).json()["data"][0]
        assert first["attemptCount"] == 1 and first["attempts"][0]["statusCode"] is None
        assert first["attempts"][0]["error"] in log.text
        paged = await admin.get("/settings/webhooks/deliveries", limit=2, offset=2)
        assert "3–3 of 3" in paged.text and paged.text.count('<tr id="delivery-') == 1
        eid = first["endpointId"]
        assert (await admin.get("/settings/webhooks/deliveries", endpoint=eid, status="pending")).text.count(
            '<tr id="delivery-') == 3
        assert "0–0 of 0" in (await admin.get("/settings/webhooks/deliveries", status="succeeded")).text
        assert (await admin.get("/settings/webhooks/deliveries", status="lost")).status_code == 400
        retried = await admin.submit(f"/settings/webhooks/deliveries/{first['id']}/retry",
                                     {"back": "/settings/webhooks/deliveries?status=pending"})
        assert retried.status_code == 303
        assert retried.headers["location"] == "/settings/webhooks/deliveries?status=pending"
        queued = (await api.get(f"/v1/webhooks/deliveries/{first['id']}")).json()["data"]
        assert queued["status"] == "pending" and queued["nextAttemptAt"] == clock.now().isoformat(
            timespec="milliseconds").replace("+00:00", "Z")
        assert await dispatcher.drain() == 1
        again = (await api.get(f"/v1/webhooks/deliveries/{first['id']}")).json()["data"]
        assert again["attemptCount"] == 2
        assert f'<tr id="delivery-{first["id"]}">' in (await admin.get("/settings/webhooks/deliveries")).text
        assert (await admin.submit("/settings/webhooks/deliveries/nope/retry")).status_code == 404
    finally:
        await dispatcher.close()


# ----- Stripe ---------------------------------------------------------------------------------------------

async def test_stripe_is_connected_in_the_form_never_echoing_the_secret_and_disconnected(
        api: Api, admin: Browser, stripe_api: StripePeer) -> None:
    page = await admin.get("/settings/stripe")
    assert page.status_code == 200 and 'id="not-connected"' in page.text
    bad = await admin.submit("/settings/stripe", {"secret_key": SECRET_KEYS["test"], "webhook_secret": "nope-nope",
                                                  "api_base": stripe_api.base})
    assert bad.status_code == 400
    assert '<p class="error" id="e-webhook_secret">a Stripe webhook signing secret starts with whsec_</p>' in bad.text
    assert SECRET_KEYS["test"] not in bad.text and f'value="{stripe_api.base}"' in bad.text
    wrong_mode = await admin.submit("/settings/stripe", {"secret_key": SECRET_KEYS["test"],
                                                         "webhook_secret": WEBHOOK_SECRET, "api_base": stripe_api.base})
    assert wrong_mode.status_code == 400 and '<p class="error" id="e-secret_key">' in wrong_mode.text
    assert (await api.get("/v1/payments/stripe")).status_code == 404
    ok = await admin.submit("/settings/stripe", {"secret_key": SECRET_KEYS["live"], "webhook_secret": WEBHOOK_SECRET,
                                                 "publishable_key": PUBLISHABLE_KEYS["live"],
                                                 "api_base": stripe_api.base})
    assert ok.status_code == 303 and ok.headers["location"] == "/settings/stripe"
    shown = (await admin.get("/settings/stripe")).text
    conn = (await api.get("/v1/payments/stripe")).json()["data"]
    assert f"<dd>…{conn['keyLast4']}</dd>" in shown and SECRET_KEYS["live"] not in shown
    assert WEBHOOK_SECRET not in shown and stripe_api.base in shown and conn["webhookPath"] in shown
    cus = stripe_customer(stripe_api)  # the connection works: Monk checks the customer at the peer
    linked = await api.post("/v1/customers", {"name": "Acme", "externalCustomerId": "acme",
                                              "contacts": [{"email": "ap@acme.example", "roles": ["accounts_payable"]}],
                                              "paymentProviderId": cus, "provider": "stripe"})
    assert linked.status_code == 201, linked.text
    await admin.mode("test")
    assert 'id="not-connected"' in (await admin.get("/settings/stripe")).text
    assert (await admin.submit("/settings/stripe/disconnect")).status_code == 404
    await admin.mode("live")
    assert (await admin.submit("/settings/stripe/disconnect")).status_code == 303
    assert (await api.get("/v1/payments/stripe")).status_code == 404


# ----- Viewers, CSRF, test mode ---------------------------------------------------------------------------

async def test_a_viewer_sees_no_forms_and_every_post_is_refused(api: Api, admin: Browser, viewer: Browser,
                                                                app: object) -> None:
    key = await api.new_key(["customers:read"])
    made = await admin.submit("/settings/webhooks", [("url", "http://127.0.0.1:9/v"), ("events", "*")])
    assert made.status_code == 200
    eid = (await api.get("/v1/webhooks/endpoints")).json()["data"][0]["id"]
    keys_page = (await admin.get("/settings/keys")).text
    key_id = re.search(rf'<tr id="key-([^"]+)"><td><code>{key[:16]}', keys_page).group(1)  # type: ignore[union-attr]
    users_page = (await admin.get("/settings/users")).text
    admin_id = re.search(r'<tr id="user-([^"]+)"><td class="email">admin@', users_page).group(1)  # type: ignore[union-attr]
    for path in ("/settings/keys", "/settings/webhooks", "/settings/webhooks/deliveries", "/settings/stripe",
                 "/settings/users"):
        page = await viewer.get(path)
        assert page.status_code == 200, path
        main = page.text.split('<main class="content">')[1]
        filters = '<button type="submit" class="secondary">Filter</button>'
        assert 'method="post"' not in main and "<button" not in main.replace(filters, ""), path
    posts = [("/settings/keys", {"scopes": "*"}), (f"/settings/keys/{key_id}/revoke", {}),
             ("/settings/webhooks", {"url": "http://127.0.0.1:9/x", "events": "*"}),
             (f"/settings/webhooks/{eid}/disable", {}), (f"/settings/webhooks/{eid}/enable", {}),
             (f"/settings/webhooks/{eid}/rotate", {}), (f"/settings/webhooks/{eid}/test", {}),
             (f"/settings/webhooks/{eid}/delete", {}),
             ("/settings/webhooks/deliveries/any/retry", {}),
             ("/settings/stripe", {"secret_key": SECRET_KEYS["live"], "webhook_secret": WEBHOOK_SECRET}),
             ("/settings/stripe/disconnect", {}), ("/settings/users", {"email": "x@example.com", "role": "admin"}),
             (f"/settings/users/{admin_id}/role", {"role": "viewer"}), (f"/settings/users/{admin_id}/remove", {})]
    for path, data in posts:
        assert (await viewer.submit(path, data)).status_code == 403, path
        assert (await admin.submit(path, data, csrf="")).status_code == 403, path
    assert (await api.get("/v1/customers", key=key)).status_code == 200
    [endpoint] = (await api.get("/v1/webhooks/endpoints")).json()["data"]
    assert endpoint["enabled"] is True and endpoint["url"] == "http://127.0.0.1:9/v"
    assert (await api.get("/v1/payments/stripe")).status_code == 404
    users_after = (await admin.get("/settings/users")).text
    assert "x@example.com" not in users_after and users_after.count("badge-admin") == 1


async def test_test_mode_shows_test_endpoints_and_deliveries_only(api: Api, admin: Browser) -> None:
    test_key = await api.new_key(["*"], mode="test")
    made = await api.post("/v1/webhooks/endpoints", {"url": "http://127.0.0.1:9/t", "eventTypes": ["*"]},
                          key=test_key)
    assert made.status_code == 201
    assert "http://127.0.0.1:9/t" not in (await admin.get("/settings/webhooks")).text
    await admin.mode("test")
    shown = (await admin.get("/settings/webhooks")).text
    assert "http://127.0.0.1:9/t" in shown and "Test endpoints" in shown
    assert (await admin.submit(f"/settings/webhooks/{made.json()['data']['id']}/disable")).status_code == 303
    await admin.mode("live")
    assert (await admin.submit(f"/settings/webhooks/{made.json()['data']['id']}/enable")).status_code == 404


async def test_endpoints_paginate_and_another_organizations_endpoint_is_404(api: Api, admin: Browser) -> None:
    for n in range(3):
        made = await api.post("/v1/webhooks/endpoints", {"url": f"http://127.0.0.1:9/e{n}", "eventTypes": ["*"]})
        assert made.status_code == 201
    first = await admin.get("/settings/webhooks", limit=2)
    assert "1–2 of 3" in first.text and "/e0<" in first.text and "/e1<" in first.text and "/e2<" not in first.text
    rest = await admin.get("/settings/webhooks", limit=2, offset=2)
    assert "3–3 of 3" in rest.text and "/e2<" in rest.text and 'rel="prev"' in rest.text
    other_key = await api.new_key(["*"], org="Other")
    other = (await api.post("/v1/webhooks/endpoints", {"url": "http://127.0.0.1:9/o", "eventTypes": ["*"]},
                            key=other_key)).json()["data"]
    assert "http://127.0.0.1:9/o" not in (await admin.get("/settings/webhooks")).text
    for action in ("disable", "rotate", "test", "delete"):
        assert (await admin.submit(f"/settings/webhooks/{other['id']}/{action}")).status_code == 404, action
    ping = (await api.post(f"/v1/webhooks/endpoints/{other['id']}/test", key=other_key)).json()["data"]
    assert (await admin.submit(f"/settings/webhooks/deliveries/{ping['id']}/retry")).status_code == 404
    assert "0–0 of 0" in (await admin.get("/settings/webhooks/deliveries", endpoint=other["id"])).text
    assert (await api.get(f"/v1/webhooks/endpoints/{other['id']}", key=other_key)).json()["data"]["enabled"] is True

"""The settings pages through HTTP against the real app on both databases: API keys (created in the form,
shown once, working against the API, revoked), users (added with a password shown once, role changes,
never the last admin), webhooks (endpoints, secrets shown once, the delivery log and Retry) and the Stripe
connection; viewers see no forms and every POST of theirs is refused."""

from __future__ import annotations

import re
import socket

import httpx

from tests.conftest import Api
from tests.dashboard.browser import PASSWORD, Browser, login


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
    made = await admin.submit("/settings/keys", [("scopes", "customers:read"), ("scopes", "invoices:read")])
    assert made.status_code == 200
    key = _shown_once(made.text, "created-key")
    assert key.startswith("mk_live_") and "will not be shown again" in made.text
    assert (await api.get("/v1/customers", key=key)).status_code == 200
    assert (await api.get("/v1/plans", key=key)).status_code == 403  # only the scopes checked
    again = await admin.get("/settings/keys")
    assert key not in again.text and f"<code>{key[:16]}…</code>" in again.text
    assert "customers:read, invoices:read" in again.text
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

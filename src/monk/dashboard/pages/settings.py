"""Settings: ``/settings/keys`` (API keys) and ``/settings/users`` (the organization's users) here;
``/settings/webhooks`` (endpoints and delivery log) and ``/settings/stripe`` (the Stripe connection) in
``settings_hooks``, whose routes this module's ``router`` includes. Every settings page has the same tabs
(``settings_tabs.html``).

Secrets (a new API key, a new user's password) are rendered once, in the 200 answer of the POST that
made them (class ``shown-once``), never through a redirect and never again."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from monk.dashboard.pages import settings_hooks
from monk.dashboard.web import AdminForm, SignedIn, Web, error_of
from monk.keys import service as keys
from monk.kit import deps
from monk.kit.auth import SCOPES
from monk.kit.errors import MonkError
from monk.kit.pagination import Page
from monk.users import service as users

router = APIRouter(include_in_schema=False)
router.include_router(settings_hooks.router)

SCOPE_HINT = "'*' is full access; the others allow one kind of resource to be read or written."


# ----- API keys -------------------------------------------------------------------------------------------

async def _keys_page(web: Web, page: Page | None = None, *, status: int = 200, created: str = "",
                     errors: dict[str, str] | None = None, chosen: list[str] | None = None,
                     name: str = "") -> Response:
    limit, offset = (page.limit, page.offset) if page else (50, 0)
    rows, total = await keys.keys_page(web.session, org_id=web.access.org_id, mode=web.mode, limit=limit,
                                       offset=offset)
    return web.render("settings_keys.html", status, keys=rows, total=total, limit=limit, offset=offset,
                      scopes=SCOPES, chosen=chosen or [], key_name=name, created=created, errors=errors or {})


@router.get("/settings/keys")
async def keys_list(web: SignedIn, page: deps.LongPage) -> Response:
    """The organization's API keys of the session's mode, newest first (prefix, name, scopes, mode, created, last
    used, revoked), ``offset``/``limit`` (50, max 100; 400 outside); an admin also gets the create form
    and a Revoke button per active key."""
    return await _keys_page(web, page)


@router.post("/settings/keys")
async def keys_create(web: AdminForm) -> Response:
    """Create a key of the session's mode named ``name`` (optional, ≤ 100 characters) with the checked
    ``scopes`` → 200, the page with the full key shown once. No or unknown scope, a name too long → 400
    with the message next to the field, nothing stored."""
    chosen = web.lists.get("scopes", [])
    name = web.fields.get("name", "").strip()
    try:
        key = await keys.create_key(web.session, org_id=web.access.org_id, mode=web.mode, scopes=chosen, now=web.now,
                                    name=name or None)
    except ValueError as exc:
        await web.discard()
        message = "Choose at least one scope." if not chosen else str(exc)
        where = "name" if message.startswith("the name") else "scopes"
        return await _keys_page(web, status=400, errors={where: message}, chosen=chosen, name=name)
    return await _keys_page(web, created=key)


@router.post("/settings/keys/{key_id}/revoke")
async def keys_revoke(web: AdminForm, key_id: str) -> Response:
    """Revoke the key → 303 to ``/settings/keys`` (refused by the API at once). 404 for a key of another
    organization or mode."""
    await keys.revoke_key(web.session, org_id=web.access.org_id, mode=web.mode, key_id=key_id, now=web.now)
    return web.redirect("/settings/keys")


# ----- Users ----------------------------------------------------------------------------------------------

ROLE_OPTIONS = [(r, r) for r in users.ROLES]


async def _users_page(web: Web, page: Page | None = None, *, status: int = 200, password: str = "",
                      added: str = "", form: dict[str, str] | None = None,
                      errors: dict[str, str] | None = None) -> Response:
    limit, offset = (page.limit, page.offset) if page else (50, 0)
    rows, total = await users.members(web.session, web.access.org_id, limit=limit, offset=offset)
    return web.render("settings_users.html", status, members=rows, total=total, limit=limit, offset=offset,
                      roles=ROLE_OPTIONS, password=password, added=added, form=form or {"role": "viewer"},
                      errors=errors or {})


@router.get("/settings/users")
async def users_list(web: SignedIn, page: deps.LongPage) -> Response:
    """The organization's users by email (email, role, created, last sign-in), ``offset``/``limit``; an
    admin also gets the add form and, per user, the role change and Remove."""
    return await _users_page(web, page)


@router.post("/settings/users")
async def users_add(web: AdminForm) -> Response:
    """Add ``email`` with ``role`` → 200, the page with the generated password shown once (a user who
    already has an account elsewhere keeps their password and only gets the membership). Bad email or
    role, or a user already of this organization → 400 next to the field, nothing stored."""
    form = {"email": web.fields.get("email", "").strip(), "role": web.fields.get("role", "")}
    try:
        exists = await users.user_exists(web.session, form["email"])
    except ValueError:
        return await _users_page(web, status=400, form=form, errors={"email": "Enter an email address."})
    if exists and await users.is_member(web.session, form["email"], web.access.org_id):
        return await _users_page(web, status=400, form=form, errors={
            "email": "Already a user of this organization: change their role in the list."})
    if form["role"] not in users.ROLES:
        return await _users_page(web, status=400, form=form,
                                 errors={"role": f"Choose one of {', '.join(users.ROLES)}."})
    password = None if exists else users.generate_password()
    made = await users.create_user(web.session, email=form["email"], org_id=web.access.org_id, role=form["role"],
                                   password=password, now=web.now)
    return await _users_page(web, password=password or "", added=made.user.email)


async def _member_change(web: Web, change: Awaitable[Any]) -> Response:
    try:
        await change
    except MonkError as exc:
        await web.discard()
        return await _users_page(web, status=exc.status_code, errors=error_of(exc))
    return web.redirect("/settings/users")


@router.post("/settings/users/{user_id}/role")
async def users_role(web: AdminForm, user_id: str) -> Response:
    """Give the user the posted ``role`` → 303 to ``/settings/users``. 400 unknown role; 404 a user not of
    this organization; 409 (the page with the message) when it would leave the organization without an
    admin."""
    return await _member_change(web, users.set_role(web.session, org_id=web.access.org_id, user_id=user_id,
                                                    role=web.fields.get("role", ""), now=web.now))


@router.post("/settings/users/{user_id}/remove")
async def users_remove(web: AdminForm, user_id: str) -> Response:
    """Take the user out of the organization → 303 to ``/settings/users``. 404 a user not of this
    organization; 409 (the page with the message) for the last admin."""
    return await _member_change(web, users.remove(web.session, org_id=web.access.org_id, user_id=user_id))

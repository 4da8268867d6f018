"""A browser-like HTTP client of the dashboard for the page tests: signs in as a user of an organization
(admin or viewer), keeps cookies, reads each page's CSRF token and posts forms with it."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import httpx

from monk.keys.service import default_organization
from monk.users import service

PASSWORD = "correct horse battery"


async def add_user(app: object, email: str, *, role: str = "admin", org: str | None = None) -> None:
    """Create ``email`` (password ``PASSWORD``) with ``role`` in organization ``org`` (default: the default
    organization, the one the ``api`` fixture's key belongs to)."""
    state = app.state  # type: ignore[attr-defined]
    async with state.sessions() as s:
        o, _ = await default_organization(s, name=org, now=state.clock.now())
        await service.create_user(s, email=email, org_id=o.id, role=role, password=PASSWORD, now=state.clock.now())
        await s.commit()


def csrf_of(html: str) -> str:
    """The CSRF token in a page's forms."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def login(web: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Post the login form as a browser would (its token from ``GET /login``)."""
    form = await web.get("/login")
    assert form.status_code == 200
    return await web.post("/login", data={"email": email, "password": password, "csrf": csrf_of(form.text)})


class Browser:
    """A signed-in browser: ``get`` a page, ``submit`` a form with the session's CSRF token."""

    def __init__(self, client: httpx.AsyncClient, email: str = "") -> None:
        self.client = client
        self.csrf = ""
        self.email = email

    async def relogin(self) -> None:
        """Sign in again (after a test moved the app's clock past the session's idle timeout)."""
        assert (await login(self.client, self.email)).status_code == 303
        self.csrf = ""

    async def get(self, path: str, **params: object) -> httpx.Response:
        """GET ``path`` (remembering the page's CSRF token when it has forms)."""
        resp = await self.client.get(path, params=params or None)
        if 'name="csrf"' in resp.text:
            self.csrf = csrf_of(resp.text)
        return resp

    async def submit(self, path: str, data: dict[str, object] | list[tuple[str, object]] | None = None, *,
                     csrf: str | None = None) -> httpx.Response:
        """POST the form ``data`` to ``path`` with the CSRF token (``csrf`` overrides it; ``""`` sends
        none). Redirects are not followed: a success is a 303."""
        if not self.csrf and csrf is None:
            await self.get("/")
        token = self.csrf if csrf is None else csrf
        items = list(data.items()) if isinstance(data, dict) else list(data or [])
        fields = [(k, str(v)) for k, v in items] + ([("csrf", token)] if token else [])
        return await self.client.post(path, content=urlencode(fields),
                                      headers={"content-type": "application/x-www-form-urlencoded"})

    async def mode(self, mode: str) -> None:
        """Switch the session to ``live`` or ``test``."""
        assert (await self.submit("/mode", {"mode": mode})).status_code == 303


async def signed_in(app: object, email: str, *, role: str = "admin", org: str | None = None,
                    client: httpx.AsyncClient) -> Browser:
    """Create the user and sign ``client`` in as it."""
    await add_user(app, email, role=role, org=org)
    assert (await login(client, email)).status_code == 303
    return Browser(client, email)

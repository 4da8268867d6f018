"""What every dashboard page shares: the signed-in request (``Web``), its dependencies, rendering, forms
and their errors (issue 15).

A page endpoint takes ``web: SignedIn`` (GET: the signed-in user; logged out → 303 to ``/login``) or
``web: AdminForm`` (POST: the CSRF token checked, then the role: a viewer gets a 403 page and nothing
changes). ``web.principal`` is the API's ``Principal`` for the session's organization and mode, so pages
call the same services as the API with it (never a second copy of a rule). ``web.render`` renders a
template inside the layout (navigation, organization, mode switch, sign out) and re-issues the session
cookie (the idle timeout restarts). The request's database transaction is ``deps.Session``'s: it commits
after the endpoint returns; a page that catches a service's error and shows the form again must call
``await web.discard()`` so nothing half-written is committed.

Errors a service raises inside a dashboard request (``NotFound``, ``ValidationFailed``…) are shown as an
HTML page with their status (``html_error``), never as the API's JSON envelope.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.money import cents_as_dollars, format_dollars, format_quantity
from monk.dashboard.sessions import COOKIE, SessionSigner, WebSession
from monk.kit import deps
from monk.kit.auth import SCOPES, Principal
from monk.kit.errors import MonkError
from monk.users import service as users
from monk.users.service import Access

MAX_FORM_BYTES = 64 * 1024
FORBIDDEN = "This form has expired or did not come from this page. Go back, reload the page and try again."
VIEWER = "Viewers can look but not change anything. Ask an admin of this organization."
READ_SCOPES = frozenset(s for s in SCOPES if s.endswith(":read"))
HTMX = "/static/vendor/htmx-2.0.11.min.js"


def _when(instant: datetime | None) -> str:
    return "" if instant is None else instant.strftime("%Y-%m-%d %H:%M UTC")


def _day(day: date | datetime | None) -> str:
    return "" if day is None else day.strftime("%Y-%m-%d")


def _dollars(amount: Decimal | str | None) -> str:
    return "" if amount is None else format_dollars(Decimal(amount))


def _quantity(q: Decimal | str | None) -> str:
    return "" if q is None else format_quantity(Decimal(q))


templates = Environment(loader=PackageLoader("monk.dashboard", "templates"), autoescape=select_autoescape())
templates.filters.update(money=cents_as_dollars, dollars=_dollars, quantity=_quantity, when=_when, day=_day)
templates.globals.update(htmx=HTMX)


class LoggedOut(Exception):
    """No valid session: the browser is sent to ``/login``."""


class Refused(Exception):
    """A request the dashboard refuses with a page: ``status`` and a message for people."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def signer(request: Request) -> SessionSigner:
    """The app's session signer (``dashboard.sessions``)."""
    return request.app.state.web_sessions  # type: ignore[no-any-return]


def secure(request: Request) -> bool:
    """Whether cookies get the ``Secure`` flag: over TLS or when ``MONK_PUBLIC_URL`` is https."""
    return request.url.scheme == "https" or signer(request).secure


def set_session(request: Request, response: Response, ws: WebSession) -> None:
    """Write ``ws`` as the signed, HttpOnly, SameSite=Lax session cookie on ``response``."""
    response.set_cookie(COOKIE, signer(request).dump(ws), httponly=True, samesite="lax", secure=secure(request),
                        path="/")


def clear_session(request: Request, response: Response) -> None:
    """Remove the session cookie in the browser."""
    response.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=secure(request), path="/")


def page(name: str, status: int = 200, **context: object) -> HTMLResponse:
    """``templates/<name>`` rendered with ``context`` (pages without a session: login, errors)."""
    return HTMLResponse(templates.get_template(name).render(**context), status)


async def read_form(request: Request) -> dict[str, list[str]]:
    """The url-encoded form of ``request``: every field's values in order (at most 64 KiB read; a larger
    body reads as an empty form)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)


@dataclass
class Web:
    """One signed-in dashboard request: the database session, now, the session cookie's content, the
    user's access (organization, role) and, on a POST, the form (``fields``: first value of each
    field; ``lists``: every value)."""

    request: Request
    session: AsyncSession
    now: datetime
    ws: WebSession
    access: Access
    fields: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        """``live`` or ``test``: the data every page shows and changes."""
        return self.ws.mode

    @property
    def is_admin(self) -> bool:
        """Whether the user may change things (role ``admin``)."""
        return self.access.role == "admin"

    @property
    def csrf(self) -> str:
        """The session's CSRF token (every form's hidden ``csrf`` field)."""
        return signer(self.request).csrf(self.ws)

    @property
    def principal(self) -> Principal:
        """The caller as the services know it: the organization and mode of the session, every scope for
        an admin, the read scopes for a viewer. ``key_id`` is ``user:<user id>``."""
        return Principal(org_id=self.access.org_id, mode=self.mode, key_id=f"user:{self.access.user_id}",
                         scopes=frozenset({"*"}) if self.is_admin else READ_SCOPES)

    def settings(self) -> Any:
        """The app's settings (``monk.settings.Settings``)."""
        return self.request.app.state.settings

    def _finish(self, response: Response) -> Response:
        set_session(self.request, response, signer(self.request).touch(self.ws, now=self.now))
        return response

    def render(self, name: str, status: int = 200, **context: object) -> Response:
        """``templates/<name>`` (which extends ``layout.html``) with ``context`` plus ``web`` (this
        object), ``access``, ``mode``, ``csrf``, ``is_admin`` and ``path``; re-issues the cookie."""
        html = templates.get_template(name).render(web=self, access=self.access, mode=self.mode, csrf=self.csrf,
                                                   is_admin=self.is_admin, path=self.request.url.path, **context)
        return self._finish(HTMLResponse(html, status))

    def redirect(self, url: str) -> Response:
        """303 to ``url`` (after a successful POST), re-issuing the cookie."""
        return self._finish(RedirectResponse(url, 303))

    async def discard(self) -> None:
        """Roll back what this request wrote (before showing a form again with its errors)."""
        await self.session.rollback()


async def _signed_in(request: Request, session: deps.Session, clock: deps.Clock) -> Web:
    """The signed-in request, or ``LoggedOut``; marks the request as a dashboard one (HTML errors)."""
    request.state.dashboard = True
    now = clock.now()
    ws = signer(request).load(request.cookies.get(COOKIE), now=now)
    if ws is None:
        raise LoggedOut
    access = await users.access(session, user_id=ws.user_id, org_id=ws.org_id)
    if access is None:
        raise LoggedOut
    return Web(request=request, session=session, now=now, ws=ws, access=access)


async def _posted(web: Annotated[Web, Depends(_signed_in)]) -> Web:
    """A signed-in POST with a valid CSRF token (else ``Refused`` 403); the form read into ``web``."""
    lists = await read_form(web.request)
    if not signer(web.request).check_csrf(web.ws, (lists.get("csrf") or [""])[0]):
        raise Refused(403, FORBIDDEN)
    web.lists = lists
    web.fields = {k: v[0] for k, v in lists.items()}
    return web


async def _admin_form(web: Annotated[Web, Depends(_posted)]) -> Web:
    """A POST by an admin (a viewer: ``Refused`` 403, nothing read further, nothing changed)."""
    if not web.is_admin:
        raise Refused(403, VIEWER)
    return web


SignedIn = Annotated[Web, Depends(_signed_in)]
"""A signed-in GET (any role)."""
PostedForm = Annotated[Web, Depends(_posted)]
"""A signed-in POST with a valid CSRF token, any role (the mode switch, sign out)."""
AdminForm = Annotated[Web, Depends(_admin_form)]
"""A signed-in POST with a valid CSRF token by an admin: every form that changes data."""


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as ``{field: message}`` keyed by the first element of each error's location
    (the model's alias, e.g. ``externalCustomerId``), first message per field; a model-level error is
    under ``""``."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ()) if part != "body"]
        key = loc[0] if loc else ""
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        errors.setdefault(key, message)
    return errors


def error_of(exc: MonkError) -> dict[str, str]:
    """A service's error as form errors: each ``details`` item with a ``field`` under that field, else the
    message under ``""`` (shown above the form)."""
    details = exc.details if isinstance(exc.details, list) else []
    errors = {str(d["field"]): str(d.get("message", exc.message)) for d in details
              if isinstance(d, dict) and d.get("field")}
    return errors or {"": exc.message}


FIELD_PREFIX = re.compile(r"^([A-Za-z]+)[^:\s]*: (.+)$", re.DOTALL)


def form_errors(exc: ValidationError | MonkError, fields: Mapping[str, str]) -> dict[str, str]:
    """A model's (``field_errors``) or a service's (``error_of``) errors as the form's ``{form field:
    message}``, first message per field.

    ``fields`` maps the API's field names (aliases such as ``unitAmount``) to the form's; other keys are
    kept. A form-wide message that starts with a known field (``"unitAmount: required for …"``) goes next
    to that field with the rest of the message; anything else stays form-wide (key ``""``)."""
    errors = field_errors(exc) if isinstance(exc, ValidationError) else error_of(exc)
    out: dict[str, str] = {}
    for key, message in errors.items():
        match = FIELD_PREFIX.match(message) if key == "" else None
        if match and match.group(1) in fields:
            out.setdefault(fields[match.group(1)], match.group(2))
        else:
            out.setdefault(fields.get(key, key), message)
    return out


def query(request: Request, **changes: object) -> str:
    """The current URL's query string with ``changes`` applied (``None`` removes a key): for pager and
    filter links, e.g. ``query(request, offset=50)`` → ``?status=paid&offset=50``."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None or value == "":
            params.pop(key, None)
        else:
            params[key] = str(value)
    return "?" + urlencode(params) if params else "?"


templates.globals.update(query=query)


def to_login(request: Request) -> RedirectResponse:
    """303 to ``/login``, clearing a stale session cookie."""
    response = RedirectResponse("/login", 303)
    if COOKIE in request.cookies:
        clear_session(request, response)
    return response


def html_error(request: Request, exc: Exception) -> Response | None:
    """The page for an exception raised in a dashboard request (None: not a dashboard request, or an
    exception the app's own handlers answer)."""
    if isinstance(exc, LoggedOut):
        return to_login(request)
    if isinstance(exc, Refused):
        return page("forbidden.html", exc.status, message=exc.message)
    if isinstance(exc, MonkError) and getattr(request.state, "dashboard", False):
        message = "Not found." if exc.status_code == 404 else exc.message
        return page("forbidden.html", exc.status_code, message=message)
    return None

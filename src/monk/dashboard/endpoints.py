"""The dashboard's pages (issue 15, people and access): ``GET/POST /login``, ``POST /logout``, ``GET /``
and ``POST /mode`` (the live/test switch). HTML for people, outside the API document.

Every POST needs the session's CSRF token as the form field ``csrf`` (the login form: the token of its
``monk_login`` cookie): a missing or wrong one is a 403 page and changes nothing. A logged-out request
to a page is redirected to ``/login``. See ``dashboard.sessions`` for the cookie and
``dashboard.throttle`` for login throttling.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape

from monk.dashboard.sessions import COOKIE, LOGIN_COOKIE, MODES, SessionSigner, WebSession
from monk.dashboard.throttle import LoginThrottle
from monk.kit import deps
from monk.users import service
from monk.users.service import Access

router = APIRouter(include_in_schema=False)
templates = Environment(loader=PackageLoader("monk.dashboard", "templates"), autoescape=select_autoescape())
WRONG = "Wrong email or password."
THROTTLED = "Too many failed logins. Wait 15 minutes and try again."
FORBIDDEN = "This form has expired or did not come from this page. Go back, reload the page and try again."
MAX_FORM_BYTES = 16 * 1024


def _signer(request: Request) -> SessionSigner:
    return request.app.state.web_sessions  # type: ignore[no-any-return]


def _throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle  # type: ignore[no-any-return]


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or _signer(request).secure


async def _form(request: Request) -> dict[str, str]:
    """The url-encoded form of ``request`` (first value of each field; at most 16 KiB read)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {k: v[0] for k, v in fields.items()}


def _page(name: str, status: int = 200, **context: object) -> HTMLResponse:
    return HTMLResponse(templates.get_template(name).render(**context), status)


def _set_session(request: Request, response: Response, ws: WebSession) -> None:
    response.set_cookie(COOKIE, _signer(request).dump(ws), httponly=True, samesite="lax", secure=_secure(request),
                        path="/")


def _clear_session(request: Request, response: Response) -> None:
    response.delete_cookie(COOKIE, httponly=True, samesite="lax", secure=_secure(request), path="/")


async def _current(request: Request, session: deps.Session,
                   clock: deps.Clock) -> tuple[WebSession, Access] | None:
    ws = _signer(request).load(request.cookies.get(COOKIE), now=clock.now())
    if ws is None:
        return None
    access = await service.access(session, user_id=ws.user_id, org_id=ws.org_id)
    return None if access is None else (ws, access)


def _to_login(request: Request) -> RedirectResponse:
    response = RedirectResponse("/login", 303)
    if COOKIE in request.cookies:
        _clear_session(request, response)
    return response


def _login_page(request: Request, *, status: int = 200, error: str | None = None, email: str = "") -> HTMLResponse:
    nonce, token = _signer(request).login_nonce()
    response = _page("login.html", status, csrf=token, error=error, email=email)
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax", secure=_secure(request),
                        path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, session: deps.Session, clock: deps.Clock) -> Response:
    """The login form (fields Email and Password); a signed-in user is sent to ``/``."""
    if await _current(request, session, clock) is not None:
        return RedirectResponse("/", 303)
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: deps.Session, clock: deps.Clock) -> Response:
    """Sign in → 303 to ``/`` with the session cookie (live mode). 400 page wrong email or password;
    403 page missing or wrong CSRF token; 429 page after too many failures (``dashboard.throttle``)."""
    form = await _form(request)
    if not _signer(request).check_login(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
        return _page("forbidden.html", 403, message=FORBIDDEN)
    email, password, now = form.get("email", "").strip().lower(), form.get("password", ""), clock.now()
    ip = request.client.host if request.client else ""
    throttle = _throttle(request)
    if throttle.blocked(email=email, ip=ip, now=now):
        return _login_page(request, status=429, error=THROTTLED, email=email)
    access = await service.login(session, email=email, password=password, now=now)
    if access is None:
        throttle.failed(email=email, ip=ip, now=now)
        return _login_page(request, status=400, error=WRONG, email=email)
    throttle.succeeded(email=email)
    response = RedirectResponse("/", 303)
    _set_session(request, response, _signer(request).new(user_id=access.user_id, org_id=access.org_id, mode="live",
                                                         now=now))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request, session: deps.Session, clock: deps.Clock) -> Response:
    """Sign out → 303 to ``/login`` with the cookie cleared; 403 page missing or wrong CSRF token."""
    current = await _current(request, session, clock)
    if current is None:
        return _to_login(request)
    if not _signer(request).check_csrf(current[0], (await _form(request)).get("csrf")):
        return _page("forbidden.html", 403, message=FORBIDDEN)
    return _to_login(request)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: deps.Session, clock: deps.Clock) -> Response:
    """The signed-in home page: organization, email, role and the live/test switch; logged out → ``/login``."""
    current = await _current(request, session, clock)
    if current is None:
        return _to_login(request)
    ws, access = current
    ws = _signer(request).touch(ws, now=clock.now())
    response = _page("home.html", access=access, mode=ws.mode, csrf=_signer(request).csrf(ws))
    _set_session(request, response, ws)
    return response


@router.post("/mode")
async def switch_mode(request: Request, session: deps.Session, clock: deps.Clock) -> Response:
    """Switch the session to the form's ``mode`` (live | test) → 303 to ``/``. 400 page another mode;
    403 page missing or wrong CSRF token; logged out → ``/login``."""
    current = await _current(request, session, clock)
    if current is None:
        return _to_login(request)
    ws, _ = current
    form = await _form(request)
    if not _signer(request).check_csrf(ws, form.get("csrf")):
        return _page("forbidden.html", 403, message=FORBIDDEN)
    mode = form.get("mode", "")
    if mode not in MODES:
        return _page("forbidden.html", 400, message="The mode must be live or test.")
    response = RedirectResponse("/", 303)
    _set_session(request, response, _signer(request).touch(WebSession(
        user_id=ws.user_id, org_id=ws.org_id, mode=mode, issued_at=ws.issued_at, last_seen=ws.last_seen,
        nonce=ws.nonce), now=clock.now()))
    return response

"""The dashboard's pages (issue 15, people and access): ``GET/POST /login``, ``POST /logout`` and
``POST /mode`` (the live/test switch). HTML for people, outside the API document.

Every POST needs the session's CSRF token as the form field ``csrf`` (the login form: the token of its
``monk_login`` cookie): a missing or wrong one is a 403 page and changes nothing. A logged-out request
to a page is redirected to ``/login``. See ``dashboard.sessions`` for the cookie and
``dashboard.throttle`` for login throttling.
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from monk.dashboard.sessions import COOKIE, LOGIN_COOKIE, MODES
from monk.dashboard.throttle import LoginThrottle
from monk.dashboard.web import FORBIDDEN, PostedForm, page, read_form, secure, set_session, signer, to_login
from monk.kit import deps
from monk.users import service

router = APIRouter(include_in_schema=False)
WRONG = "Wrong email or password."
THROTTLED = "Too many failed logins. Wait 15 minutes and try again."


def _throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle  # type: ignore[no-any-return]


def _login_page(request: Request, *, status: int = 200, error: str | None = None, email: str = "") -> HTMLResponse:
    nonce, token = signer(request).login_nonce()
    response = page("login.html", status, csrf=token, error=error, email=email)
    response.set_cookie(LOGIN_COOKIE, nonce, max_age=3600, httponly=True, samesite="lax", secure=secure(request),
                        path="/login")
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, session: deps.Session, clock: deps.Clock) -> Response:
    """The login form (fields Email and Password); a signed-in user is sent to ``/``."""
    ws = signer(request).load(request.cookies.get(COOKIE), now=clock.now())
    if ws is not None and await service.access(session, user_id=ws.user_id, org_id=ws.org_id) is not None:
        return RedirectResponse("/", 303)
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: deps.Session, clock: deps.Clock) -> Response:
    """Sign in → 303 to ``/`` with the session cookie (live mode). 400 page wrong email or password;
    403 page missing or wrong CSRF token; 429 page after too many failures (``dashboard.throttle``)."""
    form = {k: v[0] for k, v in (await read_form(request)).items()}
    if not signer(request).check_login(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
        return page("forbidden.html", 403, message=FORBIDDEN)
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
    set_session(request, response, signer(request).new(user_id=access.user_id, org_id=access.org_id, mode="live",
                                                       now=now))
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(web: PostedForm) -> Response:
    """Sign out → 303 to ``/login`` with the cookie cleared; 403 page missing or wrong CSRF token."""
    return to_login(web.request)


@router.post("/mode")
async def switch_mode(web: PostedForm) -> Response:
    """Switch the session to the form's ``mode`` (live | test) → 303 back to the form's ``next`` page (a
    path of this site; default ``/``). 400 page another mode; 403 page missing or wrong CSRF token."""
    mode = web.fields.get("mode", "")
    if mode not in MODES:
        return page("forbidden.html", 400, message="The mode must be live or test.")
    target = web.fields.get("next", "/")
    web.ws = replace(web.ws, mode=mode)
    return web.redirect(target if target.startswith("/") and not target.startswith("//") else "/")

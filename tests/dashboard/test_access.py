"""The dashboard's people and access, through HTTP against the real app on both databases: login and
its cookie, wrong credentials, logged-out redirects, forged and idle cookies, CSRF, throttling, roles."""

from __future__ import annotations

from datetime import timedelta

import httpx

from monk.dashboard.sessions import COOKIE
from monk.kit.clock import FrozenClock
from tests.dashboard.browser import PASSWORD, add_user, csrf_of, login


async def test_the_login_form_has_labelled_email_and_password_and_its_css_is_served(web: httpx.AsyncClient) -> None:
    page = (await web.get("/login")).text
    for field, label in (("email", "Email"), ("password", "Password")):
        assert f'<label for="{field}">{label}</label>' in page and f'id="{field}"' in page
    assert 'href="/static/dashboard.css"' in page and "http" not in page.split("<body>")[0].replace("http-equiv", "")
    css = await web.get("/static/dashboard.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]


async def test_login_sets_a_signed_httponly_lax_cookie_and_home_shows_the_org_and_email(
        app: object, web: httpx.AsyncClient) -> None:
    await add_user(app, "ann@example.com", org="Acme")
    resp = await login(web, "Ann@Example.com")
    assert resp.status_code == 303 and resp.headers["location"] == "/"
    cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    home = await web.get("/")
    assert home.status_code == 200
    assert "Monk — Acme</title>" in home.text and "<h1>Monk — Acme</h1>" in home.text
    assert "ann@example.com" in home.text and ">admin<" in home.text and "Live mode" in home.text
    assert (await web.get("/login")).headers["location"] == "/"  # already signed in


async def test_a_viewer_and_an_admin_both_log_in_and_see_their_role(app: object) -> None:
    await add_user(app, "admin@example.com", role="admin")
    await add_user(app, "viewer@example.com", role="viewer")
    for email, role in (("admin@example.com", "admin"), ("viewer@example.com", "viewer")):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                                     base_url="http://monk.test") as web:
            assert (await login(web, email)).status_code == 303
            home = (await web.get("/")).text
            assert email in home and f'<strong class="role">{role}</strong>' in home


async def test_wrong_credentials_are_a_400_with_the_message_next_to_the_form(
        app: object, web: httpx.AsyncClient) -> None:
    await add_user(app, "ann@example.com")
    for email, password in (("ann@example.com", "wrong"), ("bob@example.com", PASSWORD)):
        resp = await login(web, email, password)
        assert resp.status_code == 400 and "Wrong email or password." in resp.text and 'role="alert"' in resp.text
        assert not any(h.startswith(COOKIE + "=") for h in resp.headers.get_list("set-cookie"))
    assert (await web.get("/")).status_code == 303


async def test_logged_out_pages_redirect_to_login(web: httpx.AsyncClient) -> None:
    for resp in (await web.get("/"), await web.post("/mode", data={"mode": "test"}),
                 await web.post("/logout")):
        assert resp.status_code == 303 and resp.headers["location"] == "/login"


async def test_a_forged_cookie_is_logged_out(app: object, web: httpx.AsyncClient) -> None:
    await add_user(app, "ann@example.com")
    await login(web, "ann@example.com")
    good = web.cookies[COOKIE]
    body, _, signature = good.partition(".")
    for forged in (body + "." + "0" * len(signature), body[:-2] + "xx." + signature, "garbage", ""):
        web.cookies.set(COOKIE, forged)
        assert (await web.get("/")).headers["location"] == "/login"
    web.cookies.set(COOKIE, good)
    assert (await web.get("/")).status_code == 200


async def test_an_idle_session_ends_and_a_used_one_slides(app: object, web: httpx.AsyncClient,
                                                          clock: FrozenClock) -> None:
    await add_user(app, "ann@example.com")
    await login(web, "ann@example.com")
    clock.advance(timedelta(minutes=59))
    assert (await web.get("/")).status_code == 200  # last seen moves on
    clock.advance(timedelta(minutes=59))
    assert (await web.get("/")).status_code == 200
    clock.advance(timedelta(minutes=61))
    resp = await web.get("/")
    assert resp.status_code == 303 and resp.headers["location"] == "/login"


async def test_a_post_without_or_with_a_wrong_csrf_token_is_403_and_changes_nothing(
        app: object, web: httpx.AsyncClient) -> None:
    await add_user(app, "ann@example.com")
    await login(web, "ann@example.com")
    token = csrf_of((await web.get("/")).text)
    for data in ({"mode": "test"}, {"mode": "test", "csrf": "x" * 64}, {"mode": "test", "csrf": ""}):
        resp = await web.post("/mode", data=data)
        assert resp.status_code == 403 and "Not allowed" in resp.text
        assert "Live mode" in (await web.get("/")).text
    assert (await web.post("/logout", data={"csrf": "nope"})).status_code == 403
    assert (await web.get("/")).status_code == 200  # still signed in
    resp = await web.post("/mode", data={"mode": "test", "csrf": token})
    assert resp.status_code == 303
    assert "Test mode" in (await web.get("/")).text
    resp = await web.post("/logout", data={"csrf": token})
    assert resp.status_code == 303 and resp.headers["location"] == "/login"
    assert (await web.get("/")).headers["location"] == "/login"


async def test_the_login_form_needs_its_csrf_token(app: object, web: httpx.AsyncClient) -> None:
    await add_user(app, "ann@example.com")
    await web.get("/login")
    resp = await web.post("/login", data={"email": "ann@example.com", "password": PASSWORD, "csrf": "forged"})
    assert resp.status_code == 403 and COOKIE not in web.cookies


async def test_logins_are_throttled_after_repeated_failures(app: object, web: httpx.AsyncClient,
                                                            clock: FrozenClock) -> None:
    await add_user(app, "ann@example.com")
    for _ in range(5):
        assert (await login(web, "ann@example.com", "wrong")).status_code == 400
    resp = await login(web, "ann@example.com")  # even the right password
    assert resp.status_code == 429 and "Too many failed logins" in resp.text
    assert COOKIE not in web.cookies
    clock.advance(timedelta(minutes=15))
    assert (await login(web, "ann@example.com")).status_code == 303


async def test_one_client_ip_is_throttled_after_20_failures(app: object, web: httpx.AsyncClient) -> None:
    await add_user(app, "ann@example.com")
    for i in range(20):
        assert (await login(web, f"nobody{i}@example.com", "wrong")).status_code == 400
    assert (await login(web, "ann@example.com")).status_code == 429


async def test_secure_cookies_when_the_public_url_is_https(database_url: str, clock: FrozenClock) -> None:
    from monk.app import create_app
    from monk.settings import Settings

    application = create_app(Settings(database_url=database_url, public_url="https://billing.example.com",
                                      rate_limit_per_minute=0), clock=clock, run_worker=False)
    try:
        await add_user(application, "ann@example.com")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application),
                                     base_url="https://monk.test") as web:
            resp = await login(web, "ann@example.com")
            cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith(COOKIE + "="))
            assert "Secure" in cookie and "HttpOnly" in cookie
    finally:
        await application.state.engine.dispose()


async def test_the_dashboard_is_not_in_the_api_document(web: httpx.AsyncClient) -> None:
    paths = (await web.get("/openapi.json")).json()["paths"]
    assert not {"/", "/login", "/logout", "/mode"} & set(paths)

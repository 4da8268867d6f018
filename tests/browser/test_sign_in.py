"""Signing in through a real browser: the login form by its labels, the layout, the mode switch and
signing out, with no console error; screenshots of the login, home and test-mode pages."""

from __future__ import annotations

from tests.browser.conftest import Screen
from tests.dashboard.browser import PASSWORD, add_user


async def sign_in(screen: Screen, email: str, password: str = PASSWORD) -> None:
    """Fill and send the login form as a person does (by the fields' labels)."""
    await screen.goto("/login")
    await screen.page.get_by_label("Email").fill(email)
    await screen.page.get_by_label("Password").fill(password)
    await screen.page.get_by_role("button", name="Sign in").click()
    await screen.page.wait_for_load_state()


async def test_sign_in_switch_to_test_mode_and_sign_out(app: object, screen: Screen) -> None:
    await add_user(app, "ann@example.com", org="Acme")
    await screen.goto("/")
    assert screen.page.url.endswith("/login")
    await screen.shot("login")
    await sign_in(screen, "ann@example.com", "not the password")
    assert await screen.page.get_by_text("Wrong email or password.").is_visible()
    screen.errors.clear()  # the 400 answer of the refused login is expected
    await sign_in(screen, "ann@example.com")
    page = screen.page
    assert page.url == screen.base_url + "/"
    assert await page.get_by_role("heading", name="Monk — Acme").is_visible()
    assert await page.get_by_role("navigation", name="Sections").get_by_role("link", name="Invoices").is_visible()
    await screen.shot("home")
    await page.get_by_role("button", name="Switch to test mode").click()
    await page.wait_for_load_state()
    assert await page.get_by_role("status").filter(has_text="Test mode").is_visible()
    await screen.shot("home-test-mode")
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_load_state()
    assert page.url.endswith("/login")

"""The browser tests' fixtures: the real app served on loopback (``served``) and a headless Chromium
page on it (``screen``) that records console errors (a test fails on any) and saves screenshots to
``artifacts/screenshots/`` (``MONK_ARTIFACTS`` overrides the directory)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import ConsoleMessage, Page

from tests.peers.chromium import chromium, chromium_path

ARTIFACTS = Path(os.environ.get("MONK_ARTIFACTS") or Path(__file__).resolve().parents[2] / "artifacts")


class Screen:
    """A Chromium page on the served app: ``page`` (playwright), ``shot(name)`` saves a full-page
    screenshot, ``errors`` the console errors and failed page loads seen so far."""

    def __init__(self, page: Page, base_url: str, test_name: str) -> None:
        self.page = page
        self.base_url = base_url
        self.test_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console error on {self.page.url}: {message.text}")

    async def goto(self, path: str) -> None:
        """Open ``path`` of the app and wait for it to load; a 4xx/5xx answer is recorded as an error."""
        response = await self.page.goto(self.base_url + path)
        if response is not None and response.status >= 400:
            self.errors.append(f"{path} answered {response.status}")

    async def shot(self, name: str) -> Path:
        """Save a full-page screenshot as ``artifacts/screenshots/<test>-<name>.png`` → its path."""
        folder = ARTIFACTS / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.test_name}-{name}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
async def screen(served: str, request: pytest.FixtureRequest) -> AsyncIterator[Screen]:
    """A fresh headless Chromium page (1280×900) on the served app; fails the test on console errors."""
    if chromium_path() is None:
        pytest.skip("no chromium on this machine (`.ci/run` installs Debian's chromium)")
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        seen = Screen(await context.new_page(), served, request.node.name)
        yield seen
        await context.close()
    assert not seen.errors, seen.errors

"""Debian's Chromium driven by Python ``playwright`` (no browser download: ``.ci/run`` installs the
``chromium`` package when it is missing). ``MONK_CHROMIUM`` names another executable."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from playwright.async_api import Browser, async_playwright


def chromium_path() -> str | None:
    """The Chromium executable: ``MONK_CHROMIUM``, else ``chromium`` or ``chromium-browser`` on PATH."""
    return os.environ.get("MONK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """A headless Chromium for the duration of the block. Raises ``RuntimeError`` without one."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("no chromium: install Debian's chromium package (.ci/run does) or set MONK_CHROMIUM")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=path, headless=True,
                                           args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            await browser.close()

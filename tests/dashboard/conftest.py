"""Fixtures of the dashboard's page tests: ``web`` (a cookie-keeping client of the real app),
``admin`` and ``viewer`` (signed-in ``Browser``s of the default organization, the ``api`` key's)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.dashboard.browser import Browser, signed_in


def _client(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
                             base_url="http://monk.test")


@pytest.fixture
async def web(app: object) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of the real app (keeps cookies, follows no redirects)."""
    async with _client(app) as client:
        yield client


@pytest.fixture
async def admin(app: object) -> AsyncIterator[Browser]:
    """``admin@example.com``, admin of the default organization, signed in (live mode)."""
    async with _client(app) as client:
        yield await signed_in(app, "admin@example.com", client=client)


@pytest.fixture
async def viewer(app: object) -> AsyncIterator[Browser]:
    """``viewer@example.com``, viewer of the default organization, signed in (live mode)."""
    async with _client(app) as client:
        yield await signed_in(app, "viewer@example.com", role="viewer", client=client)

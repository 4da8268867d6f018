"""FastAPI dependencies shared by every domain: the database session and the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.clock import Clock


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request; endpoints that write call ``commit()`` once, at the end."""
    async with request.app.state.sessions() as session:
        yield session


def get_clock(request: Request) -> Clock:
    """The app's clock (injectable in tests)."""
    return request.app.state.clock

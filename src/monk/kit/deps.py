"""FastAPI dependencies shared by every domain, declared once as ``Annotated`` types: ``Session``,
``Clock``, ``Settings``, ``Engine``, ``Page``/``LongPage`` (offset pagination, default limit 10/50); the
caller is ``Annotated[Principal, Depends(kit.auth.require(scope))]``, declared once per scope in each
endpoints module. All of them come from objects the app creates once (``monk.app.create_app``: the
session factory, the clock, the settings, the key resolver); endpoints never read ``request.app.state``.

``Session``: the request's database session. One transaction per request: the session commits
once, after the endpoint returned and BEFORE the response is sent (``scope="function"``), and rolls
back on any error; endpoints and services never commit. A commit that fails reaches the client as
the documented error envelope (a unique violation at commit: 409 ``CONFLICT``), never as a success.
Callbacks registered with ``kit.aftercommit.after_commit`` run after that commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from monk import settings as _settings
from monk.kit import aftercommit as _aftercommit  # noqa: F401 - installs the after-commit hooks on every session
from monk.kit import clock as _clock
from monk.kit import pagination
from monk.kit.errors import Conflict

COMMIT_CONFLICT = "The change conflicts with one stored at the same moment; retry"


async def commit(session: AsyncSession) -> None:
    """Commit ``session``; a unique or foreign-key violation found at commit becomes ``Conflict`` (409).

    Other database errors propagate (the app maps them: a lost database is a 503)."""
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(COMMIT_CONFLICT) from exc


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session per request, committed once after the endpoint (before the response), rolled
    back if the endpoint raised. Use through ``Session``."""
    async with request.app.state.sessions() as session:  # the factory made by create_app
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await commit(session)


def get_clock(request: Request) -> _clock.Clock:
    """The app's clock (injectable in tests). Use through ``Clock``."""
    return request.app.state.clock  # type: ignore[no-any-return]


def get_engine(request: Request) -> AsyncEngine:
    """The app's database engine (for the readiness probe). Use through ``Engine``."""
    return request.app.state.engine  # type: ignore[no-any-return]


def get_settings(request: Request) -> _settings.Settings:
    """The app's settings. Use through ``Settings``."""
    return request.app.state.settings  # type: ignore[no-any-return]


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Engine = Annotated[AsyncEngine, Depends(get_engine)]
Clock = Annotated[_clock.Clock, Depends(get_clock)]
Settings = Annotated[_settings.Settings, Depends(get_settings)]
Page = Annotated[pagination.Page, Depends(pagination.paginator(10))]
LongPage = Annotated[pagination.Page, Depends(pagination.paginator(50))]

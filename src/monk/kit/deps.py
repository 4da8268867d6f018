"""FastAPI dependencies shared by every domain, declared once as ``Annotated`` types.

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
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit import aftercommit as _aftercommit  # noqa: F401 - installs the after-commit hooks on every session
from monk.kit.clock import Clock
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
    async with request.app.state.sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await commit(session)


def get_clock(request: Request) -> Clock:
    """The app's clock (injectable in tests)."""
    return request.app.state.clock


Session = Annotated[AsyncSession, Depends(get_session, scope="function")]

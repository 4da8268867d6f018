"""Side effects that must follow a commit: registered during a transaction, run after it commits.

Code that changes something others must hear about (wake the worker, later: dispatch webhooks)
calls ``after_commit(session, callback)`` inside the transaction. When the session's outermost
transaction commits, every callback registered on it runs once, in registration order; when it
rolls back, they are dropped and none runs. The same holds for requests (the session dependency
commits once, ``kit.deps``) and jobs (which commit per claimed item or batch): the hook is the
session's own ``after_commit`` event, so whoever commits, the callbacks follow.

Callbacks are plain synchronous functions that must not touch the database (the transaction is
over) and should be quick (set an event, schedule a task). One that raises is logged and does not
stop the others; the commit has happened either way. A callback registered inside a savepoint
that later rolls back still runs with the outer commit (the side effects here are wake-ups, for
which an extra one is harmless).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

log = structlog.get_logger("monk")

_KEY = "monk.after_commit"


def after_commit(session: AsyncSession | Session, callback: Callable[[], Any]) -> None:
    """Run ``callback()`` once after ``session``'s current transaction commits; never if it rolls back.

    With no transaction open yet, one is begun (no I/O: the connection is taken at the first query),
    so the callback belongs to the transaction that follows, not to a later one by accident."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if not sync.in_transaction():
        sync.begin()
    session.info.setdefault(_KEY, []).append(callback)


def pending(session: AsyncSession | Session) -> int:
    """How many callbacks wait for the session's commit (for tests and diagnostics)."""
    return len(session.info.get(_KEY, ()))


@event.listens_for(Session, "after_commit")
def _run(session: Session) -> None:
    callbacks = session.info.pop(_KEY, None)
    if not callbacks:
        return
    for callback in callbacks:
        try:
            callback()
        except Exception as exc:  # noqa: BLE001 - the commit stands; one failed side effect must not stop the rest
            log.exception("after-commit callback failed", callback=repr(callback), error=str(exc)[:200])


@event.listens_for(Session, "after_transaction_end")
def _drop(session: Session, transaction: SessionTransaction) -> None:
    # The outermost transaction ended: after a commit ``_run`` has taken the callbacks already;
    # after a rollback (or a close without commit) they are dropped here.
    if transaction.parent is None:
        session.info.pop(_KEY, None)

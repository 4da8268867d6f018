"""The job model every background job runs on: claim work in batches, isolate the item at fault,
set it aside with its error, retry it later with backoff.

A job (matching events, finalizing invoices, extending draft horizons…) hands ``run_isolated`` a
batch of item ids and a ``run`` coroutine that processes a batch in its own transaction (claiming
the rows again: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite, see
``kit.db``). The common path is one transaction for the whole batch. When it fails, the batch is
split in halves and each half is run again, down to the single item that fails on its own; that
item is handed to ``set_aside`` (which records the failure in its own transaction: the item shows
its error through the API and gets a ``retry_at``), and every other item is processed. A batch of
``n`` items with one poison item costs about ``2·log2(n)`` extra transactions.

Transient failures (the database unreachable, a deadlock or serialization failure) are not the
item's fault: they propagate, and the worker's loop retries the whole batch after a pause.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import structlog
from sqlalchemy.exc import DBAPIError

from monk.kit.db import is_connection_failure, is_retryable

log = structlog.get_logger("monk.jobs")

T = TypeVar("T")
MAX_ERROR_LENGTH = 500  # job_failures.error, invoices.processing_error


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: the ``n``-th consecutive failure of an item is retried
    ``base_seconds · 2^(n-1)`` seconds later, at most ``cap_seconds`` (30 s, 1 min, 2 min, … 1 h)."""

    base_seconds: float = 30.0
    cap_seconds: float = 3600.0

    def retry_at(self, now: datetime, attempts: int) -> datetime:
        """When to try an item again after its ``attempts``-th failure (``attempts`` ≥ 1)."""
        exponent = min(max(attempts - 1, 0), 30)
        return now + timedelta(seconds=min(self.cap_seconds, self.base_seconds * 2 ** exponent))


def is_transient(exc: BaseException) -> bool:
    """Whether ``exc`` is the database's trouble rather than the item's: a lost connection, a lock
    timeout, a deadlock or a serialization failure (retry the batch; set nothing aside)."""
    return is_connection_failure(exc) or is_retryable(exc)


def error_text(exc: BaseException, limit: int = MAX_ERROR_LENGTH) -> str:
    """``exc`` as one bounded line, ``Type: message`` (what a failure record and the API show); a
    database error is shown as the driver's own error, without the statement and its parameters."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


async def run_isolated(
    items: Sequence[T],
    run: Callable[[Sequence[T]], Awaitable[None]],
    set_aside: Callable[[T, BaseException], Awaitable[None]],
    *,
    job: str,
    known_failure: BaseException | None = None,
) -> int:
    """Run ``run(items)``; on failure split the batch until each failing item is alone, and call
    ``set_aside(item, error)`` for it. Returns how many items were set aside (0 on the common path).

    ``run`` must do its work in its own transaction and commit it (a failed ``run`` must leave
    nothing behind). ``known_failure``: the whole batch already failed with this error (the caller
    tried it in the claiming transaction), so splitting starts at once. Transient errors
    (``is_transient``) propagate. ``job`` names the job in logs."""
    if not items:
        return 0
    if known_failure is not None:
        if is_transient(known_failure):
            raise known_failure
        if len(items) == 1:
            await set_aside(items[0], known_failure)
            return 1
        log.debug("job batch failed; isolating the item at fault", job=job, size=len(items),
                 error=error_text(known_failure, 200))
        mid = len(items) // 2
        return (await run_isolated(items[:mid], run, set_aside, job=job)
                + await run_isolated(items[mid:], run, set_aside, job=job))
    try:
        await run(items)
    except Exception as exc:  # noqa: BLE001 - any item-specific failure is isolated, never fatal
        return await run_isolated(items, run, set_aside, job=job, known_failure=exc)
    return 0

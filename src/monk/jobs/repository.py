"""Queries on ``job_failures``: record an item a job set aside, find the items due for a retry,
forget the items that recovered. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.db import column_in, insert_for
from monk.kit.jobs import Backoff, error_text
from monk.models import JobFailure

FAILURES = cast(Table, JobFailure.__table__)

BACKOFF = Backoff()


async def record(session: AsyncSession, *, kind: str, item_id: str, org_id: str | None, group_id: str | None,
                 error: BaseException, now: datetime, backoff: Backoff = BACKOFF) -> JobFailure:
    """Record (or count one more) failure of ``item_id`` in job ``kind``: ``attempts`` goes up by one
    and ``retry_at`` is set by ``backoff``. Returns the record as it now stands."""
    table = FAILURES
    current = (await session.execute(select(JobFailure.attempts).where(
        JobFailure.kind == kind, JobFailure.item_id == item_id))).scalar_one_or_none()
    attempts = (current or 0) + 1
    values: dict[str, Any] = {"org_id": org_id, "group_id": group_id, "error": error_text(error),
                              "attempts": attempts, "last_failed_at": now,
                              "retry_at": backoff.retry_at(now, attempts)}
    stmt = insert_for(session, table).values(kind=kind, item_id=item_id, first_failed_at=now, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["kind", "item_id"], set_=values))
    return (await session.execute(select(JobFailure).where(JobFailure.kind == kind, JobFailure.item_id == item_id)
                                  .execution_options(populate_existing=True))).scalar_one()


async def hand_back_due(session: AsyncSession, kind: str, now: datetime, limit: int = 500) -> list[JobFailure]:
    """The failures of ``kind`` whose ``retry_at`` has come, marked as handed back to their job
    (``retry_at`` cleared, ``attempts`` kept so that a new failure backs off further)."""
    due = list((await session.execute(select(JobFailure).where(
        JobFailure.kind == kind, JobFailure.retry_at.is_not(None), JobFailure.retry_at <= now,
    ).order_by(JobFailure.retry_at).limit(limit))).scalars().all())
    if due:
        await session.execute(update(JobFailure).where(
            JobFailure.kind == kind, column_in(session, JobFailure.item_id, [f.item_id for f in due]),
        ).values(retry_at=None))
    return due


def held_back(kind: str, group_column: Any, now: datetime) -> Any:
    """A predicate for a job's claim: true when the row's group (``group_column``) has an item of
    ``kind`` waiting for its retry, so the group's later items wait behind it (oldest first)."""
    return exists().where(JobFailure.kind == kind, JobFailure.group_id == group_column,
                          JobFailure.retry_at.is_not(None), JobFailure.retry_at > now)


def is_waiting(kind: str, item_column: Any, now: datetime) -> Any:
    """A predicate: true when the row (``item_column``) itself waits for a retry of ``kind``."""
    return exists().where(JobFailure.kind == kind, JobFailure.item_id == item_column,
                          JobFailure.retry_at.is_not(None), JobFailure.retry_at > now)


async def clear(session: AsyncSession, kind: str, item_ids: list[str]) -> list[str]:
    """Forget the failures of items that have now been processed; returns the ids that had one."""
    if not item_ids:
        return []
    table = FAILURES
    return list((await session.execute(delete(table).where(
        table.c.kind == kind, column_in(session, table.c.item_id, item_ids)).returning(table.c.item_id))).scalars())


async def of_kind(session: AsyncSession, kind: str) -> list[JobFailure]:
    """Every failure record of ``kind`` (operators' view and tests)."""
    return list((await session.execute(select(JobFailure).where(JobFailure.kind == kind)
                                       .order_by(JobFailure.first_failed_at))).scalars().all())

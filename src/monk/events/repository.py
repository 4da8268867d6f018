"""All event queries: the idempotent upsert, the filtered listing, re-queueing unmatched events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import bulk_upsert, is_sqlite, one_of
from monk.kit.pagination import Page
from monk.models import Event, UsageRecord
from monk.models.statuses import EventStatus

KEY = ("org_id", "mode", "idempotency_key")
# Which customer an event names, as one value: the expression of the partial indexes
# ``ix_events_pending_customer`` (the worker's claim, ``events.tasks``) and ``ix_events_unmatched_customer``.
CUSTOMER_REF = func.coalesce(Event.customer_id, Event.external_customer_id, literal_column("''"))
# A status predicate written as a literal, not a bound parameter: PostgreSQL can use a partial index
# only when the plan itself says ``status = 'pending'``, and a prepared statement's generic plan
# (after five executions) with ``status = $1`` falls back to a sequential scan of every event.
IS_PENDING = Event.status == literal_column("'pending'")
MUTABLE = ("event_name", "customer_id", "external_customer_id", "contract_id", "timestamp", "properties",
           "received_at", "status", "unmatched_reason")


async def upsert_events(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert events; a row whose (org, mode, idempotency key) exists replaces it (last write wins).

    Rows must carry distinct keys (callers collapse duplicates, keeping the last). The replaced
    row keeps its id and becomes ``pending`` again, so the worker re-matches it. Uses the dialect's
    fastest path (``kit.db.bulk_upsert``: COPY + one upsert on PostgreSQL).
    """
    await bulk_upsert(session, Event.__table__, rows, conflict=KEY, update=MUTABLE)


async def list_page(
    session: AsyncSession, who: Principal, pg: Page, *, event_name: str | None, customer_id: str | None,
    external_customer_id: str | None, start: datetime | None, end: datetime | None, matched: bool | None,
) -> tuple[list[Event], int]:
    """One page of events, newest first, and the total matching the filters."""
    cond: list[Any] = [Event.org_id == who.org_id, Event.mode == who.mode]
    if event_name is not None:
        cond.append(Event.event_name == event_name)
    if customer_id is not None:
        cond.append(or_(Event.matched_customer_id == customer_id, Event.customer_id == customer_id))
    if external_customer_id is not None:
        cond.append(Event.external_customer_id == external_customer_id)
    if start is not None:
        cond.append(Event.timestamp >= start)
    if end is not None:
        cond.append(Event.timestamp < end)
    if matched is not None:
        cond.append(Event.status == (EventStatus.MATCHED if matched else EventStatus.UNMATCHED))
    total = (await session.execute(select(func.count()).select_from(Event).where(*cond))).scalar_one()
    rows = (await session.execute(
        select(Event).where(*cond).order_by(Event.timestamp.desc(), Event.id.desc()).limit(pg.limit).offset(pg.offset)
    )).scalars().all()
    return list(rows), total


async def matched_contracts(session: AsyncSession, event_ids: list[str]) -> dict[str, str]:
    """Event id → the contract its usage records bill (an event is matched to one contract), for the
    given events that have records; one indexed lookup (``ix_usage_records_event``) per page."""
    if not event_ids:
        return {}
    rows = (await session.execute(
        select(UsageRecord.event_id, UsageRecord.contract_id).where(one_of(session, UsageRecord.event_id, event_ids))
        .distinct()
    )).all()
    return {event_id: contract_id for event_id, contract_id in rows}


async def requeue_unmatched(
    session: AsyncSession, *, org_id: str, mode: str, customer_id: str, external_customer_id: str | None,
    start: datetime | None = None, end: datetime | None = None, wait_for_workers: bool = True,
) -> int:
    """Set the customer's ``unmatched`` events back to ``pending`` (reason cleared) so the worker
    matches them again; returns how many.

    "The customer's": events of ``org_id``/``mode`` naming it by ``customer_id``, or by
    ``external_customer_id`` (its current external id, when it has one). Only events whose
    ``timestamp`` lies in ``[start, end)`` (either bound may be None: open). Every unmatched reason
    is re-queued (the worker works out the current one; an event that still cannot match is simply
    unmatched again). Found through ``ix_events_unmatched_customer`` (only unmatched events).

    ``wait_for_workers`` (PostgreSQL): first lock the customer's *pending* events in the range,
    waiting for any worker batch that holds them to commit. A worker that claimed them before this
    transaction's change was visible would otherwise record them as unmatched after this statement
    ran, and they would stay so. Pending events locked here are claimed once this transaction
    commits, so they are matched on its state. Pass False while holding a contract lock a worker
    may wait for (it would deadlock): such a worker matches on the committed state anyway."""
    lock_pending, requeue = requeue_statements(org_id=org_id, mode=mode, customer_id=customer_id,
                                               external_customer_id=external_customer_id, start=start, end=end)
    if wait_for_workers and not is_sqlite(session):
        await session.execute(lock_pending)
    result = await session.execute(requeue)
    return int(result.rowcount or 0)


def requeue_statements(*, org_id: str, mode: str, customer_id: str, external_customer_id: str | None,
                       start: datetime | None, end: datetime | None) -> tuple[Any, Any]:
    """The two statements of ``requeue_unmatched``: lock the customer's pending events (waiting for
    workers that hold them; whatever their timestamp), and set its unmatched ones in the range back
    to pending. Rows are locked in id
    order, so two re-queues of one customer never wait on each other in a cycle."""
    refs = [customer_id] + ([external_customer_id] if external_customer_id else [])
    names: Any = Event.customer_id == customer_id
    if external_customer_id:
        names = or_(names, and_(Event.customer_id.is_(None), Event.external_customer_id == external_customer_id))
    # One equality per reference (not ``IN``): each is a range of the partial index, also under a
    # generic plan, which for an ``IN`` list prefers scanning the organization's events by time.
    cond: list[Any] = [Event.org_id == org_id, Event.mode == mode, or_(*(CUSTOMER_REF == r for r in refs)), names]
    if start is not None:
        cond.append(Event.timestamp >= start)
    if end is not None:
        cond.append(Event.timestamp < end)
    # Every pending event naming the customer, in any time range: found by customer reference alone
    # (``ix_events_pending_customer``); locking a few more than needed only delays their claim.
    lock_pending = (select(Event.id).where(IS_PENDING, *cond[:4])
                    .order_by(Event.id).with_for_update())
    unmatched = (select(Event.id).where(Event.status == literal_column("'unmatched'"), *cond)
                 .order_by(Event.id).with_for_update())
    table = Event.__table__
    requeue = (update(table).where(table.c.id.in_(unmatched.scalar_subquery()),
                                   table.c.status == literal_column("'unmatched'"))
               .values(status=EventStatus.PENDING, unmatched_reason=None))
    return lock_pending, requeue

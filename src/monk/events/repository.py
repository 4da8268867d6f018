"""All event queries: the idempotent upsert, the filtered listing, re-queueing unmatched events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Row, String, Table, and_, func, literal, literal_column, or_, select, true, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import bulk_upsert, claiming, column_in, is_sqlite
from monk.kit.pagination import Page
from monk.models import Contract, Customer, Event, JobFailure, UsageDay, UsageRecord
from monk.models.statuses import EventStatus

KEY = ("org_id", "mode", "idempotency_key")
EVENTS = cast(Table, Event.__table__)
# Which customer an event names, as one value: the expression of the partial indexes
# ``ix_events_pending_customer`` (the worker's claim, ``claim_pending``) and ``ix_events_unmatched_customer``.
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
    await bulk_upsert(session, EVENTS, rows, conflict=KEY, update=MUTABLE)


async def list_page(
    session: AsyncSession, principal: Principal, page: Page, *, event_name: str | None, customer_id: str | None,
    external_customer_id: str | None, start: datetime | None, end: datetime | None, matched: bool | None,
) -> tuple[list[Event], int]:
    """One page of events, newest first, and the total matching the filters."""
    cond: list[Any] = [Event.org_id == principal.org_id, Event.mode == principal.mode]
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
        select(Event).where(*cond).order_by(Event.timestamp.desc(), Event.id.desc())
        .limit(page.limit).offset(page.offset)
    )).scalars().all()
    return list(rows), total


async def matched_contracts(session: AsyncSession, event_ids: list[str]) -> dict[str, str]:
    """Event id → the contract its usage records bill (an event is matched to one contract), for the
    given events that have records; one indexed lookup (``ix_usage_records_event``) per page."""
    if not event_ids:
        return {}
    rows = (await session.execute(
        select(UsageRecord.event_id, UsageRecord.contract_id).where(column_in(session, UsageRecord.event_id, event_ids))
        .distinct()
    )).all()
    return {event_id: contract_id for event_id, contract_id in rows}


async def unmatched_count(session: AsyncSession, principal: Principal) -> int:
    """How many of the caller's events are unmatched (the partial index on unmatched events answers it)."""
    return int((await session.execute(select(func.count()).select_from(Event).where(
        Event.org_id == principal.org_id, Event.mode == principal.mode,
        Event.status == EventStatus.UNMATCHED))).scalar_one())

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
    result: CursorResult[Any] = await session.execute(requeue)  # type: ignore[assignment]
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
    table = EVENTS
    requeue = (update(table).where(table.c.id.in_(unmatched.scalar_subquery()),
                                   table.c.status == literal_column("'unmatched'"))
               .values(status=EventStatus.PENDING, unmatched_reason=None))
    return lock_pending, requeue


# What matching reads of an event (rows, not ORM objects: the worker touches thousands per batch).
CLAIM = (Event.id, Event.org_id, Event.mode, Event.event_name, Event.customer_id, Event.external_customer_id,
         Event.contract_id, Event.timestamp, Event.properties, Event.received_at, Event.matched_customer_id)


def pending_claim(where: Any, limit: int) -> Any:
    """Pending events matching ``where`` in customer order (``CUSTOMER_REF``), each customer's oldest
    first, locked (``kit.db.claiming``); read straight off ``ix_events_pending_customer`` in its own
    order (no sort). Columns: ``CLAIM``."""
    return claiming(select(*CLAIM).where(IS_PENDING, where).order_by(CUSTOMER_REF, Event.received_at).limit(limit))


async def claim_pending(session: AsyncSession, limit: int, *, after: str | None = None,
                        up_to: str | None = None) -> list[Row[Any]]:
    """Lock up to ``limit`` pending events (rows of ``CLAIM``) whose customer reference is greater
    than ``after`` (None: from the start) or, with ``up_to``, at most ``up_to``; rows another worker
    holds are skipped. Core execution: plain rows, none of the ORM's per-row work."""
    conn = await session.connection()
    where = CUSTOMER_REF <= up_to if up_to is not None else (CUSTOMER_REF > after if after is not None else true())
    return list((await conn.execute(pending_claim(where, limit))).all())


async def claim_listed(session: AsyncSession, event_ids: list[str]) -> list[Row[Any]]:
    """Lock the events of ``event_ids`` that are still pending (rows of ``CLAIM``), in the claim's
    order; rows another worker holds are skipped."""
    conn = await session.connection()
    return list((await conn.execute(pending_claim(column_in(session, Event.id, event_ids), len(event_ids)))).all())


async def record_outcomes(session: AsyncSession,
                          outcomes: dict[tuple[str, str | None, str | None], list[str]]) -> None:
    """Set each event's ``status``, ``unmatched_reason`` and ``matched_customer_id``, given as
    ``{(status, reason, customer id): [event id, …]}``: one statement on PostgreSQL (the values
    travel as arrays and are joined by event id), one per distinct outcome on SQLite."""
    table = EVENTS
    if is_sqlite(session) or len(outcomes) == 1:
        for (status, reason, customer_id), event_ids in outcomes.items():
            await session.execute(update(table).where(column_in(session, table.c.id, event_ids)).values(
                status=status, unmatched_reason=reason, matched_customer_id=customer_id))
        return
    columns: tuple[list[str | None], ...] = ([], [], [], [])
    for outcome, event_ids in outcomes.items():
        for event_id in event_ids:
            for values, value in zip(columns, (event_id, *outcome), strict=True):
                values.append(value)
    text_array = postgresql.ARRAY(String())
    given = select(*(func.unnest(literal(values, text_array)).label(name) for values, name in
                     zip(columns, ("id", "status", "reason", "customer_id"), strict=True))).subquery()
    await session.execute(update(table).where(table.c.id == given.c.id).values(
        status=given.c.status, unmatched_reason=given.c.reason, matched_customer_id=given.c.customer_id))


async def set_pending_unmatched(session: AsyncSession, event_id: str, reason: str) -> Row[Any] | None:
    """Mark the event ``unmatched`` with ``reason`` if it is still pending; returns its
    ``(org_id, matched_customer_id)`` or None when it is no longer pending."""
    table = EVENTS
    return (await session.execute(update(table).where(table.c.id == event_id, IS_PENDING).values(
        status=EventStatus.UNMATCHED, unmatched_reason=reason,
    ).returning(table.c.org_id, table.c.matched_customer_id))).one_or_none()


async def requeue_set_aside(session: AsyncSession, event_ids: list[str], reason_prefix: str) -> int:
    """Set the listed events that are ``unmatched`` with a reason starting ``reason_prefix`` back to
    ``pending`` (reason cleared); returns how many."""
    if not event_ids:
        return 0
    table = EVENTS
    result: CursorResult[Any] = await session.execute(update(table).where(  # type: ignore[assignment]
        column_in(session, table.c.id, event_ids), table.c.status == EventStatus.UNMATCHED,
        table.c.unmatched_reason.like(reason_prefix + "%"),
    ).values(status=EventStatus.PENDING, unmatched_reason=None))
    return int(result.rowcount or 0)


async def recovered_failures(session: AsyncSession, kind: str, reason_prefix: str) -> list[str]:
    """Event ids of the handed-back failure records of job ``kind`` whose event has since been
    matched or replaced (neither pending nor unmatched with a reason starting ``reason_prefix``)."""
    table = EVENTS
    handed_back = select(JobFailure.item_id).where(JobFailure.kind == kind, JobFailure.retry_at.is_(None))
    still_failing = select(table.c.id).where(
        table.c.id.in_(handed_back), (table.c.status == EventStatus.PENDING) | table.c.unmatched_reason.like(
            reason_prefix + "%"))
    return list((await session.execute(select(JobFailure.item_id).where(
        JobFailure.kind == kind, JobFailure.retry_at.is_(None), JobFailure.item_id.not_in(still_failing),
    ))).scalars())


async def customers_named(session: AsyncSession, org_id: str, mode: str, *, by_external: bool,
                          refs: list[str]) -> dict[str, str]:
    """Which customers events name: customer id by reference for ``refs`` in one organization and
    mode, the references being customer ids, or external customer ids when ``by_external``; unknown
    references are absent (one query)."""
    col = Customer.external_customer_id if by_external else Customer.id
    rows = (await session.execute(select(col.label("ref"), Customer.id.label("id")).where(
        Customer.org_id == org_id, Customer.mode == mode, column_in(session, col, refs)))).all()
    return {ref: cid for ref, cid in rows}


async def named_customer(session: AsyncSession, principal: Principal, *, customer_id: str | None = None,
                         external_customer_id: str | None = None) -> Customer | None:
    """The caller's customer an event reference names (by id when ``customer_id`` is given, else by
    external id), or None."""
    col, ref = (Customer.id, customer_id) if customer_id is not None else \
        (Customer.external_customer_id, external_customer_id or "")
    return (await session.execute(select(Customer).where(
        Customer.org_id == principal.org_id, Customer.mode == principal.mode, col == ref))).scalar_one_or_none()


async def repend_matched(session: AsyncSession, *, org_id: str, mode: str, customer_id: str,
                         since: datetime) -> None:
    """Send the events matched to ``customer_id`` with a timestamp at or after ``since`` back to
    ``pending``. Events a worker holds right now are skipped (``SKIP LOCKED``)."""
    affected = (select(Event.id).where(
        Event.org_id == org_id, Event.mode == mode, Event.matched_customer_id == customer_id,
        Event.timestamp >= since,
    ).with_for_update(skip_locked=True))
    await session.execute(update(Event).where(Event.id.in_(affected.scalar_subquery()))
                          .values(status=EventStatus.PENDING))


# --- The dashboard's usage pages (issue 15) -------------------------------------------------------------

IS_UNMATCHED = Event.status == literal_column(f"'{EventStatus.UNMATCHED.value}'")
BROWSE_STATUS: dict[str, Any] = {EventStatus.MATCHED: Event.status == literal_column(f"'{EventStatus.MATCHED.value}'"),
                                  EventStatus.UNMATCHED: IS_UNMATCHED, EventStatus.PENDING: IS_PENDING}


async def browse(
    session: AsyncSession, principal: Principal, *, status: str, limit: int, offset: int,
    customer_refs: list[str] | None = None, customer_id: str | None = None, event_name: str | None = None,
    reason: str | None = None,
    start: datetime | None = None, end: datetime | None = None,
) -> tuple[list[Event], bool]:
    """One page of the caller's events of ``status`` (``matched``, ``unmatched`` or ``pending``), newest
    first, and whether more follow: ``limit + 1`` rows are read, nothing is counted.

    ``customer_refs``: references as events carry them (Monk customer ids or external customer ids):
    events sent with one of them (through the partial indexes on unmatched and pending events); on the
    matched tab with ``customer_id``, the events matched to that customer instead, found through the usage
    records of its contracts (``ix_contracts_customer``, ``ix_usage_records_key``), so a customer with few
    events is not looked for by scanning every event. ``reason`` keeps unmatched events
    whose reason starts with it (a code such as ``NO_MATCHING_METER``). ``start``/``end``: inclusive and
    exclusive bounds of the event's ``timestamp``. The status is a literal (the partial indexes of
    pending and unmatched events serve those tabs; matched ones walk ``ix_events_org_mode_ts``)."""
    cond: list[Any] = [Event.org_id == principal.org_id, Event.mode == principal.mode, BROWSE_STATUS[status]]
    if status == EventStatus.MATCHED and customer_id:
        contracts = select(Contract.id).where(Contract.customer_id == customer_id, Contract.org_id == principal.org_id,
                                              Contract.mode == principal.mode)
        cond += [Event.matched_customer_id == customer_id,
                 Event.id.in_(select(UsageRecord.event_id).where(UsageRecord.contract_id.in_(contracts)))]
    elif customer_refs:
        cond.append(or_(*(CUSTOMER_REF == ref for ref in customer_refs)))
    if event_name:
        cond.append(Event.event_name == event_name)
    if reason:
        cond.append(Event.unmatched_reason.like(reason.replace("%", "").replace("_", "\\_") + "%", escape="\\"))
    if start is not None:
        cond.append(Event.timestamp >= start)
    if end is not None:
        cond.append(Event.timestamp < end)
    rows = list((await session.execute(
        select(Event).where(*cond).order_by(Event.timestamp.desc(), Event.id.desc()).limit(limit + 1).offset(offset)
    )).scalars().all())
    return rows[:limit], len(rows) > limit


async def count_up_to(session: AsyncSession, principal: Principal, status: str, cap: int) -> int:
    """How many of the caller's events have ``status``, counting at most ``cap`` (a tab's badge: the
    partial index of unmatched or pending events, never the whole table)."""
    capped = select(Event.id).where(Event.org_id == principal.org_id, Event.mode == principal.mode,
                                    BROWSE_STATUS[status]).limit(cap).subquery()
    return int((await session.execute(select(func.count()).select_from(capped))).scalar_one())


async def customer_labels(session: AsyncSession, principal: Principal, ids: list[str]) -> dict[str, tuple[str, str]]:
    """Customer id → ``(name, external customer id or "")`` for the caller's customers among ``ids``
    (one query for a page of events)."""
    if not ids:
        return {}
    rows = (await session.execute(select(Customer.id, Customer.name, Customer.external_customer_id).where(
        Customer.org_id == principal.org_id, Customer.mode == principal.mode,
        column_in(session, Customer.id, sorted(set(ids)))))).all()
    return {cid: (name, ext or "") for cid, name, ext in rows}


async def daily_usage(session: AsyncSession, meter_id: str, first: date, last: date) -> list[UsageDay]:
    """Meter ``meter_id``'s usage per UTC day from ``first`` to ``last`` (inclusive), in day order, days
    without usage left out: the day rows the worker keeps as it matches events (``invoicing.usage_days``),
    at most one row per day read through the table's primary key, whatever the volume of events.
    The caller checks that the meter is the principal's."""
    return list((await session.execute(select(UsageDay).where(
        UsageDay.meter_id == meter_id, UsageDay.day >= first, UsageDay.day <= last, UsageDay.count > 0)
        .order_by(UsageDay.day))).scalars().all())

"""Worker job: match newly accepted events to contracts and meters, then recompute the drafts they touch.

For each pending event: resolve the customer (by id or external id), pick the contract that covers
the event's timestamp (the pinned ``contractId`` if given), find the billing period, and test every
metered pricing's meter (event type and property filters, aggregation key). Accepted matches become
usage records; the event's previous records are replaced, so a resend that moved to another
period or meter recomputes both the old and the new invoice. An event that matches nothing is
marked ``unmatched`` with the reason. Everything happens in one transaction per batch; when a
batch fails, the worker isolates the event at fault (``kit.jobs``) and ``set_aside`` marks it
``unmatched`` with ``PROCESSING_ERROR: …`` until ``requeue_due`` hands it back after the backoff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import structlog
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.context import Phase
from monk.billing.matching import (
    REASON_DIMENSION_TOO_LONG,
    REASON_EVENT_NAME_EXCLUDED,
    REASON_EVENT_NAME_NOT_INCLUDED,
    MeterSpec,
    bounded_reason,
    match_event,
)
from monk.events import repository as event_store
from monk.invoicing import repository as store
from monk.invoicing import rollups, usage_days
from monk.invoicing.context import ContractBilling
from monk.invoicing.service import load_billing, load_billings, touch_usage
from monk.jobs import repository as failures
from monk.kit.jobs import error_text
from monk.meters.service import meter_spec
from monk.models import JobFailure
from monk.models.statuses import EventStatus, JobKind, MeterStatus

log = structlog.get_logger("monk.worker")

# The claim serves pending events customer by customer (``events.repository.CUSTOMER_REF``: an id
# and an external id that happen to be equal merely share a turn), off the partial index
# ``ix_events_pending_customer``; the rows it reads are ``events.repository.CLAIM``.
MAX_DIMENSION_KEY_LENGTH = 1000  # usage_records.dimension_key, usage_rollups.dimension_key
JOB = JobKind.MATCH  # the job's name in failure records (job_failures.kind)
PROCESSING_ERROR = "PROCESSING_ERROR"


class ClaimCursor:
    """Where the claim's round robin over customers stands: the customer reference served last
    (``None`` before the first claim). One per worker; losing it only restarts the rotation."""

    def __init__(self) -> None:
        self.after: str | None = None


async def claim(session: AsyncSession, batch_size: int, cursor: ClaimCursor) -> list[Row[Any]]:
    """Lock up to ``batch_size`` pending events, customer by customer in a round robin that starts
    after the customer served last (in customer-reference order, wrapping around), each customer's
    oldest first.

    Fair by customer, not first-in-first-out: while one customer's burst of a million events is
    being worked off, another customer's event waits for at most one batch, not for the whole
    backlog ahead of it. Every pending customer is reached within one rotation, and a customer
    is served for as long as the batch has room, so a lone backlog still moves in full batches.
    At most two index range scans; rows another worker holds are skipped (``SKIP LOCKED``)."""
    after = cursor.after
    rows = await event_store.claim_pending(session, batch_size, after=after)
    if len(rows) < batch_size and after is not None:  # wrap around: the start, up to the cursor
        rows += await event_store.claim_pending(session, batch_size - len(rows), up_to=after)
    if rows:
        cursor.after = _customer_key(rows[-1])[3]  # the reference CUSTOMER_REF computes in SQL
    return rows


def _customer_key(ev: Row[Any]) -> tuple[str, str, str, str]:
    """How an event names its customer: (org, mode, "id"|"ext", reference)."""
    if ev.customer_id:
        return ev.org_id, ev.mode, "id", ev.customer_id
    return ev.org_id, ev.mode, "ext", ev.external_customer_id or ""


class _Resolver:
    """The batch's customers, their contracts and the contracts' billing context, loaded once per
    batch (``load``) so that matching each event is plain synchronous Python."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.customers: dict[tuple[str, str, str, str], str | None] = {}  # key → customer id
        self.contracts: dict[str, list[ContractBilling]] = {}
        self.matchers: dict[str, list[_Matcher]] = {}  # by phase id, for this batch

    async def load(self, keys: list[tuple[str, str, str, str]]) -> None:
        """Resolve every customer the events name (one query per kind of reference), lock their
        contracts (``invoicing.repository.lock``: a concurrent plan change, re-rating or finalization of one of
        them finishes first) and only then load the contracts' billing context, so the drafts this
        batch rebuilds use what is committed now. A handful of queries however many customers the
        batch names (a stream of single events names many)."""
        wanted: dict[tuple[str, str, str], list[str]] = {}
        for org_id, mode, by, ref in dict.fromkeys(keys):
            wanted.setdefault((org_id, mode, by), []).append(ref)
        for (org_id, mode, by), refs in wanted.items():
            found = await event_store.customers_named(self.session, org_id, mode, by_external=by != "id",
                                                      refs=refs)
            for ref in refs:
                self.customers[(org_id, mode, by, ref)] = found.get(ref)
        customer_ids = sorted({c for c in self.customers.values() if c is not None})
        await store.lock(self.session, customer_ids=customer_ids)
        by_customer = await store.of_customers(self.session, customer_ids)
        loaded = await load_billings(self.session, [c for cs in by_customer.values() for c in cs])
        self.contracts = {cid: [] for cid in customer_ids}
        for billing in loaded:  # in each customer's contract order
            self.contracts[billing.contract.customer_id].append(billing)


@dataclass(frozen=True)
class _Matcher:
    """One meter of a phase, reduced to what matching needs (no ORM attribute access per event)."""

    meter_id: str
    code: str
    spec: MeterSpec
    grouped: bool
    archived_at: datetime | None
    inactive: bool


def _phase_matchers(billing: ContractBilling, phase: Phase) -> list[_Matcher]:
    """The distinct meters of a phase's metered pricing, in pricing order."""
    return [_Matcher(m.id, m.code, meter_spec(m), bool(m.group_keys), m.archived_at,
                     m.status != MeterStatus.ACTIVE or m.archived_at is not None)
            for m in (billing.meters[i] for i in billing.meter_ids(phase))]


def _records(ev: Row[Any], billing: ContractBilling, period_start: date,
             matchers: dict[str, list[_Matcher]]) -> tuple[list[dict[str, Any]], str | None]:
    """Usage records of ``ev`` for the metered pricing of the contract phase in force at its
    timestamp, or ``([], reason)``. A meter archived after the event was received still counts it."""
    reasons: list[str] = []
    out: list[dict[str, Any]] = []
    phase = billing.phase_at(ev.timestamp)
    day = ev.timestamp.astimezone(UTC).date()
    properties = ev.properties or {}
    found = matchers.get(phase.id)
    if found is None:
        found = matchers[phase.id] = _phase_matchers(billing, phase)
    for mt in found:
        if mt.inactive and (mt.archived_at is None or ev.received_at >= mt.archived_at):
            reasons.append(f"{mt.code}: METER_INACTIVE")
            continue
        m = match_event(mt.spec, ev.event_name, properties)
        if not m.accepted:
            reasons.append(f"{mt.code}: {m.reason}")
            continue
        dim_key = json.dumps(dict(m.dimensions), separators=(",", ":")) if mt.grouped else ""
        if len(dim_key) > MAX_DIMENSION_KEY_LENGTH:
            reasons.append(f"{mt.code}: {REASON_DIMENSION_TOO_LONG}")
            continue
        out.append({"event_id": ev.id, "contract_id": billing.contract.id, "meter_id": mt.meter_id,
                    "period_start": period_start, "phase_id": phase.id, "dimension_key": dim_key, "day": day,
                    "value": m.value})
    if out:
        return out, None
    if not reasons:
        return [], "NO_METER_IN_PLAN"
    # The meters that listen to this event name say the most: they come first if the reason is cut.
    reasons.sort(key=lambda r: r.endswith((REASON_EVENT_NAME_NOT_INCLUDED, REASON_EVENT_NAME_EXCLUDED)))
    return [], bounded_reason("NO_MATCHING_METER", "; ".join(reasons))


def _match(ev: Row[Any], key: tuple[str, str, str, str],
           resolver: _Resolver) -> tuple[list[dict[str, Any]], str | None, str | None]:
    """``(records, unmatched_reason, customer_id)`` for one event whose customer reference is
    ``key`` (``_customer_key``), after ``resolver.load``."""
    customer_id = resolver.customers[key]
    if customer_id is None:
        return [], "CUSTOMER_NOT_FOUND", None
    candidates = [b for b in resolver.contracts[customer_id]
                  if ev.contract_id is None or b.contract.id == ev.contract_id]
    if ev.contract_id is not None and not candidates:
        return [], "CONTRACT_NOT_FOUND", customer_id
    last_reason = "NO_CONTRACT_COVERS_TIMESTAMP"
    for billing in candidates:
        period = billing.period_at(ev.timestamp)
        if period is None:
            continue
        records, reason = _records(ev, billing, period.start, resolver.matchers)
        if records:
            return records, None, customer_id
        last_reason = reason or last_reason
    return [], last_reason, customer_id


async def claim_ids(session: AsyncSession, event_ids: list[str]) -> list[Row[Any]]:
    """Lock the events of ``event_ids`` that are still pending (a retry of part of a failed batch),
    in the claim's order; rows another worker holds are skipped."""
    return await event_store.claim_listed(session, event_ids)


async def match_pending(session: AsyncSession, *, now: datetime, batch_size: int,
                        cursor: ClaimCursor | None = None) -> int:
    """Claim up to ``batch_size`` pending events (``claim``; pass the worker's ``cursor`` to keep the
    round robin over customers going) and ``match_events`` them. Returns how many events were
    processed (0 = nothing to do). The caller commits."""
    events = await claim(session, batch_size, cursor or ClaimCursor())
    if events:
        await match_events(session, events, now=now)
    return len(events)


async def match_events(session: AsyncSession, events: list[Row[Any]], *, now: datetime) -> None:
    """Match claimed events (rows of ``CLAIM``) and recompute the drafts they touch. The caller
    commits. Any failure (a value the database refuses, a draft that cannot be rebuilt, a bug)
    raises and leaves the transaction to be rolled back: the worker then isolates the event at
    fault (``kit.jobs.run_isolated``) instead of marking events matched whose draft is stale.

    Plain rows and Core statements throughout (no ORM objects per event): this is the worker's
    per-event path, and on PostgreSQL id lists travel as one array parameter (``kit.db.column_in``).
    """
    old = await store.forget_usage(session, [e.id for e in events if e.matched_customer_id is not None])
    dirty: set[tuple[str, date]] = {(r["contract_id"], r["period_start"]) for r in old}
    resolver = _Resolver(session)
    keys = [_customer_key(ev) for ev in events]
    await resolver.load(keys)
    new_records: list[dict[str, Any]] = []
    outcomes: dict[tuple[str, str | None, str | None], list[str]] = {}
    for ev, key in zip(events, keys, strict=True):
        found, reason, customer_id = _match(ev, key, resolver)
        new_records.extend(found)
        dirty.update((r["contract_id"], r["period_start"]) for r in found)
        status = EventStatus.MATCHED if found else EventStatus.UNMATCHED
        outcomes.setdefault((status, reason, customer_id), []).append(ev.id)
    await event_store.record_outcomes(session, outcomes)
    await store.insert_usage(session, new_records)
    kinds = await store.aggregations(session, {r["meter_id"] for r in (*new_records, *old)})
    await rollups.apply(session, added=new_records, removed=old, kinds=kinds)
    billings = {b.contract.id: b for bs in resolver.contracts.values() for b in bs}
    for contract_id, period_start in sorted(dirty):
        billing = billings.get(contract_id)
        if billing is None:
            contract = await store.contract(session, contract_id)
            if contract is None:
                continue
            billing = billings[contract_id] = await load_billing(session, contract)
        await touch_usage(session, billing, period_start, now=now)
    # last: a day row is shared by every contract of its meter, so it is held as briefly as possible
    await usage_days.apply(session, added=new_records, removed=old, kinds=kinds)


async def set_aside(session: AsyncSession, event_id: str, error: BaseException, *, now: datetime) -> JobFailure | None:
    """The event failed on its own: mark it ``unmatched`` with reason ``PROCESSING_ERROR: <error>``
    (visible in ``GET /v1/events``) and record the failure, so ``requeue_due`` hands it back to
    matching after the backoff. An earlier version of the event that was matched (a resend) no
    longer counts either (``_withdraw``): an unmatched event is never billed. ``None`` when the
    event is no longer pending (a resend replaced it, or another worker took it). The caller commits."""
    reason = bounded_reason(PROCESSING_ERROR, error_text(error))
    row = await event_store.set_pending_unmatched(session, event_id, reason)
    if row is None:
        return None
    if row.matched_customer_id is not None:
        await _withdraw(session, event_id, now=now)
    return await failures.record(session, kind=JOB, item_id=event_id, org_id=row.org_id, group_id=None,
                                 error=error, now=now)


async def _withdraw(session: AsyncSession, event_id: str, *, now: datetime) -> None:
    """Take an event's usage records out of its rollups and drafts (in a savepoint: when that fails
    too, the records stay until the event's retry replaces them, and the failure is logged)."""
    try:
        async with session.begin_nested():
            old = await store.forget_usage(session, [event_id])
            kinds = await store.aggregations(session, {r["meter_id"] for r in old})
            await rollups.apply(session, added=[], removed=old, kinds=kinds)
            await usage_days.apply(session, added=[], removed=old, kinds=kinds)
            for contract_id, period_start in sorted({(r["contract_id"], r["period_start"]) for r in old}):
                contract = await store.contract(session, contract_id)
                if contract is not None:
                    await touch_usage(session, await load_billing(session, contract), period_start, now=now)
    except Exception as exc:  # noqa: BLE001 - the event is set aside either way
        log.error("usage of an event set aside could not be withdrawn", event_id=event_id, error=error_text(exc))


async def requeue_due(session: AsyncSession, *, now: datetime) -> tuple[int, list[str]]:
    """Hand the events set aside whose retry time has come back to matching (``pending`` again),
    and forget the failures of events that have since been matched or replaced. Returns
    ``(requeued, recovered event ids)``. The caller commits."""
    due = [f.item_id for f in await failures.hand_back_due(session, JOB, now)]
    requeued = await event_store.requeue_set_aside(session, due, PROCESSING_ERROR)
    recovered = await event_store.recovered_failures(session, JOB, PROCESSING_ERROR)
    await failures.clear(session, JOB, recovered)
    return requeued, recovered

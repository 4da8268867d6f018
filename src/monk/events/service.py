"""Event ingestion rules (reference §4): the one builder of event rows (defaults, duplicate collapsing),
used by the Events API and the legacy usage shim; re-queueing a customer's unmatched events for
matching. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils import uuid7

from monk.events import repository
from monk.events.schemas import RematchIn, ValidEvent
from monk.kit.auth import Principal
from monk.kit.errors import NotFound
from monk.kit.notify import announce
from monk.models import Customer
from monk.models.statuses import EventStatus


def to_rows(principal: Principal, events: list[ValidEvent], now: datetime) -> list[dict[str, Any]]:
    """Rows for the events table, ``pending`` and received at ``now`` (the only place event rows are
    built); a missing key gets a UUID, a missing timestamp ``now``.

    Duplicates of one idempotency key inside the list collapse to the last one (§4.1: the
    most recent version wins). Ids are UUIDv7 strings (time-ordered).
    """
    rows: dict[str, dict[str, Any]] = {}
    org, mode = principal.org_id, principal.mode
    for name, cid, ext, contract, key, ts, props in events:
        if key is None:
            key = str(uuid7())
        rows[key] = {
            "id": str(uuid7()), "org_id": org, "mode": mode, "idempotency_key": key, "event_name": name,
            "customer_id": cid, "external_customer_id": ext, "contract_id": contract,
            "timestamp": ts or now, "properties": props, "received_at": now, "status": EventStatus.PENDING,
            "unmatched_reason": None,
        }
    return list(rows.values())


async def requeue_customer(session: AsyncSession, customer: Customer, *, start: datetime | None,
                           end: datetime | None, wait_for_workers: bool = True) -> int:
    """Send ``customer``'s unmatched events with a timestamp in ``[start, end)`` (None: open) back
    to the worker (``repository.requeue_unmatched``: events naming it by id or by its current
    external id) and wake a worker in another process once this transaction commits (the caller
    wakes an in-process one after its commit). Returns how many were re-queued."""
    n = await repository.requeue_unmatched(
        session, org_id=customer.org_id, mode=customer.mode, customer_id=customer.id,
        external_customer_id=customer.external_customer_id, start=start, end=end,
        wait_for_workers=wait_for_workers)
    if n:
        await announce(session)
    return n


async def rematch(session: AsyncSession, principal: Principal, body: RematchIn) -> int:
    """``POST /v1/events/rematch``: re-queue the unmatched events of one customer (by ``customerId``
    or ``externalCustomerId``) whose timestamp lies in ``[start, end)``; returns how many.

    Raises ``ValidationFailed`` (400: both or neither customer identifier, ``start >= end``, more
    than 366 days) and ``NotFound`` (404: no such customer in the caller's organization and mode).
    Events that name an external id no customer has are not touched: nothing could match them."""
    start, end = body.checked()
    if body.customer_id is not None:
        customer = await repository.named_customer(session, principal, customer_id=body.customer_id)
        ref = f"Customer '{body.customer_id}'"
    else:
        customer = await repository.named_customer(
            session, principal, external_customer_id=body.external_customer_id)
        ref = f"Customer with externalCustomerId '{body.external_customer_id}'"
    if customer is None:
        raise NotFound(f"{ref} not found")
    return await requeue_customer(session, customer, start=start, end=end)

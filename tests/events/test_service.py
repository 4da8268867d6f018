"""``events.service`` on a real database, called directly: the one event-row builder (``to_rows``:
defaults, duplicates collapsing to the last), storing its rows (a resent key replaces the event and
makes it pending again), and re-queueing a customer's unmatched events (``rematch``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.events import repository, service
from monk.events.schemas import RematchIn, ValidEvent
from monk.kit.auth import Principal
from monk.kit.errors import NotFound, ValidationFailed
from monk.models import Event
from tests import storage as build

NOW = build.T0  # 2026-01-15 12:00 UTC
AT = datetime(2026, 1, 10, 8, 30, tzinfo=UTC)


def ev(key: str | None, *, ts: datetime | None = AT, **props: object) -> ValidEvent:
    return ValidEvent("api_call", None, "acme", None, key, ts, dict(props))


def test_rows_carry_the_defaults(who: Principal) -> None:
    rows = service.to_rows(who, [ev("a", tokens=3), ev(None, ts=None)], NOW)
    assert len(rows) == 2
    first, second = rows
    assert {k: v for k, v in first.items() if k != "id"} == {
        "org_id": who.org_id, "mode": "live", "idempotency_key": "a", "event_name": "api_call",
        "customer_id": None, "external_customer_id": "acme", "contract_id": None, "timestamp": AT,
        "properties": {"tokens": 3}, "received_at": NOW, "status": "pending", "unmatched_reason": None}
    assert second["timestamp"] == NOW and len(second["idempotency_key"]) == 36  # a UUID
    assert first["id"] != second["id"] and second["idempotency_key"] != first["idempotency_key"]


def test_duplicates_collapse_to_the_last(who: Principal) -> None:
    rows = service.to_rows(who, [ev("a", n=1), ev("b", n=2), ev("a", n=3)], NOW)
    assert [(r["idempotency_key"], r["properties"]) for r in rows] == [("a", {"n": 3}), ("b", {"n": 2})]


async def _stored(session: AsyncSession) -> dict[str, tuple[str, dict[str, object], str | None]]:
    session.expunge_all()
    rows = (await session.execute(select(Event))).scalars()
    return {e.idempotency_key: (e.status, e.properties, e.unmatched_reason) for e in rows}


async def test_stored_rows_and_a_resent_key_replaces_the_event(session: AsyncSession, who: Principal) -> None:
    await repository.upsert_events(session, service.to_rows(who, [ev("a", n=1), ev("b", n=2)], NOW))
    assert await _stored(session) == {"a": ("pending", {"n": 1}, None), "b": ("pending", {"n": 2}, None)}
    first_id = (await session.execute(select(Event.id).where(Event.idempotency_key == "a"))).scalar_one()
    await session.execute(Event.__table__.update().where(Event.idempotency_key == "a")
                          .values(status="unmatched", unmatched_reason="CUSTOMER_NOT_FOUND"))
    await repository.upsert_events(session, service.to_rows(who, [ev("a", n=5)], NOW + timedelta(minutes=1)))
    assert await _stored(session) == {"a": ("pending", {"n": 5}, None), "b": ("pending", {"n": 2}, None)}
    assert (await session.execute(select(Event.id).where(Event.idempotency_key == "a"))).scalar_one() == first_id


async def test_rematch_requeues_the_customers_unmatched_events_in_range(session: AsyncSession, who: Principal,
                                                                       stranger: Principal) -> None:
    cust = await build.customer(session, who, external_id="acme")
    lost = {"status": "unmatched", "reason": "CUSTOMER_NOT_FOUND"}
    await build.event(session, who, "by-external", external_id="acme", timestamp=AT, **lost)
    await build.event(session, who, "by-id", customer_id=cust.id, timestamp=AT + timedelta(days=1), **lost)
    await build.event(session, who, "before", external_id="acme", timestamp=datetime(2025, 12, 31, tzinfo=UTC),
                      **lost)
    await build.event(session, who, "at-end", external_id="acme", timestamp=datetime(2026, 2, 1, tzinfo=UTC), **lost)
    await build.event(session, who, "other", external_id="globex", timestamp=AT, **lost)
    await build.event(session, stranger, "foreign", external_id="acme", timestamp=AT, **lost)
    january = {"start": "2026-01-01", "end": "2026-02-01"}
    assert await service.rematch(session, who, RematchIn.model_validate({"customerId": cust.id, **january})) == 2
    assert {k: s for k, (s, _, _) in (await _stored(session)).items()} == {
        "by-external": "pending", "by-id": "pending", "before": "unmatched", "at-end": "unmatched",
        "other": "unmatched", "foreign": "unmatched"}
    again = RematchIn.model_validate({"externalCustomerId": "acme", "start": "2025-12-01", "end": "2026-03-01"})
    assert await service.rematch(session, who, again) == 2  # "before" and "at-end"


async def test_rematch_refusals(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    cust = await build.customer(session, who, external_id="acme")
    january = {"start": "2026-01-01", "end": "2026-02-01"}
    with pytest.raises(NotFound, match=f"Customer '{cust.id}' not found"):
        await service.rematch(session, stranger, RematchIn.model_validate({"customerId": cust.id, **january}))
    with pytest.raises(NotFound, match="externalCustomerId 'nobody' not found"):
        await service.rematch(session, who, RematchIn.model_validate({"externalCustomerId": "nobody", **january}))
    with pytest.raises(ValidationFailed, match="exactly one of customerId and externalCustomerId"):
        await service.rematch(session, who, RematchIn.model_validate(
            {"customerId": cust.id, "externalCustomerId": "acme", **january}))
    with pytest.raises(ValidationFailed, match="end: must be after start"):
        await service.rematch(session, who, RematchIn.model_validate(
            {"customerId": cust.id, "start": "2026-02-01", "end": "2026-01-01"}))
    with pytest.raises(ValidationFailed, match="at most 366 days"):
        await service.rematch(session, who, RematchIn.model_validate(
            {"customerId": cust.id, "start": "2025-01-01", "end": "2026-02-01"}))

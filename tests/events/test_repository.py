"""``events.repository`` on a real database: the idempotent upsert (last write wins, the row keeps
its id and is matched again), the filtered listing newest first, the contracts events were matched
to, and re-queueing a customer's unmatched events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from monk.events import repository
from monk.kit.auth import Principal
from monk.kit.pagination import Page
from monk.models import Event, UsageRecord
from tests import storage as build

T = datetime(2026, 1, 10, tzinfo=UTC)


async def _by_key(session: AsyncSession, who: Principal) -> dict[str, Event]:
    session.expunge_all()
    rows = (await session.execute(select(Event).where(Event.org_id == who.org_id))).scalars().all()
    return {e.idempotency_key: e for e in rows}


async def test_upsert_inserts_then_replaces_keeping_the_id(session: AsyncSession, who: Principal,
                                                           stranger: Principal) -> None:
    first = [build.event_row(who, "k1", external_id="acme", tokens=1), build.event_row(who, "k2", external_id="acme"),
             build.event_row(stranger, "k1", external_id="acme")]
    await repository.upsert_events(session, first)
    stored = await _by_key(session, who)
    assert sorted(stored) == ["k1", "k2"] and stored["k1"].properties == {"tokens": 1}
    original = stored["k1"].id
    await session.execute(Event.__table__.update().where(Event.id == original).values(
        status="unmatched", unmatched_reason="CUSTOMER_NOT_FOUND"))
    resend = build.event_row(who, "k1", name="other", external_id="globex", timestamp=T, tokens=5,
                             received_at=T + timedelta(days=1))
    await repository.upsert_events(session, [resend])
    got = (await _by_key(session, who))["k1"]
    assert (got.id, got.event_name, got.external_customer_id, got.timestamp, got.properties, got.received_at,
            got.status, got.unmatched_reason) == (original, "other", "globex", T, {"tokens": 5},
                                                  T + timedelta(days=1), "pending", None)
    assert len(await _by_key(session, stranger)) == 1


async def test_list_page_newest_first_with_filters(session: AsyncSession, who: Principal,
                                                   stranger: Principal) -> None:
    at = [T + timedelta(hours=h) for h in range(4)]
    a = await build.event(session, who, "a", external_id="acme", timestamp=at[0], status="matched")
    b = await build.event(session, who, "b", name="tokens", customer_id="cust-1", timestamp=at[1],
                          status="unmatched", reason="NO_METER")
    c = await build.event(session, who, "c", external_id="acme", timestamp=at[2])
    d = await build.event(session, who, "d", external_id="acme", timestamp=at[3], status="matched")
    d.matched_customer_id = "cust-1"
    await build.event(session, stranger, "a", external_id="acme", timestamp=at[0])
    await session.flush()
    nothing = {"event_name": None, "customer_id": None, "external_customer_id": None, "start": None, "end": None,
               "matched": None}

    async def keys(page: Page = Page(limit=10, offset=0), **filters: object) -> tuple[list[str], int]:
        rows, total = await repository.list_page(session, who, page, **{**nothing, **filters})
        return [e.idempotency_key for e in rows], total

    assert await keys() == (["d", "c", "b", "a"], 4)
    assert await keys(Page(limit=2, offset=1)) == (["c", "b"], 4)
    assert await keys(event_name="tokens") == (["b"], 1)
    assert await keys(customer_id="cust-1") == (["d", "b"], 2)  # as sent or as matched
    assert await keys(external_customer_id="acme") == (["d", "c", "a"], 3)
    assert await keys(start=at[1], end=at[3]) == (["c", "b"], 2)  # [start, end)
    assert await keys(matched=True) == (["d", "a"], 2)
    assert await keys(matched=False) == (["b"], 1)  # pending is neither
    assert {a.id, b.id, c.id, d.id} == {e.id for e in (await repository.list_page(
        session, who, Page(limit=10, offset=0), **nothing))[0]}


async def test_matched_contracts(session: AsyncSession, who: Principal) -> None:
    e1, e2, e3 = [await build.event(session, who, k) for k in ("e1", "e2", "e3")]
    for meter in ("m1", "m2"):  # one event, two meters, one contract
        session.add(UsageRecord(event_id=e1.id, contract_id="c1", meter_id=meter, period_start=T.date(), day=T.date()))
    session.add(UsageRecord(event_id=e2.id, contract_id="c2", meter_id="m1", period_start=T.date(), day=T.date()))
    await session.flush()
    assert await repository.matched_contracts(session, [e1.id, e2.id, e3.id]) == {e1.id: "c1", e2.id: "c2"}
    assert await repository.matched_contracts(session, []) == {}


async def test_requeue_unmatched_sends_the_customers_events_back(session: AsyncSession, who: Principal,
                                                                 stranger: Principal) -> None:
    lost = {"status": "unmatched", "reason": "CUSTOMER_NOT_FOUND"}
    await build.event(session, who, "by-id", customer_id="cust-1", timestamp=T, **lost)
    await build.event(session, who, "by-ext", external_id="acme", timestamp=T + timedelta(days=1), **lost)
    await build.event(session, who, "late", external_id="acme", timestamp=T + timedelta(days=40), **lost)
    await build.event(session, who, "other-id-same-ext", customer_id="cust-2", external_id="acme", timestamp=T,
                      **lost)
    await build.event(session, who, "someone-else", external_id="globex", timestamp=T, **lost)
    await build.event(session, who, "matched", external_id="acme", status="matched", timestamp=T)
    await build.event(session, stranger, "theirs", external_id="acme", timestamp=T, **lost)
    n = await repository.requeue_unmatched(session, org_id=who.org_id, mode=who.mode, customer_id="cust-1",
                                           external_customer_id="acme", start=T, end=T + timedelta(days=30))
    assert n == 2
    got = {k: (e.status, e.unmatched_reason) for k, e in (await _by_key(session, who)).items()}
    assert got == {"by-id": ("pending", None), "by-ext": ("pending", None),
                   "late": ("unmatched", "CUSTOMER_NOT_FOUND"),
                   "other-id-same-ext": ("unmatched", "CUSTOMER_NOT_FOUND"),  # names another customer by id
                   "someone-else": ("unmatched", "CUSTOMER_NOT_FOUND"), "matched": ("matched", None)}
    assert (await _by_key(session, stranger))["theirs"].status == "unmatched"
    assert await repository.requeue_unmatched(session, org_id=who.org_id, mode=who.mode, customer_id="cust-1",
                                              external_customer_id=None) == 0  # none left by id

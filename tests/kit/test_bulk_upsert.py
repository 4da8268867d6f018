"""``kit.db.bulk_upsert``: the dialect's fastest upsert keeps last-write-wins semantics on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, text, update

from monk.events.repository import KEY, MUTABLE
from monk.kit.db import _PG_EPOCH, _pg_micros, bulk_upsert, column_in, create_engine, session_factory
from monk.models import Event

NOW = datetime(2026, 1, 15, 12, 30, 1, 250_000, tzinfo=UTC)


def _rows(version: int, keys: range) -> list[dict[str, object]]:
    return [{"id": f"id-{version}-{k}", "org_id": "org", "mode": "live", "idempotency_key": f"k{k}",
             "event_name": "api_call", "customer_id": None, "external_customer_id": "acme", "contract_id": None,
             "timestamp": NOW, "properties": {"v": version, "name": "é"}, "received_at": NOW, "status": "pending",
             "unmatched_reason": None} for k in keys]


async def test_bulk_upsert_inserts_replaces_and_rolls_back(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as s:
            await bulk_upsert(s, Event.__table__, _rows(1, range(0, 2500)), conflict=KEY, update=MUTABLE)
            # A second call in the same transaction, overlapping the first.
            await bulk_upsert(s, Event.__table__, _rows(2, range(2000, 3000)), conflict=KEY, update=MUTABLE)
            await s.commit()
        async with sessions() as s:
            await bulk_upsert(s, Event.__table__, _rows(3, range(0, 3000)), conflict=KEY, update=MUTABLE)
            await s.rollback()
        async with sessions() as s:
            await bulk_upsert(s, Event.__table__, _rows(4, range(2900, 3100)), conflict=KEY, update=MUTABLE)
            await s.commit()
        async with sessions() as s:
            rows = {r.idempotency_key: r for r in (await s.execute(
                Event.__table__.select().where(Event.org_id == "org"))).all()}
            raw_ts = (await s.execute(text("SELECT timestamp FROM events WHERE idempotency_key = 'k0'"))).scalar_one()
    finally:
        await engine.dispose()
    assert len(rows) == 3100
    assert rows["k0"].properties == {"v": 1, "name": "é"} and rows["k0"].id == "id-1-0"
    assert rows["k2000"].properties["v"] == 2 and rows["k2000"].id == "id-1-2000"  # the row keeps its id
    assert rows["k2950"].properties["v"] == 4 and rows["k3050"].properties["v"] == 4
    assert rows["k0"].timestamp == NOW and rows["k0"].received_at == NOW
    if database_url.startswith("sqlite"):
        assert raw_ts == "2026-01-15 12:30:01.250000"  # the ORM's own storage format


async def test_column_in_selects_updates_and_deletes_exactly_the_listed_rows(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    table = Event.__table__
    try:
        async with sessions() as s:
            await bulk_upsert(s, table, _rows(1, range(0, 3000)), conflict=KEY, update=MUTABLE)
            await s.commit()
        wanted = [f"id-1-{k}" for k in range(0, 3000, 3)]  # more ids than one statement's usual binds
        async with sessions() as s:
            picked = (await s.execute(select(table.c.id).where(column_in(s, table.c.id, wanted)))).scalars().all()
            await s.execute(update(table).where(column_in(s, table.c.id, wanted[:10])).values(status="matched"))
            gone = (await s.execute(delete(table).where(column_in(s, table.c.id, wanted[10:20]))
                                    .returning(table.c.idempotency_key))).scalars().all()
            none = (await s.execute(select(table.c.id).where(column_in(s, table.c.id, ["nope"])))).scalars().all()
            await s.commit()
        async with sessions() as s:
            statuses = dict((await s.execute(select(table.c.id, table.c.status))).all())
    finally:
        await engine.dispose()
    assert sorted(picked) == sorted(wanted) and none == []
    assert sorted(gone) == sorted(f"k{k}" for k in range(30, 60, 3))
    assert len(statuses) == 2990
    assert {i for i, st in statuses.items() if st == "matched"} == set(wanted[:10])


INSTANTS = [
    datetime(2000, 1, 1, tzinfo=UTC),  # PostgreSQL's own epoch: 0 µs
    datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),  # just before it: -1 µs
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),  # not UTC
    datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
]


async def test_bulk_upsert_stores_every_instant_exactly(database_url: str) -> None:
    """Instants (PostgreSQL stages them as integer microseconds) come back as the same UTC instant,
    to the microsecond, on both sides of PostgreSQL's 2000-01-01 epoch and in any time zone."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    rows = _rows(1, range(len(INSTANTS)))
    for row, at in zip(rows, INSTANTS, strict=True):
        row["timestamp"] = at
        row["received_at"] = at + timedelta(microseconds=1)
    try:
        async with sessions() as s:
            await bulk_upsert(s, Event.__table__, rows, conflict=KEY, update=MUTABLE)
            await s.commit()
        async with sessions() as s:
            got = {r.idempotency_key: (r.timestamp, r.received_at) for r in (await s.execute(
                select(Event.idempotency_key, Event.timestamp, Event.received_at))).all()}
    finally:
        await engine.dispose()
    for n, at in enumerate(INSTANTS):
        assert got[f"k{n}"] == (at, at + timedelta(microseconds=1))
        assert got[f"k{n}"][0].utcoffset() == timedelta(0)


async def test_bulk_upsert_refuses_a_naive_instant_and_writes_nothing(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    rows = _rows(1, range(3))
    rows[2]["timestamp"] = datetime(2026, 1, 15, 12, 0)  # no time zone
    try:
        async with sessions() as s:
            with pytest.raises(Exception, match="naive datetime"):
                await bulk_upsert(s, Event.__table__, rows, conflict=KEY, update=MUTABLE)
            await s.rollback()
        async with sessions() as s:
            assert (await s.execute(select(func.count()).select_from(Event))).scalar_one() == 0
    finally:
        await engine.dispose()


@given(st.integers(min_value=-(6 * 10**16), max_value=2**53 - 1))
def test_pg_micros_is_what_postgresql_stores(micros: int) -> None:
    """``_pg_micros`` inverts PostgreSQL's representation: epoch + n µs gives back n."""
    try:
        at = _PG_EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return  # outside Python's datetime range
    assert _pg_micros(at) == micros
    assert _pg_micros(at.astimezone(timezone(timedelta(hours=-7)))) == micros

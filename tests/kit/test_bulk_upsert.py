"""``kit.db.bulk_upsert``: the dialect's fastest upsert keeps last-write-wins semantics on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, text, update

from monk.events.repository import KEY, MUTABLE
from monk.kit.db import bulk_upsert, create_engine, one_of, session_factory
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


async def test_one_of_selects_updates_and_deletes_exactly_the_listed_rows(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    table = Event.__table__
    try:
        async with sessions() as s:
            await bulk_upsert(s, table, _rows(1, range(0, 3000)), conflict=KEY, update=MUTABLE)
            await s.commit()
        wanted = [f"id-1-{k}" for k in range(0, 3000, 3)]  # more ids than one statement's usual binds
        async with sessions() as s:
            picked = (await s.execute(select(table.c.id).where(one_of(s, table.c.id, wanted)))).scalars().all()
            await s.execute(update(table).where(one_of(s, table.c.id, wanted[:10])).values(status="matched"))
            gone = (await s.execute(delete(table).where(one_of(s, table.c.id, wanted[10:20]))
                                    .returning(table.c.idempotency_key))).scalars().all()
            none = (await s.execute(select(table.c.id).where(one_of(s, table.c.id, ["nope"])))).scalars().all()
            await s.commit()
        async with sessions() as s:
            statuses = dict((await s.execute(select(table.c.id, table.c.status))).all())
    finally:
        await engine.dispose()
    assert sorted(picked) == sorted(wanted) and none == []
    assert sorted(gone) == sorted(f"k{k}" for k in range(30, 60, 3))
    assert len(statuses) == 2990
    assert {i for i, st in statuses.items() if st == "matched"} == set(wanted[:10])

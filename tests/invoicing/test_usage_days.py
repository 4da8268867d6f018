"""Usage per meter and UTC day on both databases (``invoicing.usage_days``): records of several contracts
fold into one day row and out again exactly, a removed extreme is read again from the day's records, a
distinct value leaves only with its last record of the day, and after any sequence of additions and
removals every day row equals the aggregate of the records left."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from monk.invoicing import usage_days
from monk.kit.db import create_engine, session_factory
from monk.models import UsageDay, UsageRecord
from tests.invoicing.meters import KINDS, change

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def _record(event_id: str, meter_id: str, value: str | None, *, contract: str = "c1",
            day: date = D1) -> dict[str, Any]:
    return {"event_id": event_id, "contract_id": contract, "meter_id": meter_id, "period_start": date(2026, 3, 1),
            "phase_id": contract, "dimension_key": "", "day": day, "value": value}


async def _change(sessions: Any, *, add: list[dict[str, Any]] | None = None, forget: list[str] | None = None) -> None:
    await change(sessions, usage_days.apply, add=add, forget=forget)


async def _days(sessions: Any) -> dict[tuple[str, date], tuple[int, Any, Any, Any, int]]:
    async with sessions() as s:
        return {(r.meter_id, r.day): (r.count, r.sum, r.min, r.max, r.distinct_values)
                for r in (await s.execute(select(UsageDay))).scalars().all()}


async def test_day_rows_fold_records_of_every_contract_in_and_out(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await _change(sessions, add=[
            _record("e1", "m-sum", "1.5"), _record("e2", "m-sum", "2.25", contract="c2"),
            _record("e3", "m-sum", "10", day=D2),
            _record("e1", "m-max", "7"), _record("e2", "m-max", "9", contract="c2"),
            _record("e1", "m-min", "7"), _record("e2", "m-min", "-2", contract="c2"),
            _record("e1", "m-count", None), _record("e2", "m-count", None, contract="c2"),
            _record("e1", "m-uniq", "u1"), _record("e2", "m-uniq", "u1", contract="c2"),
            _record("e3", "m-uniq", "u2", contract="c2"),
        ])
        before = await _days(sessions)
        await _change(sessions, forget=["e2"])  # event e2 (contract c2) is re-matched: its records go
        after = await _days(sessions)
        await _change(sessions, forget=["e1", "e3"])
        emptied = await _days(sessions)
    finally:
        await engine.dispose()
    assert before == {
        ("m-sum", D1): (2, Decimal("3.75"), Decimal("1.5"), Decimal("2.25"), 0),
        ("m-sum", D2): (1, Decimal(10), Decimal(10), Decimal(10), 0),
        ("m-max", D1): (2, Decimal(16), Decimal(7), Decimal(9), 0),
        ("m-min", D1): (2, Decimal(5), Decimal(-2), Decimal(7), 0),
        ("m-count", D1): (2, None, None, None, 0),
        ("m-uniq", D1): (3, None, None, None, 2),  # u1 on both contracts counts once
    }
    # Without e2: the maximum 9 and the minimum -2 went and were read again; u1 still has e1's record.
    assert after == {
        ("m-sum", D1): (1, Decimal("1.5"), Decimal("1.5"), Decimal("1.5"), 0),
        ("m-sum", D2): (1, Decimal(10), Decimal(10), Decimal(10), 0),
        ("m-max", D1): (1, Decimal(7), Decimal(7), Decimal(7), 0),
        ("m-min", D1): (1, Decimal(7), Decimal(7), Decimal(7), 0),
        ("m-count", D1): (1, None, None, None, 0),
        ("m-uniq", D1): (2, None, None, None, 2),
    }
    assert set(emptied.values()) == {(0, None, None, None, 0)}


def _expected(records: list[tuple[Any, ...]]) -> dict[tuple[str, date], tuple[int, Any, Any, Any, int]]:
    """The day rows worked out from the records left, in Python."""
    values: dict[tuple[str, date], list[str | None]] = defaultdict(list)
    for meter_id, day, value in records:
        values[(meter_id, day)].append(value)
    out = {}
    for (meter_id, day), vs in values.items():
        kind = KINDS[meter_id]
        numbers = [Decimal(v) for v in vs if v is not None] if kind in ("SUM", "MAX", "MIN") else []
        out[(meter_id, day)] = (len(vs), sum(numbers) if numbers else None, min(numbers, default=None),
                                max(numbers, default=None),
                                len({v for v in vs if v is not None}) if kind == "UNIQUE_COUNT" else 0)
    return out


async def test_after_any_additions_and_removals_each_day_row_is_the_aggregate_of_its_records(
        database_url: str) -> None:
    rng = random.Random(20261205)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    live: set[str] = set()
    try:
        for step in range(40):
            forget = rng.sample(sorted(live), k=min(len(live), rng.randint(0, 3)))
            add = []
            for n in range(rng.randint(0, 4)):
                event_id = forget[n] if n < len(forget) and rng.random() < 0.5 else f"s{step}-{n}"  # resends too
                for meter_id in rng.sample(sorted(KINDS), k=rng.randint(1, 3)):
                    value = None if KINDS[meter_id] == "COUNT" else (
                        f"u{rng.randint(1, 4)}" if KINDS[meter_id] == "UNIQUE_COUNT"
                        else str(Decimal(rng.randint(-500, 5000)) / 100))
                    add.append(_record(event_id, meter_id, value, contract=rng.choice(["c1", "c2"]),
                                       day=rng.choice([D1, D2])))
            await _change(sessions, add=add, forget=forget)
            live = (live - set(forget)) | {r["event_id"] for r in add}
        async with sessions() as s:
            left = [tuple(r) for r in (await s.execute(
                select(UsageRecord.meter_id, UsageRecord.day, UsageRecord.value))).all()]
        stored = {k: v for k, v in (await _days(sessions)).items() if v[0] > 0}
    finally:
        await engine.dispose()
    assert left, "the sequence leaves records to compare"
    assert stored == _expected(left)

"""Usage rollups on both databases (``invoicing.rollups`` over ``invoicing.repository``): records
fold in and out exactly, a removed extreme is read again from the records left, and quantities
come out per phase, meter and dimension key, each meter its own way."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from monk.invoicing import repository, rollups
from monk.kit.db import create_engine, session_factory
from tests.invoicing.meters import change, meters

PERIOD = date(2026, 3, 1)
METERS = meters()


def _record(event_id: str, meter_id: str, value: str | None, dim: str = "") -> dict[str, Any]:
    return {"event_id": event_id, "contract_id": "c1", "meter_id": meter_id, "period_start": PERIOD,
            "phase_id": "c1", "dimension_key": dim, "day": date(2026, 3, 2), "value": value}


RECORDS = [
    _record("e1", "m-sum", "1.5"), _record("e2", "m-sum", "2.25"), _record("e3", "m-sum", "10", '{"r":"EU"}'),
    _record("e1", "m-max", "7"), _record("e2", "m-max", "9"), _record("e3", "m-max", "3"),
    _record("e1", "m-min", "7"), _record("e2", "m-min", "-2"),
    _record("e1", "m-count", None), _record("e2", "m-count", None), _record("e3", "m-count", None),
    _record("e1", "m-uniq", "u1"), _record("e2", "m-uniq", "u2"), _record("e3", "m-uniq", "u1"),
]


async def _quantities(sessions: Any) -> dict[str, dict[str, Decimal]]:
    async with sessions() as s:
        return (await rollups.quantities(s, "c1", PERIOD, METERS))["c1"]


async def test_rollups_fold_records_in_and_out(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    try:
        await change(sessions, rollups.apply, add=RECORDS)
        before = await _quantities(sessions)
        await change(sessions, rollups.apply, forget=["e2"])  # event e2 is re-matched: its records go
        after = await _quantities(sessions)
        async with sessions() as s:
            stored = {(r.meter_id, r.dimension_key): (r.count, r.sum, r.min, r.max)
                      for r in await repository.rollups_of(s, "c1", PERIOD)}
    finally:
        await engine.dispose()
    assert before == {"m-sum": {"": Decimal("3.75"), '{"r":"EU"}': Decimal(10)}, "m-max": {"": Decimal(9)},
                      "m-min": {"": Decimal(-2)}, "m-count": {"": Decimal(3)}, "m-uniq": {"": Decimal(2)}}
    # Without e2: the maximum 9 and the minimum -2 went, and are read again from the records left.
    assert after == {"m-sum": {"": Decimal("1.5"), '{"r":"EU"}': Decimal(10)}, "m-max": {"": Decimal(7)},
                     "m-min": {"": Decimal(7)}, "m-count": {"": Decimal(2)}, "m-uniq": {"": Decimal(1)}}
    assert stored[("m-max", "")] == (2, Decimal(10), Decimal(3), Decimal(7))
    assert stored[("m-count", "")] == (2, None, None, None)


async def test_a_unique_count_rollup_of_numbers_and_words_loses_its_smallest_number(database_url: str) -> None:
    """UNIQUE_COUNT values need not be numbers: taking out the record of the smallest number among words
    (an event re-matched after a resend) must not read the words as numbers (PostgreSQL refuses to cast
    'u1' to a number, which failed the worker's batch and set the event aside on every retry)."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    mixed = [_record("e1", "m-uniq", "5"), _record("e2", "m-uniq", "u1"), _record("e3", "m-uniq", "7")]
    try:
        await change(sessions, rollups.apply, add=mixed)
        await change(sessions, rollups.apply, forget=["e1"])
        left = await _quantities(sessions)
    finally:
        await engine.dispose()
    assert left == {"m-uniq": {"": Decimal(2)}}


async def test_removing_every_record_empties_the_rollup(database_url: str) -> None:
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    one = [_record("e9", "m-sum", "4")]
    try:
        await change(sessions, rollups.apply, add=one)
        await change(sessions, rollups.apply, forget=["e9"])
        async with sessions() as s:
            rows = await repository.rollups_of(s, "c1", PERIOD)
            counted = await repository.rollups_of(s, "c1", PERIOD, counted=True)
            left = await rollups.quantities(s, "c1", PERIOD, METERS)
    finally:
        await engine.dispose()
    assert [(r.count, r.sum, r.min, r.max) for r in rows] == [(0, None, None, None)]
    assert counted == [] and left == {}

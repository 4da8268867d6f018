"""The queries of billing a contract: its lock, its billing context (phases, meters, rate cards),
its usage records and rollups (per billing period; per meter and UTC day). Contract, customer, event
and invoice queries of their own live in their domains' repositories; these are here because billing
reads them below those domains."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, cast

from sqlalchemy import Float, Table, and_, delete, false, func, or_, select, tuple_
from sqlalchemy import cast as sql_cast
from sqlalchemy.ext.asyncio import AsyncSession

from monk.kit.db import bulk_insert, bulk_upsert, column_in, insert_for
from monk.models import Contract, ContractPhase, Meter, RateCard, UsageDay, UsageRecord, UsageRollup

RollupKey = tuple[str, str, date, str, str]  # contract, meter, period start, phase, dimension key
ROLLUP_KEY = ("contract_id", "meter_id", "period_start", "phase_id", "dimension_key")
USAGE_RECORDS = cast(Table, UsageRecord.__table__)
USAGE_ROLLUPS = cast(Table, UsageRollup.__table__)
DayKey = tuple[str, date]  # meter, UTC day
USAGE_DAYS = cast(Table, UsageDay.__table__)
DAY_COLUMNS = ("count", "sum", "min", "max", "distinct_values")


async def lock(session: AsyncSession, contract_ids: Iterable[str] = (), *,
               customer_ids: Iterable[str] = ()) -> None:
    """Hold contracts' rows until the transaction ends: those listed and every contract of the
    listed customers (``FOR NO KEY UPDATE``, in id order, so two transactions never wait on each
    other in a cycle; on SQLite the write transaction already excludes every other writer).

    Whatever rebuilds a contract's drafts or folds usage into its rollups takes this lock first,
    then reads what it bills from: the worker's matching (before loading billing context),
    finalization (before its invoices), re-rating. Concurrent transactions on one contract then run
    one after another, each seeing what the previous one committed."""
    ids, customers = sorted(set(contract_ids)), sorted(set(customer_ids))
    if not ids and not customers:
        return
    where = or_(column_in(session, Contract.id, ids) if ids else false(),
                column_in(session, Contract.customer_id, customers) if customers else false())
    await session.execute(select(Contract.id).where(where).order_by(Contract.id).with_for_update(key_share=True))


async def contract(session: AsyncSession, contract_id: str) -> Contract | None:
    """The contract ``contract_id`` (any organization: callers hold an id read from a scoped row)."""
    return await session.get(Contract, contract_id)


async def of_customers(session: AsyncSession, customer_ids: list[str]) -> dict[str, list[Contract]]:
    """Every contract of each of ``customer_ids``, oldest start first (one query)."""
    out: dict[str, list[Contract]] = {c: [] for c in customer_ids}
    if customer_ids:
        for c in (await session.execute(
                select(Contract).where(column_in(session, Contract.customer_id, customer_ids))
                .order_by(Contract.start_date, Contract.id))).scalars().all():
            out[c.customer_id].append(c)
    return out


async def phases_of(session: AsyncSession, contract_ids: list[str]) -> list[ContractPhase]:
    """The phases of the listed contracts, by contract, each contract's oldest first."""
    return list((await session.execute(
        select(ContractPhase).where(column_in(session, ContractPhase.contract_id, contract_ids))
        .order_by(ContractPhase.contract_id, ContractPhase.starts_at, ContractPhase.created_at))).scalars().all())


async def meters_by_id(session: AsyncSession, ids: set[str]) -> dict[str, Meter]:
    """Meters by id (archived ones included: past usage still bills)."""
    if not ids:
        return {}
    rows = (await session.execute(select(Meter).where(Meter.id.in_(ids)))).scalars().all()
    return {m.id: m for m in rows}


async def aggregations(session: AsyncSession, meter_ids: set[str]) -> dict[str, str]:
    """Each meter's aggregation type by meter id (archived meters included)."""
    if not meter_ids:
        return {}
    rows = await session.execute(select(Meter.id, Meter.aggregation_type).where(Meter.id.in_(meter_ids)))
    return {m: kind for m, kind in rows.all()}


async def rate_cards_of(session: AsyncSession, meter_ids: set[str]) -> dict[str, RateCard]:
    """Rate cards by meter id for ``meter_ids`` (meters without one are absent)."""
    if not meter_ids:
        return {}
    rows = (await session.execute(select(RateCard).where(RateCard.meter_id.in_(meter_ids)))).scalars().all()
    return {r.meter_id: r for r in rows}


async def forget_usage(session: AsyncSession, event_ids: list[str]) -> list[dict[str, Any]]:
    """Delete the usage records of the listed events and return what they were (``ROLLUP_KEY``
    columns, ``day`` and ``value``), for the rollups; no statement when the list is empty."""
    if not event_ids:
        return []
    records = USAGE_RECORDS
    return [dict(r._mapping) for r in (await session.execute(
        delete(records).where(column_in(session, records.c.event_id, event_ids))
        .returning(records.c.contract_id, records.c.meter_id, records.c.period_start, records.c.phase_id,
                   records.c.dimension_key, records.c.day, records.c.value)
    )).all()]


async def insert_usage(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert usage records (``ROLLUP_KEY`` columns, ``event_id``, ``day`` and ``value``) the dialect's fastest way."""
    await bulk_insert(session, USAGE_RECORDS, rows)


async def rollups_of(session: AsyncSession, contract_id: str, period_start: date, *,
                     counted: bool = False) -> list[UsageRollup]:
    """The rollups of one contract's period (``counted``: only those with records)."""
    cond: list[Any] = [UsageRollup.contract_id == contract_id, UsageRollup.period_start == period_start]
    if counted:
        cond.append(UsageRollup.count > 0)
    return list((await session.execute(select(UsageRollup).where(*cond))).scalars().all())


async def extreme_value(session: AsyncSession, key: RollupKey, highest: bool) -> str | None:
    """The highest (or lowest) numeric value of the usage records of one rollup key, as stored text."""
    return await _extreme(session, [
        UsageRecord.contract_id == key[0], UsageRecord.meter_id == key[1], UsageRecord.period_start == key[2],
        UsageRecord.phase_id == key[3], UsageRecord.dimension_key == key[4]], highest=highest)


async def day_extreme_value(session: AsyncSession, key: DayKey, highest: bool) -> str | None:
    """The highest (or lowest) numeric value of one meter's usage records of one UTC day, as stored text
    (``ix_usage_records_meter_day``)."""
    return await _extreme(session, [UsageRecord.meter_id == key[0], UsageRecord.day == key[1]], highest=highest)


async def _extreme(session: AsyncSession, where: list[Any], *, highest: bool) -> str | None:
    order = sql_cast(UsageRecord.value, Float)
    return (await session.execute(select(UsageRecord.value).where(*where, UsageRecord.value.is_not(None))
                                  .order_by(order.desc() if highest else order.asc()).limit(1))).scalar_one_or_none()


async def save_rollups(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or replace rollups (``ROLLUP_KEY`` plus ``count``, ``sum``, ``min``, ``max``)."""
    await bulk_upsert(session, USAGE_ROLLUPS, rows, conflict=ROLLUP_KEY, update=("count", "sum", "min", "max"))


async def distinct_counts(session: AsyncSession, contract_id: str, period_start: date,
                          meter_ids: set[str]) -> list[tuple[str, str, str, int]]:
    """``(phase id, meter id, dimension key, distinct values)`` of the contract period's records of
    ``meter_ids`` (UNIQUE_COUNT meters: distinct values cannot be merged into rollups)."""
    rows = await session.execute(
        select(UsageRecord.phase_id, UsageRecord.meter_id, UsageRecord.dimension_key,
               func.count(func.distinct(UsageRecord.value)))
        .where(and_(UsageRecord.contract_id == contract_id, UsageRecord.period_start == period_start,
                    UsageRecord.meter_id.in_(meter_ids)))
        .group_by(UsageRecord.phase_id, UsageRecord.meter_id, UsageRecord.dimension_key))
    return [(p, m, d, int(n)) for p, m, d, n in rows.all()]


async def lock_days(session: AsyncSession, keys: list[DayKey]) -> dict[DayKey, dict[str, Any]]:
    """The day rows of ``keys`` (``DAY_COLUMNS`` by key), held until the transaction ends: missing rows are
    created empty first (``ON CONFLICT DO NOTHING``), then all are locked ``FOR UPDATE`` in key order, so
    transactions of different contracts that share a meter's day fold into it one after another, each
    reading what the previous one committed (SQLite: the write transaction already excludes the others)."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    await session.execute(insert_for(session, USAGE_DAYS).values(
        [{"meter_id": m, "day": d, "count": 0, "distinct_values": 0} for m, d in keys]).on_conflict_do_nothing())
    days = USAGE_DAYS.c
    rows = (await session.execute(select(USAGE_DAYS).where(tuple_(days.meter_id, days.day).in_(keys))
                                  .order_by(days.meter_id, days.day).with_for_update())).all()
    return {(r.meter_id, r.day): {c: getattr(r, c) for c in DAY_COLUMNS} for r in rows}


async def save_days(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Write day rows (``meter_id``, ``day`` and ``DAY_COLUMNS``)."""
    await bulk_upsert(session, USAGE_DAYS, rows, conflict=("meter_id", "day"), update=DAY_COLUMNS)


async def value_counts(session: AsyncSession, keys: list[DayKey],
                       values: list[str]) -> dict[tuple[str, date, str], int]:
    """How many usage records each of ``values`` has on each day of ``keys`` (meter, UTC day), those with
    none left out (``ix_usage_records_meter_day``)."""
    if not keys or not values:
        return {}
    r = UsageRecord
    rows = (await session.execute(
        select(r.meter_id, r.day, r.value, func.count())
        .where(column_in(session, r.meter_id, sorted({k[0] for k in keys})),
               column_in(session, r.day, sorted({k[1] for k in keys})),
               column_in(session, r.value, sorted(set(values))))
        .group_by(r.meter_id, r.day, r.value))).all()
    return {(m, d, v): int(n) for m, d, v, n in rows}


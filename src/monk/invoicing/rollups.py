"""Usage rollups: the incremental maintenance the worker does (queries: ``invoicing.repository``).

A rollup holds, for one (contract, meter, period, phase, dimension key), the count, exact sum, min
and max of the usage records' values. Adding records merges into it; removing records (an event
re-matched after a resend) subtracts count and sum exactly and, when a removed value was the
extreme, re-reads min/max from the remaining records. UNIQUE_COUNT is counted from the records
themselves (distinct values cannot be merged), with an indexed query per period.

Maintenance is read-modify-write, so ``apply`` first locks the contracts whose rollups it changes
(``invoicing.repository.lock``): concurrent workers then fold into one contract's rollups
one after another, each reading what the previous one committed, and the drafts they rebuild in
the same transaction see every committed record. Without it two workers would both read a
rollup's old count and the later commit would overwrite the earlier one's usage.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.aggregation import NUMERIC_AGGREGATIONS, Summary, fold
from monk.invoicing import repository
from monk.invoicing.repository import RollupKey as Key
from monk.models import Meter


def _key(r: Mapping[str, Any]) -> Key:
    return (r["contract_id"], r["meter_id"], r["period_start"], r["phase_id"], r["dimension_key"])


def number(value: str | None) -> Decimal | None:
    """A record's value as a number, or None (COUNT meters, or a non-numeric UNIQUE_COUNT value)."""
    if value is None:
        return None
    try:
        return Decimal(value)
    except ArithmeticError:
        return None


async def _load(session: AsyncSession, keys: set[Key]) -> dict[Key, Summary]:
    out: dict[Key, Summary] = {}
    by_contract_period: dict[tuple[str, date], set[Key]] = defaultdict(set)
    for k in keys:
        by_contract_period[(k[0], k[2])].add(k)
    for (contract_id, period_start), wanted in by_contract_period.items():
        for r in await repository.rollups_of(session, contract_id, period_start):
            k = (r.contract_id, r.meter_id, r.period_start, r.phase_id, r.dimension_key)
            if k in wanted:
                out[k] = Summary(r.count, r.sum, r.min, r.max)
    return out


async def refold(kind: str | None, summary: Summary, added: list[str | None], removed: list[str | None],
                 extreme: Callable[[bool], Awaitable[str | None]]) -> Summary:
    """``summary`` with the records' values ``added`` and ``removed`` (stored text) folded in, for a meter
    of aggregation ``kind``. SUM, MAX and MIN fold numbers exactly (``billing.aggregation.fold``) and a
    removed extreme is read again with ``extreme(highest)`` (the remaining records' highest or lowest
    value). COUNT and UNIQUE_COUNT keep the count only: their values need not be numbers, and distinct
    values are counted from the records."""
    if kind not in NUMERIC_AGGREGATIONS:
        return Summary(max(0, summary.count + len(added) - len(removed)))
    summary, stale_min, stale_max = fold(summary, [number(v) for v in added], [number(v) for v in removed])
    if stale_min:
        summary = replace(summary, min=number(await extreme(False)))
    if stale_max:
        summary = replace(summary, max=number(await extreme(True)))
    return summary


async def apply(session: AsyncSession, *, added: Iterable[Mapping[str, Any]], removed: Iterable[Mapping[str, Any]],
                kinds: Mapping[str, str]) -> None:
    """Fold usage records added and removed in this transaction into their rollups (after locking
    their contracts: ``invoicing.repository.lock``); ``kinds``: each record's meter's aggregation type
    by meter id (``invoicing.repository.aggregations``)."""
    plus: dict[Key, list[str | None]] = defaultdict(list)
    minus: dict[Key, list[str | None]] = defaultdict(list)
    for r in added:
        plus[_key(r)].append(r["value"])
    for r in removed:
        minus[_key(r)].append(r["value"])
    keys = set(plus) | set(minus)
    if not keys:
        return
    await repository.lock(session, {k[0] for k in keys})
    current = await _load(session, keys)
    rows: list[dict[str, Any]] = []
    for k in sorted(keys):
        summary = await refold(kinds.get(k[1]), current.get(k, Summary()), plus.get(k, []), minus.get(k, []),
                               partial(repository.extreme_value, session, k))
        rows.append({"contract_id": k[0], "meter_id": k[1], "period_start": k[2], "phase_id": k[3],
                     "dimension_key": k[4], "count": summary.count, "sum": summary.sum, "min": summary.min,
                     "max": summary.max})
    await repository.save_rollups(session, rows)


async def quantities(
    session: AsyncSession, contract_id: str, period_start: date, meters: Mapping[str, Meter]
) -> dict[str, dict[str, dict[str, Decimal]]]:
    """Aggregated usage of a contract's period: phase id → meter id → dimension key → quantity,
    each meter aggregated its own way (COUNT, SUM, MAX, MIN, UNIQUE_COUNT)."""
    out: dict[str, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    unique_meters = set()
    for r in await repository.rollups_of(session, contract_id, period_start, counted=True):
        meter = meters.get(r.meter_id)
        if meter is None:
            continue
        kind = meter.aggregation_type
        if kind == "UNIQUE_COUNT":
            unique_meters.add(r.meter_id)
            continue
        out[r.phase_id][r.meter_id][r.dimension_key] = Summary(r.count, r.sum, r.min, r.max).quantity(kind)
    if unique_meters:
        for phase_id, meter_id, dim, n in await repository.distinct_counts(session, contract_id, period_start,
                                                                           unique_meters):
            out[phase_id][meter_id][dim] = Decimal(n)
    return {p: {m: dict(d) for m, d in ms.items()} for p, ms in out.items()}

"""Usage per meter and UTC day (``usage_days``, what the dashboard's usage chart reads), kept by the worker
as it matches events, as ``rollups`` keeps usage per billing period (queries: ``invoicing.repository``).

A day row holds, for one meter and one UTC day of the events' timestamps, across contracts: how many
usage records, the exact sum, min and max of their values (SUM, MAX and MIN meters) and how many
distinct values (UNIQUE_COUNT meters). Records added and removed (an event re-matched after a resend,
or set aside) are folded in with ``rollups.refold``: a removed extreme is read again from that day's
records; COUNT and UNIQUE_COUNT days keep the count only. A distinct value is added when its first
record of the day appears and taken out when its last one goes, counted from the records themselves.

Many contracts share a meter, so a day row is shared by transactions that hold different contract
locks: ``apply`` locks the day rows first (``repository.lock_days``) and only then reads records, so
what a concurrent transaction committed is seen once and never counted twice. The matcher calls it
last before committing, so a busy day's row is held only briefly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.aggregation import Summary
from monk.invoicing import repository
from monk.invoicing.repository import DayKey
from monk.invoicing.rollups import refold


def _by_day(records: Iterable[Mapping[str, Any]]) -> dict[DayKey, list[str | None]]:
    out: dict[DayKey, list[str | None]] = defaultdict(list)
    for r in records:
        out[(r["meter_id"], r["day"])].append(r["value"])
    return out


async def _distinct_changes(session: AsyncSession, keys: list[DayKey], plus: dict[DayKey, list[str | None]],
                            minus: dict[DayKey, list[str | None]]) -> dict[DayKey, int]:
    """How the number of distinct values of each day of ``keys`` changed: the records now (after the
    change) against the records before (now, less those added, plus those removed)."""
    change: dict[tuple[str, Any, str], int] = defaultdict(int)
    for k in keys:
        for v in plus.get(k, []):
            if v is not None:
                change[(*k, v)] += 1
        for v in minus.get(k, []):
            if v is not None:
                change[(*k, v)] -= 1
    now = await repository.value_counts(session, keys, [v for _m, _d, v in change])
    out: dict[DayKey, int] = defaultdict(int)
    for (meter_id, day, value), delta in change.items():
        after = now.get((meter_id, day, value), 0)
        out[(meter_id, day)] += (after > 0) - (after - delta > 0)
    return out


async def apply(session: AsyncSession, *, added: Iterable[Mapping[str, Any]], removed: Iterable[Mapping[str, Any]],
                kinds: Mapping[str, str]) -> None:
    """Fold usage records added and removed in this transaction (already written: ``insert_usage``,
    ``forget_usage``; each with ``meter_id``, ``day`` and ``value``) into their meters' day rows;
    ``kinds``: each meter's aggregation type by meter id (``invoicing.repository.aggregations``)."""
    plus, minus = _by_day(added), _by_day(removed)
    keys = sorted(set(plus) | set(minus))
    if not keys:
        return
    current = await repository.lock_days(session, keys)
    distinct = await _distinct_changes(session, [k for k in keys if kinds.get(k[0]) == "UNIQUE_COUNT"], plus, minus)
    rows: list[dict[str, Any]] = []
    for k in keys:
        row = current[k]
        summary = await refold(kinds.get(k[0]), Summary(row["count"], row["sum"], row["min"], row["max"]),
                               plus.get(k, []), minus.get(k, []), partial(repository.day_extreme_value, session, k))
        rows.append({"meter_id": k[0], "day": k[1], "count": summary.count, "sum": summary.sum,
                     "min": summary.min, "max": summary.max,
                     "distinct_values": max(0, row["distinct_values"] + distinct.get(k, 0))})
    await repository.save_days(session, rows)

"""Meters of every aggregation and one matcher transaction, for the rollup tests (per period and per day)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from monk.invoicing import repository
from monk.models import Meter

KINDS = {"m-sum": "SUM", "m-max": "MAX", "m-min": "MIN", "m-count": "COUNT", "m-uniq": "UNIQUE_COUNT"}


def meters() -> dict[str, Meter]:
    """One unsaved meter per aggregation, by id (``KINDS``)."""
    return {m: Meter(id=m, aggregation_type=kind) for m, kind in KINDS.items()}


async def change(sessions: Any, apply: Callable[..., Awaitable[None]], *, add: list[dict[str, Any]] | None = None,
                 forget: list[str] | None = None) -> None:
    """One matcher transaction: forget the events' records, insert the new ones, fold both in with ``apply``
    (``rollups.apply`` or ``usage_days.apply``, told each meter's aggregation by ``KINDS``)."""
    add = add or []
    async with sessions() as s:
        old = await repository.forget_usage(s, forget or [])
        await repository.insert_usage(s, add)
        await apply(s, added=add, removed=old, kinds=KINDS)
        await s.commit()

"""Meters of every aggregation, stored, for the rollup tests (the rollups read each meter's aggregation)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monk.models import Meter

KINDS = {"m-sum": "SUM", "m-max": "MAX", "m-min": "MIN", "m-count": "COUNT", "m-uniq": "UNIQUE_COUNT"}
NOW = datetime(2026, 3, 4, tzinfo=UTC)


def meters() -> dict[str, Meter]:
    """One unsaved meter per aggregation, by id (``KINDS``)."""
    return {m: Meter(id=m, org_id="o1", mode="live", code=m, display_name=m, aggregation_type=kind,
                     created_at=NOW, updated_at=NOW) for m, kind in KINDS.items()}


async def store_meters(sessions: Any) -> None:
    """Save ``meters()`` in the database of ``sessions``."""
    async with sessions() as s:
        s.add_all(meters().values())
        await s.commit()

"""usage_days: each meter's usage per UTC day (the dashboard's usage chart), kept by the worker; usage_records.day

Existing usage records take the UTC day of their event's timestamp, and the day rows are built from
them exactly (values summed as decimals, in Python, so SQLite's float arithmetic never touches them).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from alembic import op

from monk.kit.db import ExactDecimal

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

NUMERIC = {"SUM", "MAX", "MIN"}


def _number(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        return None


def _days(rows: Iterator[Any]) -> Iterator[dict[str, Any]]:
    """One day row per (meter, day) of ``rows`` (meter_id, day, value, aggregation type), sorted by both."""
    key: tuple[str, Any] | None = None
    seen: set[str] = set()
    count, total, low, high, kind = 0, None, None, None, ""

    def row() -> dict[str, Any]:
        assert key is not None
        return {"meter_id": key[0], "day": key[1], "count": count, "sum": total, "min": low, "max": high,
                "distinct_values": len(seen) if kind == "UNIQUE_COUNT" else 0}

    for meter_id, day, value, aggregation in rows:
        if key != (meter_id, day):
            if key is not None:
                yield row()
            key, count, total, low, high, seen, kind = (meter_id, day), 0, None, None, None, set(), aggregation
        count += 1
        if value is not None and kind == "UNIQUE_COUNT":
            seen.add(value)
        number = _number(value) if kind in NUMERIC else None
        if number is not None:
            total = number if total is None else total + number
            low = number if low is None or number < low else low
            high = number if high is None or number > high else high
    if key is not None:
        yield row()


def upgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("usage_records") as batch:
        batch.add_column(sa.Column("day", sa.Date(), nullable=True))
    day = "date(events.timestamp)" if bind.dialect.name == "sqlite" else "(events.timestamp AT TIME ZONE 'UTC')::date"
    op.execute(f"UPDATE usage_records SET day = COALESCE((SELECT {day} FROM events "
               "WHERE events.id = usage_records.event_id), period_start)")
    with op.batch_alter_table("usage_records") as batch:
        batch.alter_column("day", existing_type=sa.Date(), nullable=False)
    op.create_index("ix_usage_records_meter_day", "usage_records", ["meter_id", "day", "value"])
    days = op.create_table(
        "usage_days",
        sa.Column("meter_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sum", ExactDecimal(), nullable=True),
        sa.Column("min", ExactDecimal(), nullable=True),
        sa.Column("max", ExactDecimal(), nullable=True),
        sa.Column("distinct_values", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("meter_id", "day"),
    )
    records = bind.execute(sa.text(
        "SELECT r.meter_id, r.day, r.value, m.aggregation_type FROM usage_records r "
        "JOIN meters m ON m.id = r.meter_id ORDER BY r.meter_id, r.day"
    ).columns(day=sa.Date()).execution_options(stream_results=True, yield_per=10_000))
    built = list(_days(iter(records)))  # read to the end before writing on the same connection
    for i in range(0, len(built), 1000):
        op.bulk_insert(days, built[i:i + 1000])


def downgrade() -> None:
    op.drop_table("usage_days")
    op.drop_index("ix_usage_records_meter_day", table_name="usage_records")
    with op.batch_alter_table("usage_records") as batch:
        batch.drop_column("day")

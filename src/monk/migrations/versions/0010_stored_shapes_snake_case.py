"""JSON columns hold Monk's shapes: tiers, rate-card entries, contract overrides and credit settings
are stored snake_case (``monk.models.shapes``), not as the wire sent them

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

Only the keys Monk defines are renamed: dimension keys and values are customer data and stay as
they are; of ``credit_settings`` (an open object) only its own keys are renamed. Rows already in
the target shape are left unchanged, so both directions are idempotent. The downgrade renames the
keys back (a ``credit_settings`` key sent snake_case in the first place comes back camelCase).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIER_KEYS = {"minQty": "min_qty", "maxQty": "max_qty", "unitAmount": "unit_amount", "flatAmount": "flat_amount"}
ENTRY_KEYS = {"unitAmount": "unit_amount"}
OVERRIDE_KEYS = {"basePricingId": "base_pricing_id", "unitAmount": "unit_amount"}
_UPPER = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _rename(row: Any, keys: dict[str, str]) -> Any:
    if not isinstance(row, dict):
        return row
    return {keys.get(k, k): v for k, v in row.items()}


def _each(keys: dict[str, str]) -> Callable[[Any], Any]:
    return lambda rows: [_rename(r, keys) for r in rows] if isinstance(rows, list) else rows


def _snake_object(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {_UPPER.sub(lambda m: "_" + m.group(1).lower(), k): v for k, v in value.items()}


def _camel_object(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {k.split("_")[0] + "".join(p[:1].upper() + p[1:] for p in k.split("_")[1:]): v for k, v in value.items()}


def _rewrite(table: str, column: str, convert: Callable[[Any], Any]) -> None:
    bind = op.get_bind()
    t = sa.table(table, sa.column("id", sa.String()), sa.column(column, JSON))
    for row_id, value in bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].is_not(None))).all():
        new = convert(value)
        if new != value:
            bind.execute(t.update().where(t.c.id == row_id).values({column: new}))


def _flip(keys: dict[str, str]) -> dict[str, str]:
    return {v: k for k, v in keys.items()}


def upgrade() -> None:
    _rewrite("pricing", "tiers", _each(TIER_KEYS))
    _rewrite("rate_cards", "entries", _each(ENTRY_KEYS))
    _rewrite("contracts", "overrides", _each(OVERRIDE_KEYS))
    _rewrite("contracts", "credit_settings", _snake_object)


def downgrade() -> None:
    _rewrite("pricing", "tiers", _each(_flip(TIER_KEYS)))
    _rewrite("rate_cards", "entries", _each(_flip(ENTRY_KEYS)))
    _rewrite("contracts", "overrides", _each(_flip(OVERRIDE_KEYS)))
    _rewrite("contracts", "credit_settings", _camel_object)

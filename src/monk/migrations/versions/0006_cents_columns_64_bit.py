"""every cents column is 64-bit (BIGINT): invoice totals, line amounts, credit grants

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

A 32-bit column caps an amount at $21,474,836.47; BIGINT holds the documented bound of
10**18 cents (see ``monk.billing.bounds``). SQLite stores integers in 64 bits already; the tables
are rebuilt there (batch mode) so the declared type matches the models. Downgrading narrows the
columns again and fails on PostgreSQL if a stored amount no longer fits in 32 bits. On SQLite the
tables are rebuilt with foreign keys off, then checked (see ``migrations/env.py``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = (
    ("invoices", "total_cents", False),
    ("invoice_lines", "amount_cents", False),
    ("contracts", "credit_grant_cents", True),
    ("plans", "credit_grant_cents", True),
)


def _retype(old: type[sa.types.TypeEngine[int]], new: type[sa.types.TypeEngine[int]]) -> None:
    for table, column, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=old(), type_=new(), existing_nullable=nullable)


def upgrade() -> None:
    _retype(sa.Integer, sa.BigInteger)


def downgrade() -> None:
    _retype(sa.BigInteger, sa.Integer)

"""pending events indexed by customer reference (the worker's round-robin claim)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_pending", sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.create_index("ix_events_pending_customer",
                              [sa.text("coalesce(customer_id, external_customer_id, '')"), "received_at"],
                              unique=False, sqlite_where=PENDING, postgresql_where=PENDING)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_pending_customer", sqlite_where=PENDING, postgresql_where=PENDING)
        batch_op.create_index("ix_events_pending", ["received_at"], unique=False,
                              sqlite_where=PENDING, postgresql_where=PENDING)

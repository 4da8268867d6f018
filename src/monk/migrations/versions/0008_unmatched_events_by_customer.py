"""unmatched events indexed by customer reference and timestamp (re-queueing early usage)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UNMATCHED = sa.text("status = 'unmatched'")


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_unmatched_customer",
                              ["org_id", "mode", sa.text("coalesce(customer_id, external_customer_id, '')"),
                               "timestamp"],
                              unique=False, sqlite_where=UNMATCHED, postgresql_where=UNMATCHED)


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_unmatched_customer", sqlite_where=UNMATCHED, postgresql_where=UNMATCHED)

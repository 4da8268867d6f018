"""invoices keep their subtotal and the credits applied beside the amount due

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subtotal_cents", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("credits_applied_cents", sa.BigInteger(), nullable=False,
                                      server_default="0"))
    # Until credits exist the amount due is the subtotal.
    op.execute("UPDATE invoices SET subtotal_cents = total_cents")


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("credits_applied_cents")
        batch_op.drop_column("subtotal_cents")

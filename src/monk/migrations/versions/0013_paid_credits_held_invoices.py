"""paid credits (purchase price, billing invoice) and invoices held for review

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import ExactDecimal, UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("credit_blocks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purchase_cents", ExactDecimal(), nullable=True))
        batch_op.add_column(sa.Column("invoice_id", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_credit_blocks_invoice", ["invoice_id"], unique=False,
                              postgresql_where=sa.text("invoice_id IS NOT NULL"),
                              sqlite_where=sa.text("invoice_id IS NOT NULL"))
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("held_at")
    with op.batch_alter_table("credit_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_blocks_invoice", postgresql_where=sa.text("invoice_id IS NOT NULL"),
                            sqlite_where=sa.text("invoice_id IS NOT NULL"))
        batch_op.drop_column("invoice_id")
        batch_op.drop_column("purchase_cents")

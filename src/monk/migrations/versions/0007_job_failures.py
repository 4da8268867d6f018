"""job failure records; the finalization error an invoice shows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_failures",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.String(length=36), nullable=False),
        sa.Column("org_id", sa.String(length=36), nullable=True),
        sa.Column("group_id", sa.String(length=36), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("first_failed_at", UTCDateTime(), nullable=False),
        sa.Column("last_failed_at", UTCDateTime(), nullable=False),
        sa.Column("retry_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "item_id", name=op.f("pk_job_failures")),
    )
    op.create_index(op.f("ix_job_failures_group_id"), "job_failures", ["group_id"], unique=False)
    op.create_index(op.f("ix_job_failures_retry_at"), "job_failures", ["retry_at"], unique=False)
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("processing_error", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_column("processing_error")
    op.drop_index(op.f("ix_job_failures_retry_at"), table_name="job_failures")
    op.drop_index(op.f("ix_job_failures_group_id"), table_name="job_failures")
    op.drop_table("job_failures")

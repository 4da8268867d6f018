"""credit budgets: per-dimension caps on a contract's credit pool (reference §11)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import ExactDecimal, UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("credit_budgets",
    sa.Column("contract_id", sa.String(length=36), nullable=False),
    sa.Column("position", sa.Integer(), nullable=False),
    sa.Column("label", sa.String(length=255), nullable=False),
    sa.Column("event_property_key", sa.String(length=255), nullable=False),
    sa.Column("event_property_value", sa.String(length=255), nullable=False),
    sa.Column("meter_id", sa.String(length=36), nullable=True),
    sa.Column("cap", ExactDecimal(), nullable=True),
    sa.Column("exhausted_period_start", sa.Date(), nullable=True),
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_budgets")),
    sa.UniqueConstraint("contract_id", "event_property_key", "event_property_value",
                        name="uq_credit_budgets_property"),
    )
    with op.batch_alter_table("credit_budgets", schema=None) as batch_op:
        batch_op.create_index("ix_credit_budgets_contract", ["contract_id", "position"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_budgets", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_budgets_contract")
    op.drop_table("credit_budgets")

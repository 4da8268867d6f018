"""plans' collection method (billing mode); contracts' auto-pay and their own saved payment method

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("collection_method", sa.String(length=30), nullable=False,
                                   server_default="invoice_and_collect"))
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("auto_pay", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("payment_method_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("payment_method_type", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("payment_method_brand", sa.String(length=50), nullable=True))
        batch.add_column(sa.Column("payment_method_last4", sa.String(length=4), nullable=True))
    # Existing contracts take the auto-pay default of the plan they are on now.
    op.execute("UPDATE contracts SET auto_pay = (SELECT plans.auto_pay FROM plans WHERE plans.id = contracts.plan_id)")


def downgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("payment_method_last4")
        batch.drop_column("payment_method_brand")
        batch.drop_column("payment_method_type")
        batch.drop_column("payment_method_id")
        batch.drop_column("auto_pay")
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("collection_method")

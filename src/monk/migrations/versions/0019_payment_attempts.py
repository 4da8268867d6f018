"""payment_attempts, stripe_events; customers' payment method brand and last 4; invoices' payment link;
the Stripe connection's publishable key

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

LIVE = "status IN ('pending', 'processing')"


def upgrade() -> None:
    op.create_table("payment_attempts",
    sa.Column("invoice_id", sa.String(length=36), nullable=False),
    sa.Column("contract_id", sa.String(length=36), nullable=False),
    sa.Column("customer_id", sa.String(length=36), nullable=False),
    sa.Column("kind", sa.String(length=10), nullable=False),
    sa.Column("status", sa.String(length=12), nullable=False),
    sa.Column("amount_cents", sa.BigInteger(), nullable=False),
    sa.Column("currency", sa.String(length=3), nullable=False),
    sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
    sa.Column("payment_method_id", sa.String(length=255), nullable=True),
    sa.Column("payment_intent_id", sa.String(length=255), nullable=True),
    sa.Column("save_method", sa.Boolean(), nullable=False),
    sa.Column("decline_code", sa.String(length=100), nullable=True),
    sa.Column("failure_message", sa.String(length=500), nullable=True),
    sa.Column("calls", sa.Integer(), nullable=False),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.String(length=500), nullable=True),
    sa.Column("finished_at", UTCDateTime(), nullable=True),
    sa.Column("refund_id", sa.String(length=255), nullable=True),
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_payment_attempts_invoice_id_invoices")),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_attempts")),
    )
    op.create_index("uq_payment_attempts_live_invoice", "payment_attempts", ["invoice_id"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    op.create_index("ix_payment_attempts_invoice", "payment_attempts", ["invoice_id", "created_at"])
    op.create_index("ix_payment_attempts_intent", "payment_attempts", ["payment_intent_id"])
    op.create_index("ix_payment_attempts_pending", "payment_attempts", ["status", "lease_until"])
    op.create_table("stripe_events",
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("event_id", sa.String(length=255), nullable=False),
    sa.Column("type", sa.String(length=100), nullable=False),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_events")),
    sa.UniqueConstraint("org_id", "mode", "event_id", name="uq_stripe_events_org_mode_event"),
    )
    op.add_column("customers", sa.Column("payment_method_brand", sa.String(length=50), nullable=True))
    op.add_column("customers", sa.Column("payment_method_last4", sa.String(length=4), nullable=True))
    op.add_column("invoices", sa.Column("payment_link", sa.String(length=1000), nullable=True))
    op.add_column("stripe_connections", sa.Column("publishable_key", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stripe_connections") as batch:
        batch.drop_column("publishable_key")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("payment_link")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("payment_method_last4")
        batch.drop_column("payment_method_brand")
    op.drop_table("stripe_events")
    op.drop_table("payment_attempts")

"""webhooks: endpoints, the outbox of events, deliveries and their attempts; the coalescing clock
of usage-driven ``invoice.updated`` events

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import JSONType, UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

def upgrade() -> None:
    op.create_table("webhook_attempts",
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("delivery_id", sa.String(length=36), nullable=False),
    sa.Column("attempted_at", UTCDateTime(), nullable=False),
    sa.Column("duration_ms", sa.Integer(), nullable=False),
    sa.Column("status_code", sa.Integer(), nullable=True),
    sa.Column("error", sa.String(length=500), nullable=True),
    sa.Column("response_body", sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempts"))
    )
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_attempts_delivery", ["delivery_id", "attempted_at"], unique=False)

    op.create_table("webhook_deliveries",
    sa.Column("endpoint_id", sa.String(length=36), nullable=False),
    sa.Column("event_id", sa.String(length=36), nullable=False),
    sa.Column("event_type", sa.String(length=40), nullable=False),
    sa.Column("resource_id", sa.String(length=36), nullable=True),
    sa.Column("status", sa.String(length=10), nullable=False),
    sa.Column("attempt_count", sa.Integer(), nullable=False),
    sa.Column("max_attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("lease_until", UTCDateTime(), nullable=True),
    sa.Column("lease_token", sa.String(length=36), nullable=True),
    sa.Column("completed_at", UTCDateTime(), nullable=True),
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries"))
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_deliveries_due", ["next_attempt_at"], unique=False,
                              postgresql_where=sa.text("status = 'pending'"),
                              sqlite_where=sa.text("status = 'pending'"))
        batch_op.create_index("ix_webhook_deliveries_endpoint", ["endpoint_id", "status"], unique=False)
        batch_op.create_index("ix_webhook_deliveries_event", ["event_id"], unique=False)
        batch_op.create_index("ix_webhook_deliveries_org_mode_created", ["org_id", "mode", "created_at"], unique=False)

    op.create_table("webhook_endpoints",
    sa.Column("url", sa.String(length=2048), nullable=False),
    sa.Column("description", sa.String(length=500), nullable=True),
    sa.Column("event_types", JSONType, nullable=False),
    sa.Column("enabled", sa.Boolean(), nullable=False),
    sa.Column("secret", sa.String(length=100), nullable=False),
    sa.Column("previous_secret", sa.String(length=100), nullable=True),
    sa.Column("previous_secret_expires_at", UTCDateTime(), nullable=True),
    sa.Column("disabled_reason", sa.String(length=500), nullable=True),
    sa.Column("failing_since", UTCDateTime(), nullable=True),
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints"))
    )
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_endpoints_org_mode_created", ["org_id", "mode", "created_at"], unique=False)

    op.create_table("webhook_events",
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("type", sa.String(length=40), nullable=False),
    sa.Column("resource_id", sa.String(length=36), nullable=True),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events"))
    )
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_events_created", ["created_at"], unique=False)


    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_due_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("webhook_sent_at", UTCDateTime(), nullable=True))
        batch_op.create_index("ix_invoices_webhook_due", ["webhook_due_at"], unique=False,
                              postgresql_where=sa.text("webhook_due_at IS NOT NULL"),
                              sqlite_where=sa.text("webhook_due_at IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_webhook_due", postgresql_where=sa.text("webhook_due_at IS NOT NULL"),
                            sqlite_where=sa.text("webhook_due_at IS NOT NULL"))
        batch_op.drop_column("webhook_sent_at")
        batch_op.drop_column("webhook_due_at")
    with op.batch_alter_table("webhook_events", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_events_created")

    op.drop_table("webhook_events")
    with op.batch_alter_table("webhook_endpoints", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_endpoints_org_mode_created")

    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_deliveries_org_mode_created")
        batch_op.drop_index("ix_webhook_deliveries_event")
        batch_op.drop_index("ix_webhook_deliveries_endpoint")
        batch_op.drop_index("ix_webhook_deliveries_due", postgresql_where=sa.text("status = 'pending'"),
                            sqlite_where=sa.text("status = 'pending'"))

    op.drop_table("webhook_deliveries")
    with op.batch_alter_table("webhook_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_attempts_delivery")

    op.drop_table("webhook_attempts")

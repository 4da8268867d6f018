"""email_messages: invoice and payment emails to customers, queued with the change that causes them

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import JSONType, UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

PENDING = "status = 'pending'"


def upgrade() -> None:
    op.create_table("email_messages",
    sa.Column("kind", sa.String(length=30), nullable=False),
    sa.Column("invoice_id", sa.String(length=36), nullable=True),
    sa.Column("recipients", JSONType, nullable=False),
    sa.Column("subject", sa.String(length=500), nullable=False),
    sa.Column("text_body", sa.Text(), nullable=False),
    sa.Column("html_body", sa.Text(), nullable=False),
    sa.Column("status", sa.String(length=10), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
    sa.Column("last_error", sa.String(length=500), nullable=True),
    sa.Column("sent_at", UTCDateTime(), nullable=True),
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_email_messages")),
    )
    op.create_index("ix_email_messages_due", "email_messages", ["next_attempt_at"],
                    sqlite_where=sa.text(PENDING), postgresql_where=sa.text(PENDING))
    op.create_index("ix_email_messages_invoice", "email_messages", ["invoice_id", "created_at"])
    op.create_index("ix_email_messages_org_mode_created", "email_messages", ["org_id", "mode", "created_at"])


def downgrade() -> None:
    op.drop_table("email_messages")

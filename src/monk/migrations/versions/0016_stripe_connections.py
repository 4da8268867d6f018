"""stripe_connections: an organization's Stripe account per mode, secrets sealed

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("stripe_connections",
    sa.Column("secret_key_sealed", sa.String(length=1000), nullable=False),
    sa.Column("webhook_secret_sealed", sa.String(length=1000), nullable=False),
    sa.Column("key_last4", sa.String(length=4), nullable=False),
    sa.Column("api_base", sa.String(length=500), nullable=True),
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_stripe_connections")),
    sa.UniqueConstraint("org_id", "mode", name="uq_stripe_connections_org_mode"),
    )


def downgrade() -> None:
    op.drop_table("stripe_connections")

"""credits: blocks (one per grant, in the wallet's unit) and the append-only ledger

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import ExactDecimal, JSONType, UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("credit_blocks",
    sa.Column("contract_id", sa.String(length=36), nullable=False),
    sa.Column("original", ExactDecimal(), nullable=False),
    sa.Column("remaining", ExactDecimal(), nullable=False),
    sa.Column("credit_rate_cents", ExactDecimal(), nullable=False),
    sa.Column("cost_basis_cents", ExactDecimal(), nullable=False),
    sa.Column("is_promotional", sa.Boolean(), nullable=False),
    sa.Column("starts_at", UTCDateTime(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=True),
    sa.Column("expired_at", UTCDateTime(), nullable=True),
    sa.Column("settle_pending", sa.Boolean(), nullable=False),
    sa.Column("description", sa.String(length=500), nullable=True),
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.Column("updated_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_blocks"))
    )
    with op.batch_alter_table("credit_blocks", schema=None) as batch_op:
        batch_op.create_index("ix_credit_blocks_contract", ["contract_id", "expires_at"], unique=False)
        batch_op.create_index("ix_credit_blocks_settle", ["contract_id"], unique=False,
                              postgresql_where=sa.text("settle_pending"), sqlite_where=sa.text("settle_pending"))
        batch_op.create_index("ix_credit_blocks_expiry", ["expires_at"], unique=False,
            postgresql_where=sa.text("expired_at IS NULL"),
            sqlite_where=sa.text("expired_at IS NULL"))

    op.create_table("credit_ledger",
    sa.Column("id", sa.String(length=36), nullable=False),
    sa.Column("org_id", sa.String(length=36), nullable=False),
    sa.Column("mode", sa.String(length=4), nullable=False),
    sa.Column("contract_id", sa.String(length=36), nullable=False),
    sa.Column("type", sa.String(length=12), nullable=False),
    sa.Column("block_id", sa.String(length=36), nullable=False),
    sa.Column("amount", ExactDecimal(), nullable=False),
    sa.Column("amount_cents", ExactDecimal(), nullable=False),
    sa.Column("credit_rate_cents", ExactDecimal(), nullable=False),
    sa.Column("is_promotional", sa.Boolean(), nullable=False),
    sa.Column("expires_at", UTCDateTime(), nullable=True),
    sa.Column("invoice_id", sa.String(length=36), nullable=True),
    sa.Column("reverses_id", sa.String(length=36), nullable=True),
    sa.Column("external_id", sa.String(length=255), nullable=True),
    sa.Column("description", sa.String(length=500), nullable=True),
    sa.Column("metadata", JSONType, nullable=False),
    sa.Column("created_at", UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_ledger"))
    )
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.create_index("ix_credit_ledger_contract", ["contract_id", "created_at"], unique=False)
        batch_op.create_index("ix_credit_ledger_invoice", ["invoice_id", "block_id"], unique=False)
        batch_op.create_index("uq_credit_ledger_external_id", ["contract_id", "external_id"], unique=True,
            postgresql_where=sa.text("external_id IS NOT NULL"),
            sqlite_where=sa.text("external_id IS NOT NULL"))



def downgrade() -> None:
    with op.batch_alter_table("credit_ledger", schema=None) as batch_op:
        batch_op.drop_index("uq_credit_ledger_external_id",
            postgresql_where=sa.text("external_id IS NOT NULL"),
            sqlite_where=sa.text("external_id IS NOT NULL"))
        batch_op.drop_index("ix_credit_ledger_invoice")
        batch_op.drop_index("ix_credit_ledger_contract")

    op.drop_table("credit_ledger")
    with op.batch_alter_table("credit_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_blocks_expiry",
            postgresql_where=sa.text("expired_at IS NULL"),
            sqlite_where=sa.text("expired_at IS NULL"))
        batch_op.drop_index("ix_credit_blocks_settle", postgresql_where=sa.text("settle_pending"),
                            sqlite_where=sa.text("settle_pending"))
        batch_op.drop_index("ix_credit_blocks_contract")

    op.drop_table("credit_blocks")

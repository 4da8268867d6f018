"""credit_draws: what each invoice holds drawn from each block (a summary of the ledger's draws)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from monk.kit.columns import ExactDecimal

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    draws = op.create_table("credit_draws",
    sa.Column("invoice_id", sa.String(length=36), nullable=False),
    sa.Column("block_id", sa.String(length=36), nullable=False),
    sa.Column("contract_id", sa.String(length=36), nullable=False),
    sa.Column("units", ExactDecimal(), nullable=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint("invoice_id", "block_id", name=op.f("pk_credit_draws"))
    )
    # Existing draws, summed exactly in Python (SQLite would sum the stored text as floats), the
    # order of each pair's last draw kept as its seq.
    ledger = sa.table("credit_ledger", sa.column("id", sa.String), sa.column("invoice_id", sa.String),
                      sa.column("block_id", sa.String), sa.column("contract_id", sa.String),
                      sa.column("type", sa.String), sa.column("amount", ExactDecimal()),
                      sa.column("created_at", sa.String))
    rows = op.get_bind().execute(sa.select(ledger.c.invoice_id, ledger.c.block_id, ledger.c.contract_id,
                                           ledger.c.type, ledger.c.amount)
                                 .where(ledger.c.invoice_id.is_not(None), ledger.c.type.in_(["usage", "reversal"]))
                                 .order_by(ledger.c.invoice_id, ledger.c.created_at, ledger.c.id)).all()
    summary: dict[tuple[str, str], dict[str, object]] = {}
    seq: dict[str, int] = {}
    for invoice_id, block_id, contract_id, kind, amount in rows:
        row = summary.setdefault((invoice_id, block_id), {"invoice_id": invoice_id, "block_id": block_id,
                                                          "contract_id": contract_id, "units": Decimal(0), "seq": 0})
        row["units"] = row["units"] - Decimal(amount)  # type: ignore[operator]
        if kind == "usage":
            seq[invoice_id] = seq.get(invoice_id, 0) + 1
            row["seq"] = seq[invoice_id]
    if summary:
        op.bulk_insert(draws, list(summary.values()))


def downgrade() -> None:
    op.drop_table("credit_draws")

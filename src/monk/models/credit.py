"""Prepaid credits (reference §10, concepts §12): a wallet per contract made of blocks, one per
grant, and the append-only ledger of every change to them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import ExactDecimal, JSONType, UTCDateTime
from monk.models.base import Base, Tenant


class CreditBlock(Tenant, Base):
    """One grant's credits, in the wallet's unit (cents for a dollar wallet, credits for a credit
    wallet): ``original`` and ``remaining`` (0 ≤ remaining ≤ original). ``id`` is the id of its
    ``grant`` ledger entry (``grantEntryId`` of the draws). ``credit_rate_cents`` values one unit
    (1 for a dollar wallet); ``cost_basis_cents`` is what one unit cost (0 for promotional credits,
    ``purchase_cents / original`` for paid ones).
    Valid for usage in ``[starts_at, expires_at)``; ``expired_at`` is set when its remainder was written off."""

    __tablename__ = "credit_blocks"
    __table_args__ = (
        Index("ix_credit_blocks_contract", "contract_id", "expires_at"),
        Index("ix_credit_blocks_expiry", "expires_at", postgresql_where=text("expired_at IS NULL"),
              sqlite_where=text("expired_at IS NULL")),
        Index("ix_credit_blocks_settle", "contract_id", postgresql_where=text("settle_pending"),
              sqlite_where=text("settle_pending")),
        Index("ix_credit_blocks_invoice", "invoice_id", postgresql_where=text("invoice_id IS NOT NULL"),
              sqlite_where=text("invoice_id IS NOT NULL")),
    )

    contract_id: Mapped[str] = mapped_column(String(36))
    original: Mapped[Decimal] = mapped_column(ExactDecimal())
    remaining: Mapped[Decimal] = mapped_column(ExactDecimal())
    credit_rate_cents: Mapped[Decimal] = mapped_column(ExactDecimal())
    cost_basis_cents: Mapped[Decimal] = mapped_column(ExactDecimal())
    is_promotional: Mapped[bool] = mapped_column(Boolean)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # True from the grant until the worker has drawn the contract's open invoices from the new block
    # (a grant after depletion pays the overage already on them).
    settle_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Paid credits: what the customer is invoiced for the block (cents; it may differ from the
    # block's value, e.g. $100,000 for $125,000 of credits) and the invoice that bills it ("Prepaid
    # credits" line). None for promotional credits.
    purchase_cents: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    invoice_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class CreditEntry(Base):
    """A ledger entry (append-only): ``type`` grant | usage | adjustment | reversal | expiration;
    ``amount`` signed in the wallet's unit (+ grant and give-back, − draw and expiry) and
    ``amount_cents`` its value in cents; ``credit_rate_cents`` the entry's own rate (a grant's
    ``amountCents / creditAmount``); ``is_promotional`` and ``expires_at`` those of its block;
    ``block_id`` the block it moves (``grantEntryId``); ``invoice_id`` the invoice a draw or
    give-back belongs to; ``reverses_id`` the draw a reversal undoes. ``external_id`` makes a grant
    idempotent per contract."""

    __tablename__ = "credit_ledger"
    __table_args__ = (
        Index("ix_credit_ledger_contract", "contract_id", "created_at"),
        Index("ix_credit_ledger_invoice", "invoice_id", "block_id"),
        Index("uq_credit_ledger_external_id", "contract_id", "external_id", unique=True,
              postgresql_where=text("external_id IS NOT NULL"), sqlite_where=text("external_id IS NOT NULL")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str] = mapped_column(String(36))
    mode: Mapped[str] = mapped_column(String(4))
    contract_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(12))
    block_id: Mapped[str] = mapped_column(String(36))
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    amount_cents: Mapped[Decimal] = mapped_column(ExactDecimal())
    credit_rate_cents: Mapped[Decimal] = mapped_column(ExactDecimal())
    is_promotional: Mapped[bool] = mapped_column(Boolean)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    invoice_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    reverses_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CreditDraw(Base):
    """What invoice ``invoice_id`` holds drawn from block ``block_id``, net of give-backs (``units``,
    in the wallet's unit), and ``seq``, the order of its last draw among the invoice's draws (give-backs
    take the newest draw first). A summary of that pair's ``usage``/``reversal`` ledger entries, kept in
    their transaction, so settling an invoice reads one row per block it drew from, not its whole
    history of entries."""

    __tablename__ = "credit_draws"

    invoice_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    block_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(36))
    units: Mapped[Decimal] = mapped_column(ExactDecimal())
    seq: Mapped[int] = mapped_column(Integer)

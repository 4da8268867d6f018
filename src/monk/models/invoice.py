"""Invoices and their line items (reference §3.3)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import ExactDecimal, JSONType, UTCDateTime
from monk.models.base import Base, Tenant
from monk.models.statuses import InvoiceKind, InvoiceStatus


class Invoice(Tenant, Base):
    """One invoice of a contract's calendar; ``slot`` is its position (0 = first period).

    ``fee_start``/``fee_end`` is the period whose fixed fees it bills in advance,
    ``usage_start``/``usage_end`` the period whose usage it bills in arrears (half-open dates).
    ``invoice_number`` is assigned once, when the invoice is finalized. ``kind`` is ``regular`` (a
    calendar slot) or ``adjustment`` (late usage after the contract ended; no slot).
    """

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("contract_id", "slot", name="uq_invoices_contract_slot"),
        Index("ix_invoices_org_mode_created", "org_id", "mode", "created_at"),
        Index("ix_invoices_customer_date", "customer_id", "invoice_date"),
        Index("ix_invoices_status_date", "status", "invoice_date"),
        Index(
            "uq_invoices_number", "org_id", "mode", "invoice_number", unique=True,
            sqlite_where=text("invoice_number IS NOT NULL"),
            postgresql_where=text("invoice_number IS NOT NULL"),
        ),
        Index("ix_invoices_webhook_due", "webhook_due_at", sqlite_where=text("webhook_due_at IS NOT NULL"),
              postgresql_where=text("webhook_due_at IS NOT NULL")),
    )

    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"))
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    slot: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kind: Mapped[str] = mapped_column(String(12), default=InvoiceKind.REGULAR)
    invoice_number: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default=InvoiceStatus.DRAFTED)
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    fee_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    fee_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    usage_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    usage_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    # subtotal_cents is the sum of the lines before credits; total_cents is the amount due
    # (subtotal - credits_applied_cents); billing.totals computes all three.
    subtotal_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    credits_applied_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    memo: Mapped[str | None] = mapped_column(Text, nullable=True)
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set when usage or a plan change touches a period this (finalized) invoice billed: the
    # difference is then billed on the contract's earliest open invoice.
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why finalization last failed (bounded text; ``None`` when it has not failed): the worker set
    # the invoice aside and retries it with backoff (``job_failures``).
    processing_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Usage-driven total changes of an open invoice are announced as at most one
    # ``invoice.updated`` per minute (``invoices.notices``): ``webhook_due_at`` is when the next one
    # is due (None: nothing waiting), ``webhook_sent_at`` when the last one was written.
    webhook_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    webhook_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A wallet under ``depletionBehavior: alert_only`` ran dry on this invoice's usage: finalization
    # held it for review (``held_at``) until it is approved (``approved_at``; POST …/approve).
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # the signed URL of its payment page, set at finalization when there is an amount due and Stripe is connected
    payment_link: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class InvoiceLine(Base):
    """A line item: a fixed fee (``kind='fee'``/``'one_time'``), metered usage (``kind='usage'``), or
    an ``adjustment`` of a period billed on an earlier, finalized invoice (late usage, plan changes).
    ``identity`` names what the line bills (phase, pricing, dimensions) so that what was billed for a
    period can be compared with what should have been.

    ``amount`` is exact dollars rounded once to cents; ``amount_cents`` the same in cents.
    """

    __tablename__ = "invoice_lines"
    __table_args__ = (Index("ix_invoice_lines_invoice", "invoice_id", "position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    identity: Mapped[str] = mapped_column(String(1200), default="")
    pricing_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    meter_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal())
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    is_metered: Mapped[bool] = mapped_column(Boolean)
    service_start: Mapped[date | None] = mapped_column(Date, nullable=True)
    service_end: Mapped[date | None] = mapped_column(Date, nullable=True)
    dimensions: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)

"""Usage events and the usage records the worker derives from them (reference §4)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import JSONType, UTCDateTime
from monk.kit.ids import new_id
from monk.models.base import Base
from monk.models.statuses import EventStatus


class Event(Base):
    """An accepted usage event; unique on (org, mode, idempotency key); a resend replaces it.

    ``status`` is ``pending`` until the worker has matched it, then ``matched`` or ``unmatched``
    (with ``unmatched_reason``). ``customer_id``/``external_customer_id`` are as sent.
    ``matched_customer_id`` is the customer the worker last resolved; a resend or a re-match keeps
    it, so ``NULL`` on a pending event means "never matched, no usage records to replace".
    """

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("org_id", "mode", "idempotency_key", name="uq_events_key"),
        Index("ix_events_org_mode_ts", "org_id", "mode", "timestamp"),
        # The worker's claim: pending events by customer reference, oldest first (invoicing/matching.py).
        Index(
            "ix_events_pending_customer", text("coalesce(customer_id, external_customer_id, '')"), "received_at",
            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
        ),
        # Re-queueing a customer's unmatched events (events/repository.py ``requeue_unmatched``):
        # few rows (only unmatched events), found by customer reference and timestamp.
        Index(
            "ix_events_unmatched_customer", "org_id", "mode", text("coalesce(customer_id, external_customer_id, '')"),
            "timestamp", sqlite_where=text("status = 'unmatched'"), postgresql_where=text("status = 'unmatched'"),
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(String(36))
    mode: Mapped[str] = mapped_column(String(4))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    event_name: Mapped[str] = mapped_column(String(255))
    customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    external_customer_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    contract_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())
    properties: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(10), default=EventStatus.PENDING)
    unmatched_reason: Mapped[str | None] = mapped_column(String(255), nullable=True)
    matched_customer_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class UsageRecord(Base):
    """What one event contributes to one meter of one contract in one billing period.

    ``value`` is the aggregation key's value as exact text (None for COUNT);
    ``dimension_key`` is the JSON of the meter's group-key values ("" without group keys).
    ``day`` is the UTC day of the event's timestamp (the usage chart's rollup, ``UsageDay``).
    Re-matching an event deletes its records and writes new ones, so recomputing a line from
    these rows always reflects the latest version of every event.
    """

    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_key", "contract_id", "meter_id", "period_start"),
        Index("ix_usage_records_event", "event_id"),
        Index("ix_usage_records_meter_day", "meter_id", "day", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(36))
    contract_id: Mapped[str] = mapped_column(String(36))
    meter_id: Mapped[str] = mapped_column(String(36))
    period_start: Mapped[date] = mapped_column(Date)
    day: Mapped[date] = mapped_column(Date)
    phase_id: Mapped[str] = mapped_column(String(36), default="")
    dimension_key: Mapped[str] = mapped_column(String(1000), default="")
    value: Mapped[str | None] = mapped_column(String(100), nullable=True)

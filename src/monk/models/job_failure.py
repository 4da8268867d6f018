"""Failure records of the background jobs (kit/jobs.py): one row per item a job set aside."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import UTCDateTime
from monk.models.base import Base


class JobFailure(Base):
    """An item a job could not process: an event to match (``kind='match'``), an invoice to finalize
    (``'finalize'``), a contract whose drafts could not be extended (``'horizon'``)…

    ``group_id`` is what the item belongs to (the contract of an invoice) so that a job can hold back
    the group's later items; ``retry_at`` is when the job tries the item again (exponential backoff
    on ``attempts``), ``None`` once it has been handed back to its job. ``error`` is bounded text.
    """

    __tablename__ = "job_failures"

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    group_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    error: Mapped[str] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)

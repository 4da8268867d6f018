"""Emails to customers (invoices, payment notices): an outbox, written in the transaction of the change
that causes the email and sent by a job (``monk.email.send``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import JSONType, UTCDateTime
from monk.models.base import Base, Tenant
from monk.models.statuses import EmailStatus


class EmailMessage(Tenant, Base):
    """One email, rendered when it was queued (a retry sends exactly the same subject and bodies).

    ``kind`` is an ``EmailKind``; ``recipients`` a list of ``{"email", "name", "type"}`` with ``type``
    ``to``/``cc``/``bcc``. ``status`` is an ``EmailStatus``. ``attempts`` counts the attempts started:
    it is raised, and ``next_attempt_at`` moved past a lease, in a committed transaction before the SMTP
    server is called, so two workers never send one attempt and a worker that died lets the lease
    expire (the email is then sent again: at least once). ``last_error`` is the last failure (bounded)."""

    __tablename__ = "email_messages"
    __table_args__ = (
        Index("ix_email_messages_due", "next_attempt_at",
              postgresql_where=text("status = 'pending'"), sqlite_where=text("status = 'pending'")),
        Index("ix_email_messages_invoice", "invoice_id", "created_at"),
        Index("ix_email_messages_org_mode_created", "org_id", "mode", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(30))
    invoice_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recipients: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    subject: Mapped[str] = mapped_column(String(500))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=EmailStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

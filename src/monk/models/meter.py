"""Meters (reference §3.4): which events count, and how they aggregate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import JSONType, UTCDateTime
from monk.models.base import Base, Tenant
from monk.models.statuses import MeterStatus


class Meter(Tenant, Base):
    """A meter; ``code`` is unique per organization and mode among meters not archived."""

    __tablename__ = "meters"
    __table_args__ = (
        Index("ix_meters_org_mode_created", "org_id", "mode", "created_at"),
        Index(
            "uq_meters_code_live", "org_id", "mode", "code", unique=True,
            sqlite_where=text("archived_at IS NULL"), postgresql_where=text("archived_at IS NULL"),
        ),
    )

    code: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    aggregation_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default=MeterStatus.ACTIVE)
    event_include: Mapped[list[str]] = mapped_column(JSONType, default=list)
    event_exclude: Mapped[list[str]] = mapped_column(JSONType, default=list)
    property_filters: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    aggregation_key: Mapped[str | None] = mapped_column(String(255), nullable=True)
    group_keys: Mapped[list[str]] = mapped_column(JSONType, default=list)
    sql: Mapped[str | None] = mapped_column(Text, nullable=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

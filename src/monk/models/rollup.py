"""Incremental usage rollups, maintained by the worker as events are matched: the aggregate of one
meter for one contract phase, billing period and dimension combination (so recomputing a draft does
not scan raw events), and of one meter per UTC day (what the dashboard's usage chart reads)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import ExactDecimal
from monk.models.base import Base


class UsageRollup(Base):
    """``count`` of records, exact ``sum``, ``min`` and ``max`` of their values (None for COUNT meters)."""

    __tablename__ = "usage_rollups"

    contract_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    meter_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    phase_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dimension_key: Mapped[str] = mapped_column(String(1000), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    sum: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    min: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    max: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)


class UsageDay(Base):
    """One meter's usage records of one UTC day (of their events' timestamps), across contracts: ``count``,
    exact ``sum``, ``min`` and ``max`` of their values (None without numbers) and ``distinct_values``, the
    number of distinct values (UNIQUE_COUNT meters; 0 for the others)."""

    __tablename__ = "usage_days"

    meter_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    sum: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    min: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    max: Mapped[Decimal | None] = mapped_column(ExactDecimal(), nullable=True)
    distinct_values: Mapped[int] = mapped_column(Integer, default=0)

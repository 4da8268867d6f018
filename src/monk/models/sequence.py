"""Per-organization counters (invoice numbers), incremented under the row's write lock."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from monk.models.base import Base


class Sequence(Base):
    """The last value handed out for (organization, mode, name), e.g. ``invoice`` → 42 (INV-00042)."""

    __tablename__ = "sequences"

    org_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    mode: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)

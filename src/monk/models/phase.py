"""Contract phases: which plan a contract bills from which instant (plan changes, reference §9.6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from monk.kit.columns import UTCDateTime
from monk.kit.ids import new_id
from monk.models.base import Base


class ContractPhase(Base):
    """From ``starts_at`` (UTC) until the next phase starts, the contract bills ``plan_id``.

    Phase 0 starts with the contract. A plan change adds a phase: ``change_option`` is
    ``immediate``, ``end_of_period`` or ``requested_date``; ``prorate`` says whether fixed fees of
    the period the change falls in are split between the two plans by their exact shares of it, to
    the second.
    """

    __tablename__ = "contract_phases"
    __table_args__ = (Index("ix_contract_phases_contract", "contract_id", "starts_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"))
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    change_option: Mapped[str | None] = mapped_column(String(20), nullable=True)
    prorate: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

"""Contract bodies and shape (reference §3.2, §9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator, model_validator

from monk.kit.clock import iso_ms
from monk.kit.schemas import CamelModel
from monk.models import Contract

MetadataValue = StrictStr | StrictBool | StrictInt | StrictFloat
DECIMAL = r"^\d+(\.\d+)?$"


def check_metadata(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Metadata limits (reference §1.8): at most 10 keys, keys up to 40 characters, values up to 500."""
    if value is None:
        return None
    if len(value) > 10:
        raise ValueError("metadata may hold at most 10 keys")
    for k, v in value.items():
        if not k or len(k) > 40:
            raise ValueError(f"metadata key '{k[:50]}' must be 1 to 40 characters")
        if isinstance(v, str) and len(v) > 500:
            raise ValueError(f"metadata value of '{k}' must be at most 500 characters")
    return value


class Override(CamelModel):
    """A per-contract price override: ``{basePricingId, unitAmount}`` (decimal string)."""

    base_pricing_id: str = Field(min_length=1)
    unit_amount: str = Field(pattern=DECIMAL)
    dimensions: dict[str, StrictStr] | None = None


class ContractCreate(CamelModel):
    """Body of ``POST /v1/contracts``. ``endDate`` is exclusive; omitted = rolling contract."""

    plan_id: str = Field(min_length=1)
    customer_id: str = Field(min_length=1)
    start_date: date
    end_date: date | None = None
    billing_cycle_anchor: date | None = None
    name: str | None = Field(None, min_length=1, max_length=500)
    net_terms: int | None = Field(None, ge=0, le=365)
    overrides: list[Override] = Field(default_factory=list, max_length=500)
    credit_grant_cents: int | None = Field(None, ge=0)
    credit_settings: dict[str, Any] | None = None
    metadata: dict[str, MetadataValue] | None = None

    @field_validator("metadata")
    @classmethod
    def _meta(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return check_metadata(value)

    @model_validator(mode="after")
    def _dates(self) -> ContractCreate:
        if self.end_date is not None and self.end_date <= self.start_date:
            raise ValueError("endDate must be after startDate")
        if self.billing_cycle_anchor is not None and self.billing_cycle_anchor < self.start_date:
            raise ValueError("billingCycleAnchor must not be before startDate")
        for o in self.overrides:
            Decimal(o.unit_amount)
        return self


def contract_out(c: Contract) -> dict[str, Any]:
    """The API shape of a contract (reference §3.2), with ``metadata``."""
    return {
        "id": c.id,
        "customerId": c.customer_id,
        "planId": c.plan_id,
        "name": c.name,
        "startDate": c.start_date.isoformat(),
        "endDate": c.end_date.isoformat() if c.end_date else None,
        "billingCycleAnchor": c.billing_cycle_anchor.isoformat(),
        "billingFrequency": c.billing_frequency,
        "netTerms": c.net_terms,
        "creditGrantCents": c.credit_grant_cents,
        "overrides": c.overrides or [],
        "isActive": c.is_active,
        "metadata": c.metadata_ or {},
        "createdAt": iso_ms(c.created_at),
        "updatedAt": iso_ms(c.updated_at),
    }

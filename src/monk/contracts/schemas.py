"""Contract bodies and shape (reference §3.2, §9)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StrictStr, field_validator, model_validator

from monk.billing.bounds import MAX_AMOUNT_CENTS, amount_problem
from monk.credits.schemas import CreditSettings
from monk.customers.schemas import PaymentMethod
from monk.kit.bounds import DayIn, Id
from monk.kit.clock import iso_ms
from monk.kit.schemas import CamelModel, Day, DecimalText, Instant, ResponseModel
from monk.models import Contract as ContractRow
from monk.models import ContractPhase
from monk.models.shapes import Override as OverrideValue
from monk.models.shapes import camel_keys, load_overrides
from monk.plans.schemas import COLLECTION_METHOD, CollectionMethod

MetadataValue = StrictStr | StrictBool | StrictInt | StrictFloat
DECIMAL = r"^\d+(\.\d+)?$"
AUTO_PAY = ("Auto-pay (concepts §18): whether Monk charges the contract's invoices to its saved payment method "
            "(the contract's own paymentMethod, else the customer's default) when they are issued")
RateEntries = Annotated[dict[Annotated[str, Field(max_length=1000)], StrictStr | StrictInt | StrictFloat],
                        Field(max_length=500)]


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
    """A per-contract price override: ``{basePricingId, unitAmount}`` (decimal string, dollars per unit,
    below 1,000,000,000 with at most 12 decimal places: ``monk.billing.bounds``)."""

    base_pricing_id: Id
    unit_amount: str = Field(pattern=DECIMAL, max_length=60)
    dimensions: dict[Id, Annotated[StrictStr, Field(max_length=255)]] | None = Field(None, max_length=20)

    @field_validator("unit_amount")
    @classmethod
    def _bounded(cls, value: str) -> str:
        why = amount_problem(Decimal(value))
        if why is not None:
            raise ValueError(why)
        return value


class ContractCreate(CamelModel):
    """Body of ``POST /v1/contracts``. ``endDate`` is exclusive; omitted = rolling contract.

    ``rateOverrides`` is the enterprise guide's form (concepts §15): meter code → ``"key=value[,…]"``
    → rate, e.g. ``{"LLM_TOKENS": {"model=gpt-4": "0.02"}}``; it is stored as ``overrides``."""

    plan_id: Id
    customer_id: Id
    start_date: DayIn
    end_date: DayIn | None = None
    billing_cycle_anchor: DayIn | None = None
    name: str | None = Field(None, min_length=1, max_length=500)
    net_terms: int | None = Field(None, ge=0, le=365)
    overrides: list[Override] = Field(default_factory=list, max_length=500)
    rate_overrides: dict[Id, RateEntries] | None = Field(None, max_length=100)
    credit_grant_cents: int | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)
    credit_settings: CreditSettings | None = None
    metadata: dict[str, MetadataValue] | None = None
    auto_pay: StrictBool | None = Field(None, description=f"{AUTO_PAY}; omitted or null: the plan's autoPay "
                                        "(on for auto_charge plans)")

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


class CancelBody(CamelModel):
    """Body of ``POST /v1/contracts/{id}/cancel``."""

    cancel_at: Literal["end_of_period", "immediate"]


class ChangePlanBody(CamelModel):
    """Body of ``POST /v1/contracts/{id}/change-plan`` (reference §9.6)."""

    plan_id: Id
    change_option: Literal["immediate", "end_of_period", "requested_date"]
    change_date: DayIn | None = None
    prorate: bool = True


class ContractUpdate(CamelModel):
    """Body of ``PATCH /v1/contracts/{id}``, at least one field: ``metadata`` replaces the whole object
    (``null`` clears it); ``autoPay`` switches auto-pay on or off."""

    metadata: dict[str, MetadataValue] | None = Field(
        None, description="Replaces the whole metadata object; null clears it; omitted: unchanged")
    auto_pay: StrictBool | None = Field(None, description=f"{AUTO_PAY}; omitted: unchanged")

    @field_validator("metadata")
    @classmethod
    def _meta(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return check_metadata(value)

    @model_validator(mode="after")
    def _not_empty(self) -> ContractUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one of metadata and autoPay is required")
        if "auto_pay" in self.model_fields_set and self.auto_pay is None:
            raise ValueError("autoPay cannot be null")
        return self


class OverrideOut(ResponseModel):
    """A price override of the contract: the plan's pricing it replaces and the rate (dollars per unit),
    for one dimension combination when ``dimensions`` is given."""

    base_pricing_id: str
    unit_amount: DecimalText
    dimensions: dict[str, str] | None = None


class Phase(ResponseModel):
    """The plan in force from ``startsAt`` (the contract's plan schedule, scheduled changes included)."""

    plan_id: str
    starts_at: Instant
    change_option: str | None
    prorate: bool


class Contract(ResponseModel):
    """A contract (reference §3.2): ``endDate`` exclusive (null = rolling), dates ``YYYY-MM-DD``."""

    id: str
    customer_id: str
    plan_id: str
    name: str
    start_date: Day
    end_date: Day | None
    billing_cycle_anchor: Day
    billing_frequency: str
    net_terms: int
    credit_grant_cents: int | None
    credit_settings: dict[str, Any] | None = Field(description="The wallet's terms (credits.schemas.CreditSettings)")
    overrides: list[OverrideOut]
    collection_method: CollectionMethod = Field(description=f"{COLLECTION_METHOD} (the plan's, read-only)")
    auto_pay: bool = Field(description=AUTO_PAY)
    payment_method: PaymentMethod | None = Field(
        description="The contract's own saved payment method (saved when the customer pays on the payment page); "
                    "auto-pay charges it before the customer's default. null when none is saved")
    is_active: bool
    cancelled_at: Instant | None
    phases: list[Phase] | None
    metadata: dict[str, str | bool | int | float]
    created_at: Instant
    updated_at: Instant


class Cancellation(ResponseModel):
    """The result of a cancellation: ``effectiveCancellationDate`` is the last day covered."""

    id: str
    is_active: Literal[False]
    effective_cancellation_date: Day
    cancelled_invoice_count: int


class PlanChange(ResponseModel):
    """The result of a plan change: ``applied`` now or ``scheduled`` for ``effectiveDate``."""

    id: str
    current_plan_id: str
    new_plan_id: str
    effective_date: Day
    change_option: Literal["immediate", "end_of_period", "requested_date"]
    prorate: bool
    status: Literal["applied", "scheduled"]


def override_out(o: OverrideValue) -> dict[str, Any]:
    """The API shape of a contract override: ``{basePricingId, unitAmount[, dimensions]}``, the amount as sent."""
    out: dict[str, Any] = {"basePricingId": o.base_pricing_id, "unitAmount": o.unit_amount_text}
    if o.dimensions is not None:
        out["dimensions"] = o.dimension_map()
    return out


def phase_out(p: ContractPhase) -> dict[str, Any]:
    """One entry of a contract's plan schedule."""
    return {"planId": p.plan_id, "startsAt": iso_ms(p.starts_at), "changeOption": p.change_option,
            "prorate": p.prorate}


def payment_method_out(c: ContractRow) -> dict[str, Any] | None:
    """The contract's own saved payment method ``{id, type, brand, last4}``, or None."""
    if c.payment_method_id is None:
        return None
    return {"id": c.payment_method_id, "type": c.payment_method_type, "brand": c.payment_method_brand,
            "last4": c.payment_method_last4}


def contract_out(c: ContractRow, phases: list[ContractPhase] | None = None, *,
                 collection_method: str) -> dict[str, Any]:
    """The API shape of a contract (reference §3.2), with ``metadata``, ``collectionMethod`` (its current
    plan's, given by the caller), auto-pay and its own payment method and, when given, the plan schedule
    (``phases``: the plan in force from each instant, scheduled changes included)."""
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
        "creditSettings": camel_keys(c.credit_settings) if c.credit_settings is not None else None,
        "overrides": [override_out(o) for o in load_overrides(c.overrides)],
        "collectionMethod": collection_method,
        "autoPay": c.auto_pay,
        "paymentMethod": payment_method_out(c),
        "isActive": c.is_active,
        "cancelledAt": iso_ms(c.cancelled_at) if c.cancelled_at else None,
        "phases": [phase_out(p) for p in phases] if phases is not None else None,
        "metadata": c.metadata_ or {},
        "createdAt": iso_ms(c.created_at),
        "updatedAt": iso_ms(c.updated_at),
    }

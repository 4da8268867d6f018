"""Plan request bodies and the response shape (the reference has no plan page; this module decides)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from monk.billing.bounds import MAX_AMOUNT_CENTS
from monk.kit.bounds import Id
from monk.kit.clock import iso_ms
from monk.kit.schemas import CamelModel, Instant, ResponseModel
from monk.models import Plan as PlanRow
from monk.models import Pricing as PricingRow
from monk.pricing.schemas import Pricing, pricing_out

PlanStatus = Literal["DRAFT", "ACTIVE", "ARCHIVED"]
BillingFrequency = Literal["MONTHLY", "QUARTERLY", "SEMI_ANNUALLY", "ANNUALLY"]
CollectionMethod = Literal["auto_charge", "invoice_and_collect"]
COLLECTION_METHOD = ("How the plan's invoices are paid (concepts §18): auto_charge charges the saved payment method "
                     "when an invoice is issued (due on receipt, Net 0; auto-pay on), invoice_and_collect sends "
                     "the invoice and collects it; contracts inherit it")


class PlanCreate(CamelModel):
    """Body of ``POST /v1/plans``."""

    name: str = Field(min_length=1, max_length=500)
    plan_code: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    currency: Literal["USD"] = "USD"
    billing_frequency: BillingFrequency
    pricing_ids: list[Id] = Field(default_factory=list, max_length=100)
    collection_method: CollectionMethod = Field("invoice_and_collect", description=COLLECTION_METHOD)
    net_terms: StrictInt = Field(0, ge=0, le=365, description="Default payment terms of its contracts, in days "
                                 "(0..365); must be 0 (or omitted) with collectionMethod auto_charge")
    auto_pay: StrictBool = Field(False, description="Default auto-pay of its contracts; true (or omitted) with "
                                 "collectionMethod auto_charge")
    credit_grant_cents: StrictInt | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)
    status: PlanStatus = "ACTIVE"
    description: str | None = Field(None, max_length=5000)

    @model_validator(mode="after")
    def _unique_pricing(self) -> PlanCreate:
        if len(set(self.pricing_ids)) != len(self.pricing_ids):
            raise PydanticCustomError("pricing_ids", "pricingIds must not contain duplicates")
        return self


class Plan(ResponseModel):
    """A plan with its pricing expanded in plan order; ``netTerms`` in days, ``creditGrantCents`` in cents."""

    id: str
    name: str
    plan_code: str
    currency: Literal["USD"]
    billing_frequency: BillingFrequency
    collection_method: CollectionMethod = Field(description=COLLECTION_METHOD)
    net_terms: int
    auto_pay: bool = Field(description="Whether its contracts are created with auto-pay on (always true with "
                           "auto_charge)")
    credit_grant_cents: int | None
    status: PlanStatus
    description: str | None
    pricing_ids: list[str]
    pricing: list[Pricing]
    created_at: Instant
    updated_at: Instant


def plan_out(plan: PlanRow, pricing: list[tuple[PricingRow, str]]) -> dict[str, Any]:
    """The API shape of a plan; ``pricing`` is its ``(pricing, product name)`` list in plan order."""
    return {
        "id": plan.id,
        "name": plan.name,
        "planCode": plan.plan_code,
        "currency": plan.currency,
        "billingFrequency": plan.billing_frequency,
        "collectionMethod": plan.collection_method,
        "netTerms": plan.net_terms,
        "autoPay": plan.auto_pay,
        "creditGrantCents": plan.credit_grant_cents,
        "status": plan.status,
        "description": plan.description,
        "pricingIds": [p.id for p, _ in pricing],
        "pricing": [pricing_out(p, name) for p, name in pricing],
        "createdAt": iso_ms(plan.created_at),
        "updatedAt": iso_ms(plan.updated_at),
    }

"""Customer request bodies and the response shape (reference §3.1, §5)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import EmailStr, Field, model_validator

from monk.kit.clock import iso_ms
from monk.kit.schemas import CamelModel, Instant, ResponseModel
from monk.models import Customer as CustomerRow

NonEmpty = Field(min_length=1, max_length=500)
Tag = Annotated[str, Field(max_length=255)]


class Contact(CamelModel):
    """A billing contact: an email and at least one role."""

    name: str | None = Field(None, max_length=500)
    email: EmailStr
    roles: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(min_length=1, max_length=20)
    email_recipient_type: Literal["to", "cc", "bcc"] = "to"


class BillingAddress(CamelModel):
    """A postal address."""

    address1: str = Field(min_length=1, max_length=500)
    address2: str | None = Field(None, max_length=500)
    city: str = Field(min_length=1, max_length=200)
    region: str | None = Field(None, max_length=200)
    postal_code: str | None = Field(None, max_length=40)
    country: str = Field(min_length=2, max_length=2)


class _PaymentFields(CamelModel):
    payment_provider_id: str | None = Field(None, pattern=r"^cus_[A-Za-z0-9]+$")
    provider: Literal["stripe"] | None = None
    payment_method_id: str | None = Field(None, pattern=r"^pm_[A-Za-z0-9]+$")
    payment_method_type: Literal["card", "us_bank_account"] | None = None

    @model_validator(mode="after")
    def _pairs(self) -> _PaymentFields:
        if (self.payment_provider_id is None) != (self.provider is None):
            raise ValueError("paymentProviderId and provider must be given together")
        if (self.payment_method_id is None) != (self.payment_method_type is None):
            raise ValueError("paymentMethodId and paymentMethodType must be given together")
        return self


class CustomerCreate(_PaymentFields):
    """Body of ``POST /v1/customers``."""

    name: str = NonEmpty
    contacts: list[Contact] = Field(min_length=1)
    legal_name: str | None = Field(None, max_length=500)
    external_customer_id: str | None = Field(None, min_length=1, max_length=255)
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    billing_address: BillingAddress | None = None


class CustomerUpdate(_PaymentFields):
    """Body of ``PATCH /v1/customers/{id}``: at least one field; ``tags`` replaces the list."""

    name: str | None = Field(None, min_length=1, max_length=500)
    legal_name: str | None = Field(None, max_length=500)
    tags: list[Tag] | None = Field(None, max_length=100)
    external_customer_id: str | None = Field(None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _not_empty(self) -> CustomerUpdate:
        if not self.model_fields_set:
            raise ValueError("at least one field is required")
        if "name" in self.model_fields_set and self.name is None:
            raise ValueError("name cannot be null")
        return self


class CustomerMetadata(ResponseModel):
    """Identifiers of the customer in the caller's systems."""

    external_customer_id: str | None
    external_company_ids: list[str]


class PaymentMethod(ResponseModel):
    """A saved Stripe payment method as Stripe describes it: ``brand`` is a card's brand (``visa``) or a
    bank account's bank name, ``last4`` its last four digits."""

    id: str
    type: str
    brand: str | None
    last4: str | None


class Customer(ResponseModel):
    """A customer (reference §3.1), with its Stripe link (extension, reference §5.1: ``provider``,
    ``paymentProviderId`` and the default ``paymentMethod``)."""

    id: str
    name: str
    legal_name: str | None
    tags: list[str]
    is_paused: bool
    paused_at: Instant | None
    metadata: CustomerMetadata
    provider: str | None
    payment_provider_id: str | None
    payment_method: PaymentMethod | None
    created_at: Instant
    updated_at: Instant


def customer_out(c: CustomerRow) -> dict[str, Any]:
    """The API shape of a customer (reference §3.1)."""
    return {
        "id": c.id,
        "name": c.name,
        "legalName": c.legal_name,
        "tags": list(c.tags or []),
        "isPaused": c.is_paused,
        "pausedAt": iso_ms(c.paused_at) if c.paused_at else None,
        "metadata": {
            "externalCustomerId": c.external_customer_id,
            "externalCompanyIds": list(c.external_company_ids or []),
        },
        "provider": c.provider,
        "paymentProviderId": c.payment_provider_id,
        "paymentMethod": {"id": c.payment_method_id, "type": c.payment_method_type, "brand": c.payment_method_brand,
                          "last4": c.payment_method_last4} if c.payment_method_id else None,
        "createdAt": iso_ms(c.created_at),
        "updatedAt": iso_ms(c.updated_at),
    }

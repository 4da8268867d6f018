"""Stripe connection bodies and shapes (an extension: the reference keeps the Stripe connection in the
dashboard; concepts §18)."""

from __future__ import annotations

from pydantic import Field, field_validator

from monk.kit.schemas import CamelModel, Instant, ResponseModel


class StripeConnect(CamelModel):
    """``PUT /v1/payments/stripe``: the account's secret key (``sk_``/``rk_`` of the key's mode), the
    signing secret of the webhook endpoint registered at Stripe (``whsec_``), the publishable key
    (``pk_``; the payment page's card form needs it, it is not a secret) and ``apiBase`` for a
    Stripe-compatible server (default: Stripe)."""

    secret_key: str = Field(min_length=8, max_length=255)
    webhook_secret: str = Field(min_length=8, max_length=255)
    publishable_key: str | None = Field(None, min_length=8, max_length=255, pattern=r"^pk_(live|test)_[A-Za-z0-9]+$")
    api_base: str | None = Field(None, max_length=500)

    @field_validator("webhook_secret")
    @classmethod
    def _whsec(cls, value: str) -> str:
        if not value.startswith("whsec_"):
            raise ValueError("a Stripe webhook signing secret starts with whsec_")
        return value

    @field_validator("api_base")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("apiBase must be an http(s) URL")
        return value.rstrip("/") if value else value


class StripeConnection(ResponseModel):
    """A Stripe connection as the API shows it: never a secret, only the key's last four characters;
    ``webhookPath`` is where Monk receives this organization's Stripe webhooks in this mode."""

    mode: str
    key_last4: str
    publishable_key: str | None
    api_base: str | None
    webhook_path: str
    created_at: Instant
    updated_at: Instant

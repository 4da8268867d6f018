"""A customer's link to Stripe (reference §5.1/§5.4: ``paymentProviderId`` + ``provider``,
``paymentMethodId`` + ``paymentMethodType``), checked against the organization's Stripe account before
anything is written. Read-only at Stripe: nothing is created or attached there."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.gateway import service as gateway
from monk.gateway.stripe import StripeGateway, StripeUnavailable
from monk.kit.errors import ServiceUnavailable, ValidationFailed

FIELDS = ("payment_provider_id", "provider", "payment_method_id", "payment_method_type")


async def _opened(session: AsyncSession, org_id: str, mode: str, server_key: str, field: str) -> StripeGateway:
    found = await gateway.gateway(session, org_id, mode, server_key=server_key)
    if found is None:
        raise ValidationFailed(f"{field}: linking a customer to Stripe needs a Stripe connection in {mode} mode "
                               "(PUT /v1/payments/stripe)")
    return found


async def checked(session: AsyncSession, org_id: str, mode: str, wanted: dict[str, Any], *,
                  current_provider_id: str | None, server_key: str) -> dict[str, Any]:
    """The customer columns to write for the payment fields in ``wanted`` (column name → value; only
    those the request sent), once Stripe has confirmed them:

    - ``payment_provider_id`` must be a Stripe customer of the account (else 400 naming it);
    - ``payment_method_id`` must be a PaymentMethod of the account whose type is
      ``payment_method_type`` (else 400), attached to the customer's Stripe customer; a method attached
      to a Stripe customer while the Monk customer has none links that customer too. Its brand and last
      4 digits are read from Stripe (``payment_method_brand``/``_last4``);
    - a new (or cleared) ``payment_provider_id`` without a method forgets the saved method.

    Clearing (``None``) needs no connection. Raises ``ValidationFailed`` (400; also without a Stripe
    connection in ``mode``) and ``ServiceUnavailable`` (503: Stripe could not be reached; nothing written)."""
    out = dict(wanted)
    provider_id = wanted.get("payment_provider_id", current_provider_id)
    try:
        if wanted.get("payment_provider_id"):
            stripe = await _opened(session, org_id, mode, server_key, "paymentProviderId")
            if not await stripe.customer_exists(wanted["payment_provider_id"]):
                raise ValidationFailed(f"paymentProviderId: no Stripe customer '{wanted['payment_provider_id']}' "
                                       f"in the connected {mode} account")
        method_id = wanted.get("payment_method_id")
        if "payment_provider_id" in wanted and wanted["payment_provider_id"] != current_provider_id \
                and "payment_method_id" not in wanted:  # the saved method belonged to the Stripe customer unlinked
            out["payment_method_id"] = out["payment_method_type"] = None
        if "payment_method_id" in out:
            out["payment_method_brand"] = out["payment_method_last4"] = None
        if method_id:
            stripe = await _opened(session, org_id, mode, server_key, "paymentMethodId")
            method = await stripe.payment_method(method_id)
            if method is None:
                raise ValidationFailed(f"paymentMethodId: no Stripe payment method '{method_id}' "
                                       f"in the connected {mode} account")
            if method.type != wanted.get("payment_method_type"):
                raise ValidationFailed(f"paymentMethodType: '{method_id}' is a {method.type} payment method")
            if method.customer is None:
                raise ValidationFailed(f"paymentMethodId: '{method_id}' is not attached to a Stripe customer")
            if provider_id and method.customer != provider_id:
                raise ValidationFailed(f"paymentMethodId: '{method_id}' belongs to Stripe customer "
                                       f"'{method.customer}', not '{provider_id}'")
            if not provider_id:
                out["payment_provider_id"], out["provider"] = method.customer, "stripe"
            out["payment_method_brand"], out["payment_method_last4"] = method.brand, method.last4
    except StripeUnavailable as exc:
        raise ServiceUnavailable(f"Stripe could not be reached to check the payment fields: {exc}") from None
    return out

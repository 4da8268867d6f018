"""Stripe connections (concepts §18): one per organization and mode, secrets sealed with
``MONK_SECRET_KEY``. Never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.gateway import repository
from monk.gateway.schemas import StripeConnect
from monk.gateway.stripe import StripeAccount, StripeGateway
from monk.kit.clock import iso_ms
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.kit.secrets import Sealer, SecretKeyMissing
from monk.models import StripeConnection

KEY_PREFIXES = {"live": ("sk_live_", "rk_live_"), "test": ("sk_test_", "rk_test_")}


def webhook_path(org_id: str, mode: str) -> str:
    """The URL path at which Monk receives ``org_id``'s Stripe webhooks in ``mode``."""
    return f"/v1/payments/stripe/webhooks/{org_id}/{mode}"


def connection_out(c: StripeConnection) -> dict[str, Any]:
    """The API shape of a connection (``schemas.StripeConnection``)."""
    return {"mode": c.mode, "keyLast4": c.key_last4, "publishableKey": c.publishable_key, "apiBase": c.api_base,
            "webhookPath": webhook_path(c.org_id, c.mode), "createdAt": iso_ms(c.created_at),
            "updatedAt": iso_ms(c.updated_at)}


def _sealer(secret_key: str) -> Sealer:
    try:
        return Sealer(secret_key)
    except SecretKeyMissing as exc:
        raise Conflict(str(exc)) from None


async def connect(session: AsyncSession, org_id: str, mode: str, body: StripeConnect, *, server_key: str,
                  now: datetime) -> StripeConnection:
    """Connect (or reconnect) ``org_id``'s ``mode`` to the Stripe account of ``body``: its secrets sealed
    with ``server_key`` (``MONK_SECRET_KEY``). Raises ``ValidationFailed`` (400: a key of the other mode
    or not a secret/restricted key) and ``Conflict`` (409: the server has no ``MONK_SECRET_KEY``)."""
    if not body.secret_key.startswith(KEY_PREFIXES[mode]):
        raise ValidationFailed(f"secretKey: a {mode} connection takes a {' or '.join(KEY_PREFIXES[mode])}… key")
    if body.publishable_key and not body.publishable_key.startswith(f"pk_{mode}_"):
        raise ValidationFailed(f"publishableKey: a {mode} connection takes a pk_{mode}_… key")
    sealer = _sealer(server_key)
    found = await repository.connection(session, org_id, mode)
    if found is None:
        found = StripeConnection(id=new_id(), org_id=org_id, mode=mode, created_at=now)
        session.add(found)
    found.secret_key_sealed = sealer.seal(body.secret_key)
    found.webhook_secret_sealed = sealer.seal(body.webhook_secret)
    found.key_last4 = body.secret_key[-4:]
    found.api_base = body.api_base
    found.publishable_key = body.publishable_key
    found.updated_at = now
    await session.flush()
    return found


async def get(session: AsyncSession, org_id: str, mode: str) -> StripeConnection:
    """The connection of ``org_id`` in ``mode``. Raises ``NotFound`` (404) when there is none."""
    found = await repository.connection(session, org_id, mode)
    if found is None:
        raise NotFound(f"No Stripe connection in {mode} mode")
    return found


async def disconnect(session: AsyncSession, org_id: str, mode: str) -> None:
    """Forget the connection of ``org_id`` in ``mode``. Raises ``NotFound`` (404) when there is none."""
    if not await repository.disconnect(session, org_id, mode):
        raise NotFound(f"No Stripe connection in {mode} mode")


async def account(session: AsyncSession, org_id: str, mode: str, *, server_key: str) -> StripeAccount | None:
    """The opened Stripe account of ``org_id`` in ``mode`` (None: not connected, so auto-pay is
    unavailable). Raises ``Conflict`` (409) when the secrets cannot be opened with ``server_key``."""
    found = await repository.connection(session, org_id, mode)
    if found is None:
        return None
    sealer = _sealer(server_key)
    try:
        return StripeAccount(sealer.open(found.secret_key_sealed), sealer.open(found.webhook_secret_sealed),
                             found.api_base)
    except SecretKeyMissing as exc:
        raise Conflict(str(exc)) from None


async def gateway(session: AsyncSession, org_id: str, mode: str, *, server_key: str) -> StripeGateway | None:
    """The Stripe gateway of ``org_id`` in ``mode`` (None: not connected). Raises ``Conflict`` (409)
    when the secrets cannot be opened with ``server_key``."""
    opened = await account(session, org_id, mode, server_key=server_key)
    return StripeGateway(opened) if opened is not None else None

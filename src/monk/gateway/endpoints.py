"""HTTP endpoints for the Stripe connection (an extension: the reference keeps it in the dashboard;
concepts §18). Scope ``*``: only a full-access key connects an organization's payments."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from monk.gateway import service
from monk.gateway.schemas import StripeConnect, StripeConnection
from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, envelope

router = APIRouter(prefix="/v1/payments/stripe", tags=["payments"])
FullAccess = Annotated[Principal, Depends(require("*"))]


@router.put("", **typed(Data[StripeConnection], 409))
async def connect(session: deps.Session, body: StripeConnect, clock: deps.Clock, settings: deps.Settings,
                  principal: FullAccess) -> dict[str, Any]:
    """Connect the key's organization and mode to a Stripe account → ``{"data": StripeConnection}``
    (``webhookPath``: register ``<your Monk URL><webhookPath>`` at Stripe). ``secretKey`` must be
    of the key's mode (``sk_test_``/``rk_test_`` for test, ``sk_live_``/``rk_live_`` for live),
    ``webhookSecret`` a ``whsec_`` secret; both are sealed with ``MONK_SECRET_KEY`` and never shown
    again. 400 invalid; 409 the server has no ``MONK_SECRET_KEY``."""
    found = await service.connect(session, principal.org_id, principal.mode, body, server_key=settings.secret_key,
                                  now=clock.now())
    return envelope(service.connection_out(found))


@router.get("", **typed(Data[StripeConnection], 404))
async def get_connection(session: deps.Session, principal: FullAccess) -> dict[str, Any]:
    """The Stripe connection of the key's organization and mode (no secrets); 404 when not connected."""
    return envelope(service.connection_out(await service.get(session, principal.org_id, principal.mode)))


@router.delete("", **typed(Data[dict[str, bool]], 404))
async def disconnect(session: deps.Session, principal: FullAccess) -> dict[str, Any]:
    """Disconnect → ``{"data": {"success": true}}``; 404 when not connected."""
    await service.disconnect(session, principal.org_id, principal.mode)
    return envelope({"success": True})

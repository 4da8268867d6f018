"""Settings: ``/settings/keys`` (API keys), ``/settings/webhooks`` (endpoints and delivery log),
``/settings/stripe`` (the Stripe connection) and ``/settings/users``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

"""``/usage/new``: "+ Add usage" — a usage against a pricing code, stored exactly as the legacy
``POST /api/v1/usages`` stores it (``legacy_usage.service.record_legacy_usage``: an event the pricing's meter
accepts, matched by the worker like any event). Routes on ``pages.usage.router``."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import uuid4

from fastapi.responses import Response
from pydantic import ValidationError

from monk.billing.context import METERED_MODELS
from monk.dashboard.pages.usage import router
from monk.dashboard.web import AdminForm, SignedIn, Web, form_errors
from monk.kit.errors import MonkError
from monk.kit.pagination import MAX_LIMIT, Page
from monk.legacy_usage import service as legacy
from monk.legacy_usage.schemas import LegacyUsageIn
from monk.models.statuses import EventStatus
from monk.pricing import repository as pricing

FIELDS = ("customer", "pricing", "quantity", "timestamp")
# ``LegacyUsageIn``'s aliases (and the prefixes of its service's messages) → the form's fields.
ALIASES = {"customerId": "customer", "pricingCode": "pricing", "quantity": "quantity", "timestamp": "timestamp",
           "customer": "customer", "pricing": "pricing"}


async def pricing_options(web: Web) -> list[tuple[str, str]]:
    """``(code, "code — product · name")`` of the usage-based pricing (USAGE or TIER) among the first 100
    pricing of the organization and mode, oldest first."""
    rows, _total = await pricing.list_page(web.session, web.principal, Page(limit=MAX_LIMIT, offset=0),
                                           product_id=None)
    return [(p.code, f"{p.code} — {product} · {p.name}") for p, product in rows
            if p.model in METERED_MODELS and p.meter_id is not None]


async def _form(web: Web, values: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    options = await pricing_options(web)
    return web.render("usage_new.html", status, values=values, errors=errors, options=options)


@router.get("/usage/new")
async def usage_new(web: SignedIn) -> Response:
    """The "+ Add usage" form: customer (external or Monk id), pricing (select of the usage-based pricing by
    code and name), quantity (> 0, decimal), timestamp (``datetime-local``, UTC; blank = now)."""
    values = {"customer": "", "pricing": "", "quantity": "1", "timestamp": web.now.strftime("%Y-%m-%dT%H:%M")}
    return await _form(web, values, {})


@router.post("/usage/new")
async def usage_create(web: AdminForm) -> Response:
    """Record the usage (admin) with the legacy shim's service under a fresh idempotency key. Success → 303
    to ``/usage?tab=matched`` filtered on the customer (the worker matches the event within seconds).
    Bad input (unknown customer or pricing, quantity not > 0, timestamp more than 1 hour ahead or out of
    range, a meter that cannot take it) → 400 with the message next to the field, nothing stored."""
    values = {k: (web.fields.get(k) or "").strip() for k in FIELDS}
    errors: dict[str, str] = {}
    for name, label in (("customer", "Enter the customer's external id."), ("pricing", "Choose a pricing."),
                        ("quantity", "Enter a quantity.")):
        if not values[name]:
            errors[name] = label
    if not errors:
        body: dict[str, object] = {"customerId": values["customer"], "pricingCode": values["pricing"],
                                   "quantity": values["quantity"], "idempotencyKey": f"dashboard-{uuid4()}"}
        if values["timestamp"]:
            body["timestamp"] = values["timestamp"]
        try:
            usage = LegacyUsageIn.model_validate(body)
            await legacy.record_legacy_usage(web.session, web.principal, usage, now=web.now)
        except ValidationError as exc:
            errors = form_errors(exc, ALIASES)
        except MonkError as exc:
            errors = form_errors(exc, ALIASES)
        else:
            return web.redirect("/usage?" + urlencode({"tab": EventStatus.MATCHED, "customer": values["customer"]}))
    await web.discard()
    return await _form(web, values, errors, 400)

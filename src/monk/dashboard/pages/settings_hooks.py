"""Settings, continued: ``/settings/webhooks`` (endpoints: create, enable/disable, delete, rotate the
secret), ``/settings/webhooks/deliveries`` (the delivery log with its attempts, filters and Retry) and
``/settings/stripe`` (connect, show, disconnect). ``settings.router`` includes this ``router``.

Same services as ``monk.webhooks.endpoints`` and ``monk.gateway.endpoints``; a signing secret is shown
once in the 200 answer of the POST that made it; a Stripe secret key is never shown back (only its last
four characters, as the API does)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ValidationError

from monk.dashboard.web import AdminForm, SignedIn, Web, form_errors
from monk.gateway import service as stripe
from monk.gateway.schemas import StripeConnect
from monk.kit import deps
from monk.kit.errors import MonkError, NotFound, ValidationFailed
from monk.kit.pagination import Page
from monk.models.statuses import DeliveryStatus
from monk.webhooks import repository as hooks_repo
from monk.webhooks import service as hooks
from monk.webhooks.catalogue import ALL, EVENT_TYPES
from monk.webhooks.schemas import EndpointCreate, EndpointUpdate
from monk.webhooks.urls import Resolver

router = APIRouter(include_in_schema=False)

EVENT_CHOICES = (ALL, *EVENT_TYPES)
ENDPOINT_FIELDS = {"url": "url", "eventTypes": "events", "description": "description"}
STRIPE_FIELDS = {"secretKey": "secret_key", "webhookSecret": "webhook_secret", "publishableKey": "publishable_key",
                 "apiBase": "api_base"}
STATUSES = [("", "any status")] + [(s.value, s.value) for s in DeliveryStatus]


def _resolver(web: Web) -> Resolver:
    return Resolver(allow_private=web.settings().webhook_allow_private_networks)


# ----- Endpoints ------------------------------------------------------------------------------------------

async def _hooks_page(web: Web, page: Page | None = None, *, status: int = 200, secret: str = "",
                      secret_for: str = "", form: dict[str, Any] | None = None,
                      errors: dict[str, str] | None = None) -> Response:
    page = page or Page(limit=50, offset=0)
    rows, total = await hooks_repo.endpoints_page(web.session, web.principal, page)
    return web.render("settings_webhooks.html", status, endpoints=rows, total=total, limit=page.limit,
                      offset=page.offset, events=EVENT_CHOICES, secret=secret, secret_for=secret_for,
                      form=form or {"events": [ALL]}, errors=errors or {})


@router.get("/settings/webhooks")
async def webhooks_list(web: SignedIn, page: deps.LongPage) -> Response:
    """The webhook endpoints of the session's mode, oldest first (url, events, enabled or why Monk
    disabled it), ``offset``/``limit``; an admin also gets the create form and per endpoint
    Enable/Disable, Rotate secret and Delete."""
    return await _hooks_page(web, page)


@router.post("/settings/webhooks")
async def webhooks_create(web: AdminForm) -> Response:
    """Create an endpoint (``url``, checked ``events``, ``description``) → 200, the page with its signing
    secret shown once. 400 next to the field: a URL that is not https (http only to localhost), does not
    resolve or is private; no or unknown event type. Nothing stored on error."""
    form = {"url": web.fields.get("url", "").strip(), "events": web.lists.get("events", []),
            "description": web.fields.get("description", "").strip()}
    try:
        body = EndpointCreate.model_validate({"url": form["url"], "eventTypes": form["events"],
                                              "description": form["description"] or None})
        endpoint, secret = await hooks.create(web.session, web.principal, body, resolver=_resolver(web), now=web.now)
    except ValidationError as exc:
        return await _hooks_page(web, status=400, form=form, errors=form_errors(exc, ENDPOINT_FIELDS))
    except MonkError as exc:
        await web.discard()
        errors = form_errors(exc, ENDPOINT_FIELDS)
        if "" in errors and exc.status_code == 400:
            errors = {"url": errors[""]}
        return await _hooks_page(web, status=exc.status_code, form=form, errors=errors)
    return await _hooks_page(web, secret=secret, secret_for=endpoint.url)


async def _set_enabled(web: Web, endpoint_id: str, enabled: bool) -> Response:
    await hooks.update(web.session, web.principal, endpoint_id, EndpointUpdate(enabled=enabled),
                       resolver=_resolver(web), now=web.now)
    return web.redirect("/settings/webhooks")


@router.post("/settings/webhooks/{endpoint_id}/disable")
async def webhooks_disable(web: AdminForm, endpoint_id: str) -> Response:
    """Stop sending to the endpoint → 303 to ``/settings/webhooks``; 404 unknown here."""
    return await _set_enabled(web, endpoint_id, False)


@router.post("/settings/webhooks/{endpoint_id}/enable")
async def webhooks_enable(web: AdminForm, endpoint_id: str) -> Response:
    """Send to the endpoint again (its pending deliveries resume) → 303; 404 unknown here."""
    return await _set_enabled(web, endpoint_id, True)


@router.post("/settings/webhooks/{endpoint_id}/delete")
async def webhooks_delete(web: AdminForm, endpoint_id: str) -> Response:
    """Delete the endpoint (its pending deliveries become failed) → 303; 404 unknown here."""
    await hooks.delete(web.session, web.principal, endpoint_id, now=web.now)
    return web.redirect("/settings/webhooks")


@router.post("/settings/webhooks/{endpoint_id}/test")
async def webhooks_test(web: AdminForm, endpoint_id: str) -> Response:
    """Queue a signed ``ping`` delivery to the endpoint → 303 to its delivery log; 404 unknown here; 409
    (error page) when the endpoint is disabled."""
    await hooks.send_test(web.session, web.principal, endpoint_id, now=web.now)
    return web.redirect(f"/settings/webhooks/deliveries?endpoint={endpoint_id}")


@router.post("/settings/webhooks/{endpoint_id}/rotate")
async def webhooks_rotate(web: AdminForm, endpoint_id: str) -> Response:
    """A new signing secret → 200, the page with it shown once (the previous one still signs for 24 hours);
    404 unknown here."""
    endpoint, secret = await hooks.rotate_secret(web.session, web.principal, endpoint_id, now=web.now)
    return await _hooks_page(web, secret=secret, secret_for=endpoint.url)


# ----- Delivery log ---------------------------------------------------------------------------------------

@router.get("/settings/webhooks/deliveries")
async def deliveries_list(web: SignedIn, page: deps.LongPage,
                          endpoint: str = Query("", max_length=36), status: str = Query("", max_length=20)) -> Response:
    """The delivery log of the session's mode, newest first, filtered by ``endpoint`` (id) and ``status``
    (pending, succeeded, failed; 400 otherwise), ``offset``/``limit``: event, endpoint, status, attempts
    (time, status code or error, duration); an admin gets Retry on a delivery whose last attempt failed."""
    if status and status not in {s.value for s in DeliveryStatus}:
        raise ValidationFailed(f"status must be one of {', '.join(s.value for s in DeliveryStatus)}")
    rows, total = await hooks_repo.deliveries_page(web.session, web.principal, page, endpoint_id=endpoint or None,
                                                   status=status or None)
    endpoints, _ = await hooks_repo.endpoints_page(web.session, web.principal, Page(limit=100, offset=0))
    urls = {e.id: e.url for e in endpoints}
    attempts = await hooks_repo.attempts_of(web.session, [d.id for d in rows])
    return web.render("settings_deliveries.html", deliveries=rows, attempts=attempts, total=total,
                      limit=page.limit, offset=page.offset, urls=urls, endpoint=endpoint, chosen_status=status,
                      endpoint_options=[("", "any endpoint")] + list(urls.items()), statuses=STATUSES)


@router.post("/settings/webhooks/deliveries/{delivery_id}/retry")
async def deliveries_retry(web: AdminForm, delivery_id: str) -> Response:
    """Send the delivery again now (one more attempt, same delivery id) → 303 back to the log; 404
    unknown here; 409 (error page) when its endpoint is deleted or disabled or an attempt is in flight."""
    await hooks.retry(web.session, web.principal, delivery_id, now=web.now)
    back = web.fields.get("back", "")
    return web.redirect(back if back.startswith("/settings/webhooks/deliveries") else "/settings/webhooks/deliveries")


# ----- Stripe ---------------------------------------------------------------------------------------------

async def _stripe_page(web: Web, *, status: int = 200, form: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None) -> Response:
    try:
        found = await stripe.get(web.session, web.access.org_id, web.mode)
    except NotFound:
        found = None
    return web.render("settings_stripe.html", status, connection=found, form=form or {}, errors=errors or {},
                      webhook_path=stripe.webhook_path(web.access.org_id, web.mode))


@router.get("/settings/stripe")
async def stripe_show(web: SignedIn) -> Response:
    """The Stripe connection of the session's mode (key's last four characters, publishable key, API
    base, webhook path, since when) or "not connected"; an admin gets the connect form and Disconnect."""
    return await _stripe_page(web)


@router.post("/settings/stripe")
async def stripe_connect(web: AdminForm) -> Response:
    """Connect (or reconnect) the session's mode: ``secret_key`` (sk_/rk_ of the mode), ``webhook_secret``
    (whsec_), ``publishable_key``, ``api_base`` → 303 to ``/settings/stripe``. 400 next to the field
    (the secrets are never echoed back); 409 the server has no ``MONK_SECRET_KEY``."""
    form = {k: web.fields.get(k, "").strip() for k in STRIPE_FIELDS.values()}
    shown = {"publishable_key": form["publishable_key"], "api_base": form["api_base"]}
    try:
        body = StripeConnect.model_validate({alias: form[name] or None for alias, name in STRIPE_FIELDS.items()})
        await stripe.connect(web.session, web.access.org_id, web.mode, body, server_key=web.settings().secret_key,
                             now=web.now)
    except ValidationError as exc:
        return await _stripe_page(web, status=400, form=shown, errors=form_errors(exc, STRIPE_FIELDS))
    except MonkError as exc:
        await web.discard()
        return await _stripe_page(web, status=exc.status_code, form=shown, errors=form_errors(exc, STRIPE_FIELDS))
    return web.redirect("/settings/stripe")


@router.post("/settings/stripe/disconnect")
async def stripe_disconnect(web: AdminForm) -> Response:
    """Forget the session mode's Stripe connection → 303; 404 when not connected."""
    await stripe.disconnect(web.session, web.access.org_id, web.mode)
    return web.redirect("/settings/stripe")

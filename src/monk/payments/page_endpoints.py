"""The payment page (concepts §18): ``GET /pay/{token}`` (HTML, for people) and ``POST
/pay/{token}/intent`` (JSON, for the page's script). The signed token is the only credential; the
routes are outside the API document. An expired or tampered link is a clear page, never an error."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import StrictBool

from monk.billing.money import cents_as_dollars
from monk.kit import deps
from monk.kit.errors import HttpError, NotFound
from monk.kit.schemas import CamelModel, envelope
from monk.payments import page
from monk.payments.links import PATH, LinkRefused, PaymentLinks

router = APIRouter(include_in_schema=False)
templates = Environment(loader=PackageLoader("monk.payments", "templates"), autoescape=select_autoescape())
templates.globals["money"] = cents_as_dollars
REFUSED = {"expired": ("This payment link has expired",
                       "Payment links are valid for a limited time. Please ask the sender for a new one."),
           "tampered": ("This payment link is not valid",
                        "Please check that you copied the whole link, or ask the sender for a new one.")}


class PayBody(CamelModel):
    """``POST /pay/{token}/intent``: ``saveMethod`` saves the method and turns auto-pay on once paid."""

    save_method: StrictBool = False


def _links(request: Request) -> PaymentLinks:
    links = PaymentLinks.from_settings(request.app.state.settings)
    if links is None:
        raise NotFound("No such payment link")
    return links


def _refused(reason: str, status: int) -> HTMLResponse:
    title, text = REFUSED[reason]
    return HTMLResponse(templates.get_template("pay.html").render(refused=text, refused_title=title), status)


@router.get(PATH + "{token}", response_class=HTMLResponse)
async def payment_page(token: str, request: Request, session: deps.Session, clock: deps.Clock) -> HTMLResponse:
    """The invoice with its lines, credits and amount due, and a Stripe card form; 404 page for a
    tampered link or no such invoice, 410 page for an expired one."""
    try:
        view = await page.view(session, _links(request), token, now=clock.now())
    except LinkRefused as exc:
        return _refused(exc.reason, 410 if exc.reason == "expired" else 404)
    except NotFound:
        return _refused("tampered", 404)
    html = templates.get_template("pay.html").render(
        invoice=view.invoice, customer=view.customer, seller=view.seller, message=view.message,
        publishable_key=view.publishable_key, stripe_js=view.stripe_js, auto_pay=view.auto_pay,
        intent_url=f"{PATH}{token}/intent")
    return HTMLResponse(html)


@router.post(PATH + "{token}/intent")
async def start_payment(token: str, body: PayBody, request: Request, clock: deps.Clock,
                        settings: deps.Settings) -> dict[str, Any]:
    """Start paying → ``{"data": {"clientSecret", "paymentIntentId"}}`` for Stripe.js to confirm. 404
    tampered link or no such invoice; 409 nothing due, already paid or a payment in flight; 410
    expired; 503 Stripe unreachable (nothing charged)."""
    try:
        started = await page.start(request.app.state.sessions, _links(request), token, save=body.save_method,
                                   now=clock.now(), server_key=settings.secret_key, clock=clock.now)
    except LinkRefused as exc:
        if exc.reason == "expired":
            raise HttpError(410, "LINK_EXPIRED", REFUSED["expired"][0]) from None
        raise NotFound(REFUSED["tampered"][0]) from None
    return envelope({"clientSecret": started.client_secret, "paymentIntentId": started.payment_intent_id})

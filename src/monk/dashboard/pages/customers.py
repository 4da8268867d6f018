"""Customers (``/customers``): the list with search, the create form and a customer's page (contacts,
Stripe link and payment method, contracts, invoices, credit balance, upcoming invoice). Every read and
write goes through the customers, contracts, invoices and credits services the API uses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from monk.contracts import repository as contracts
from monk.credits import repository as wallets
from monk.credits import service as credits
from monk.customers import repository, service
from monk.customers.schemas import CustomerCreate
from monk.dashboard.web import AdminForm, SignedIn, error_of, form_errors
from monk.invoices import repository as invoices
from monk.invoices.schemas import invoice_out
from monk.kit import deps
from monk.kit.errors import MonkError
from monk.kit.pagination import Page
from monk.plans import repository as plans

router = APIRouter(include_in_schema=False)
MAX_SEARCH = 200
FIELDS = {"name": "name", "externalCustomerId": "external_id", "legalName": "legal_name", "contacts": "email"}
"""The API model's field names → the form's (errors are shown next to the form's field)."""


@router.get("/customers", response_class=HTMLResponse)
async def customer_list(web: SignedIn, page: deps.LongPage,
                        q: str = Query("", max_length=MAX_SEARCH)) -> Response:
    """The customers of the session's organization and mode, newest first, 50 a page (``offset``,
    ``limit`` ≤ 100); ``q`` searches names and external ids (contains, any case)."""
    rows, total = await repository.list_page(web.session, web.principal, page, external_id=None,
                                             search=q.strip() or None, newest_first=True)
    return web.render("customers_list.html", customers=rows, total=total, page=page, q=q)


@router.get("/customers/new", response_class=HTMLResponse)
async def new_customer(web: SignedIn) -> Response:
    """The create-customer form (name, external id, legal name, billing contact's email)."""
    return web.render("customers_new.html", form={}, errors={})


@router.post("/customers/new", response_class=HTMLResponse)
async def create_customer(web: AdminForm) -> Response:
    """Create a customer from the form as ``POST /v1/customers`` does (reference §5.1) → 303 to its page;
    bad input or a taken external id → 400 with the message next to the field, nothing written."""
    form = web.fields
    body: dict[str, Any] = {"name": form.get("name", "").strip(),
                            "contacts": [{"email": form.get("email", "").strip(), "roles": ["billing"],
                                          "name": form.get("contact_name", "").strip() or None}]}
    for key, name in (("externalCustomerId", "external_id"), ("legalName", "legal_name")):
        if form.get(name, "").strip():
            body[key] = form[name].strip()
    errors: dict[str, str]
    try:
        customer = await service.create(
            web.session, web.principal, CustomerCreate.model_validate(body), web.now,
            rematch_window=timedelta(days=web.settings().rematch_window_days),
            server_key=web.settings().secret_key)
    except ValidationError as exc:
        errors = form_errors(exc, FIELDS)
    except MonkError as exc:
        await web.discard()
        errors = {("external_id" if exc.status_code == 409 else k): v for k, v in error_of(exc).items()}
    else:
        return web.redirect(f"/customers/{customer.id}")
    return web.render("customers_new.html", 400, form=form, errors=errors)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
async def customer_page(web: SignedIn, customer_id: str) -> Response:
    """One customer: contacts, Stripe customer and payment method, its contracts (with plan names and
    wallet balances, in cents), its latest 10 invoices and the upcoming one; 404 when unknown in this
    organization and mode."""
    customer = await service.get(web.session, web.principal, customer_id)
    rows = await contracts.of_customer(web.session, customer.id)
    names = await plans.names(web.session, web.principal, {c.plan_id for c in rows})
    balances: dict[str, int] = {}
    for contract in rows:
        if await wallets.has_wallet(web.session, contract.id):
            wallet = await credits.balance(web.session, web.principal, contract.id, now=web.now)
            balances[contract.id] = wallet["balance"]["balanceCents"]
    latest, total = await invoices.list_page(web.session, web.principal, Page(limit=10, offset=0),
                                             customer_id=customer.id, contract_id=None, status=None,
                                             created_after=None, created_before=None, newest_first=True)
    upcoming = await invoices.upcoming(web.session, web.principal, customer.id, web.now.date())
    stripe = None
    if customer.payment_provider_id:
        stripe = ("https://dashboard.stripe.com/" + ("test/" if web.mode == "test" else "")
                  + f"customers/{customer.payment_provider_id}")
    return web.render("customers_detail.html", customer=customer, contracts=rows, plan_names=names,
                      balances=balances, credit_total=sum(balances.values()), invoices=[invoice_out(i) for i in latest],
                      invoice_total=total, upcoming=invoice_out(upcoming) if upcoming else None, stripe=stripe)

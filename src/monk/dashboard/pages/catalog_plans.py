"""Plans (``/plans``): the list by status, the create form (name, code, billing frequency, how invoices
are paid, net terms, auto-pay, credit grant, pricing to bundle) and a plan's page. Reads and writes go
through the plans service and repository the API uses; the auto-charge terms (Net 0, auto-pay on) are the
service's rule, shown next to the field it names."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from monk.dashboard.pages.catalog import checked, dollars_text
from monk.dashboard.pages.catalog_products import charge_of
from monk.dashboard.web import AdminForm, SignedIn, Web, form_errors
from monk.kit import deps
from monk.kit.errors import MonkError
from monk.kit.pagination import Page
from monk.plans import repository, service
from monk.plans.schemas import PlanCreate, plan_out
from monk.pricing import repository as pricing_repo
from monk.pricing.schemas import pricing_out

router = APIRouter(include_in_schema=False)
PRICING_CHOICES = 100
FREQUENCIES = [("MONTHLY", "Monthly"), ("QUARTERLY", "Quarterly"), ("SEMI_ANNUALLY", "Semi-annually"),
               ("ANNUALLY", "Annually")]
COLLECTION = [("invoice_and_collect", "Send the invoice and collect it"),
              ("auto_charge", "Charge the saved payment method automatically")]
STATUSES = [("ACTIVE", "Active"), ("DRAFT", "Draft"), ("ARCHIVED", "Archived")]
FIELDS = {"name": "name", "planCode": "plan_code", "billingFrequency": "billing_frequency",
          "collectionMethod": "collection_method", "netTerms": "net_terms", "autoPay": "auto_pay",
          "creditGrantCents": "credit_grant", "status": "status", "description": "description",
          "pricingIds": "pricing"}
"""The API model's field names → the form's (errors are shown next to the form's field)."""


@router.get("/plans", response_class=HTMLResponse)
async def plan_list(web: SignedIn, page: deps.LongPage,
                    status: Literal["ACTIVE", "DRAFT", "ARCHIVED"] | None = Query(None)) -> Response:
    """The plans of the session's organization and mode with their pricing names, oldest first, 50 a
    page (``offset``, ``limit`` ≤ 100); ``status`` filters (all when absent)."""
    rows, total = await repository.list_page(web.session, web.principal, page, status=status)
    pricing = await repository.expanded_pricing(web.session, web.principal, [p.id for p in rows])
    return web.render("catalog_plans.html", plans=[plan_out(p, pricing[p.id]) for p in rows], total=total,
                      page=page, shown=status or "", statuses=STATUSES, frequencies=dict(FREQUENCIES))


async def _choices(web: Web) -> dict[str, Any]:
    """The form's options: frequencies, collection methods, statuses and the first 100 pricing."""
    rows, total = await pricing_repo.list_page(web.session, web.principal, Page(limit=PRICING_CHOICES, offset=0),
                                               product_id=None)
    return {"frequencies": FREQUENCIES, "collection": COLLECTION, "statuses": STATUSES[:2],
            "pricing": [pricing_out(p, name) for p, name in rows], "pricing_total": total, "charge_of": charge_of}


@router.get("/plans/new", response_class=HTMLResponse)
async def new_plan(web: SignedIn) -> Response:
    """The create-plan form (pricing offered as checkboxes: the first 100, oldest first)."""
    form = {"billing_frequency": "MONTHLY", "collection_method": "invoice_and_collect", "net_terms": "30",
            "status": "ACTIVE"}
    return web.render("catalog_plan_new.html", form=form, picked=[], errors={}, **await _choices(web))


def plan_body(web: Web) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``POST /v1/plans`` body of the form and the errors of fields the form itself converts: net
    terms (whole days; blank = 0) and the credit grant (dollars with at most 2 decimals → cents)."""
    form, errors = web.fields, {}
    body: dict[str, Any] = {"name": form.get("name", "").strip(), "planCode": form.get("plan_code", "").strip(),
                            "billingFrequency": form.get("billing_frequency", ""),
                            "collectionMethod": form.get("collection_method", "invoice_and_collect"),
                            "autoPay": checked(form.get("auto_pay")), "status": form.get("status", "ACTIVE"),
                            "pricingIds": [p for p in web.lists.get("pricing", []) if p],
                            "description": form.get("description", "").strip() or None}
    terms = form.get("net_terms", "").strip()
    if terms:
        if terms.isdigit():
            body["netTerms"] = int(terms)
        else:
            errors["net_terms"] = "Enter a whole number of days, e.g. 30 (0: due on receipt)."
    credit = dollars_text(form.get("credit_grant", ""))
    if credit is not None:
        try:
            cents: Decimal | None = Decimal(credit) * 100
        except InvalidOperation:
            cents = None
        if cents is None or not cents.is_finite() or cents < 0 or cents != cents.to_integral_value():
            errors["credit_grant"] = "Enter dollars and cents, e.g. 500.00."
        else:
            body["creditGrantCents"] = int(cents)
    return body, errors


@router.post("/plans/new", response_class=HTMLResponse)
async def create_plan(web: AdminForm) -> Response:
    """Create a plan as ``POST /v1/plans`` does → 303 to its page; bad input, a taken plan code, or an
    auto-charge plan with net terms other than 0 or auto-pay off → 400 with the message next to the
    field, nothing written."""
    body, errors = plan_body(web)
    if not errors:
        try:
            plan, _ = await service.create(web.session, web.principal, PlanCreate.model_validate(body), web.now)
        except (ValidationError, MonkError) as exc:
            await web.discard()
            errors = form_errors(exc, FIELDS)
            if isinstance(exc, MonkError) and exc.status_code == 409:
                errors = {"plan_code": exc.message}
        else:
            return web.redirect(f"/plans/{plan.id}")
    return web.render("catalog_plan_new.html", 400, form=web.fields, picked=body["pricingIds"], errors=errors,
                      **await _choices(web))


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
async def plan_page(web: SignedIn, plan_id: str) -> Response:
    """One plan: terms (net terms in days, auto-pay, credit grant in cents shown as dollars) and its
    pricing in plan order; 404 when unknown in this organization and mode."""
    plan, pricing = await service.get(web.session, web.principal, plan_id)
    return web.render("catalog_plan.html", plan=plan_out(plan, pricing), frequencies=dict(FREQUENCIES),
                      collection=dict(COLLECTION), charge_of=charge_of)

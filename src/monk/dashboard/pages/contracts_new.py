"""The create-contract flow: ``GET /contracts/new`` (the form), ``GET /contracts/new/terms`` (the chosen
plan's commercial terms, swapped in by htmx), ``POST /contracts/new/review`` (every check of the API's
``ContractCreate`` and of ``contracts.service.check``, then the summary and invoice schedule, nothing
written) and ``POST /contracts/new`` (the reviewed values, created as ``POST /v1/contracts`` does).
Registered on ``pages.contracts.router`` before ``/contracts/{id}``."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from monk.billing.calendar import due_date
from monk.billing.context import METERED_MODELS
from monk.billing.money import cents_as_dollars
from monk.billing.periods import Period
from monk.contracts import service
from monk.contracts.schedule import Schedule, preview
from monk.contracts.schemas import ContractCreate
from monk.customers import repository as customers
from monk.customers import service as customer_service
from monk.dashboard.web import AdminForm, SignedIn, Web, error_of
from monk.kit.errors import MonkError
from monk.kit.pagination import Page
from monk.models import Plan, Pricing
from monk.models.statuses import PlanStatus
from monk.plans import repository as plans

router = APIRouter(include_in_schema=False)
CHOICES = 100
"""How many customers and plans the form's selects list (more customers: the id field)."""
FIELDS = {"customerId": "customer", "planId": "plan", "startDate": "start_date", "endDate": "end_date",
          "name": "name", "netTerms": "net_terms", "creditGrantCents": "credit_grant", "autoPay": "auto_pay",
          "overrides": "overrides", "metadata": "", "billingCycleAnchor": "start_date"}
"""The API model's field names → the form's (errors are shown next to the form's field)."""
CARRIED = ("customer", "plan", "start_date", "end_date", "name", "net_terms", "credit_grant", "auto_pay")
"""The form's fields the review step carries to the create step (plus the ``override_<pricing id>`` ones)."""
OVERRIDE = "override_"
CENTS = Decimal("0.01")


def is_metered(p: Pricing) -> bool:
    """Usage pricing billed from a meter, in arrears (``billing.context.METERED_MODELS``)."""
    return p.model in METERED_MODELS and p.meter_id is not None


async def _choices(web: Web, form: dict[str, str]) -> dict[str, Any]:
    """The form's selects: the first ``CHOICES`` customers (plus the chosen one) and ACTIVE plans, the
    chosen plan (default the first) and its pricing in plan order."""
    first = Page(limit=CHOICES, offset=0)
    rows, total = await customers.list_page(web.session, web.principal, first, external_id=None)
    chosen = form.get("customer", "")
    if chosen and chosen not in {c.id for c in rows}:
        found = await customers.get(web.session, web.principal, chosen)
        rows = ([found] if found else []) + rows
    active, _ = await plans.list_page(web.session, web.principal, first, status=PlanStatus.ACTIVE)
    plan = next((p for p in active if p.id == form.get("plan")), active[0] if active else None)
    pricings = await plans.pricing_of(web.session, plan.id) if plan else []
    return {"customers": [(c.id, f"{c.name} ({c.external_customer_id})" if c.external_customer_id else c.name)
                          for c in rows], "customer_total": total, "plans": active, "plan": plan,
            "pricings": pricings, "is_metered": is_metered, "choices": CHOICES}


@router.get("/contracts/new", response_class=HTMLResponse)
async def new_contract(web: SignedIn, customer: str = Query("", max_length=100),
                       plan: str = Query("", max_length=100)) -> Response:
    """The create-contract form; ``customer`` (a customer id, e.g. from its page) and ``plan`` preselect
    them, and the review step's "Edit" sends every reviewed field back as query parameters. 404 when
    ``customer`` is not a customer of this organization and mode."""
    if customer:
        await customer_service.get(web.session, web.principal, customer)
    form = {k: v for k, v in web.request.query_params.items() if k in CARRIED or k.startswith(OVERRIDE)}
    return web.render("contracts_new.html", form=form, errors={}, **await _choices(web, form))


@router.get("/contracts/new/terms", response_class=HTMLResponse)
async def plan_terms(web: SignedIn, plan: str = Query("", max_length=100)) -> Response:
    """The commercial terms of ``plan`` (its pricing, metered ones marked, with an override field each):
    the fragment htmx swaps into the form when the plan changes."""
    return web.render("contracts_new_terms.html", form={"plan": plan}, errors={}, **await _choices(web, {"plan": plan}))


async def _read(web: Web) -> tuple[dict[str, str], dict[str, Any], dict[str, str]]:
    """The posted form → ``(form, body, errors)``: the form's values as typed (the customer resolved to its
    id when an id or external id was typed), the ``ContractCreate`` body and the errors found parsing
    (dollars and whole days)."""
    form = {k: v.strip() for k, v in web.fields.items()
            if k in CARRIED or k == "customer_ref" or k.startswith(OVERRIDE)}
    errors: dict[str, str] = {}
    ref = form.get("customer_ref", "")
    if ref:
        found = await customers.by_external_id(web.session, web.principal, ref)
        form["customer"] = found.id if found else ref
    body: dict[str, Any] = {"customerId": form.get("customer", ""), "planId": form.get("plan", ""),
                            "startDate": form.get("start_date", "")}
    for key, name in (("endDate", "end_date"), ("name", "name")):
        if form.get(name):
            body[key] = form[name]
    if form.get("net_terms"):
        if re.fullmatch(r"\d{1,4}", form["net_terms"]):
            body["netTerms"] = int(form["net_terms"])
        else:
            errors["net_terms"] = "Enter a whole number of days (0 to 365), or leave blank for the plan's."
    if form.get("credit_grant"):
        try:
            dollars = Decimal(form["credit_grant"].replace(",", "").removeprefix("$"))
            if not dollars.is_finite() or dollars < 0 or dollars != dollars.quantize(CENTS):
                raise InvalidOperation
            body["creditGrantCents"] = int(dollars * 100)
        except (InvalidOperation, ValueError):
            errors["credit_grant"] = "Enter an amount in dollars with at most 2 decimals, e.g. 100.00."
    if form.get("auto_pay") in ("on", "off"):
        body["autoPay"] = form["auto_pay"] == "on"
    body["overrides"] = [{"basePricingId": k.removeprefix(OVERRIDE), "unitAmount": v}
                         for k, v in form.items() if k.startswith(OVERRIDE) and v]
    form = {k: v for k, v in form.items() if v or k in CARRIED}
    return form, body, errors


def _validation_errors(exc: ValidationError, body: dict[str, Any]) -> dict[str, str]:
    """``ContractCreate``'s errors keyed by the form's fields (an override's next to its own field)."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if loc[:1] == ["overrides"] and len(loc) > 1 and loc[1].isdigit():
            key = OVERRIDE + body["overrides"][int(loc[1])]["basePricingId"]
        elif loc:
            key = FIELDS.get(loc[0], "")
        else:
            key = next((f for a, f in FIELDS.items() if message.startswith(a)), "")
        errors.setdefault(key, message)
    return errors


def _service_errors(exc: MonkError, body: dict[str, Any]) -> dict[str, str]:
    """A service error of ``check``/``create`` next to the field it names (its ``details`` field, the
    ``field: …`` prefix of its message, a customer that is not found, an override's pricing id)."""
    errors: dict[str, str] = {}
    for key, message in error_of(exc).items():
        if exc.status_code == 404:
            errors["customer"] = "No customer with this id or external id."
            continue
        name = key or next((a for a in FIELDS if message.startswith(a)), "")
        if name == "overrides":
            pid = next((o["basePricingId"] for o in body["overrides"] if o["basePricingId"] in message), None)
            errors[OVERRIDE + pid if pid else ""] = message
            continue
        errors[FIELDS.get(name, name)] = message.removeprefix(f"{name}: ") if name else message
    return errors


async def _checked(web: Web) -> tuple[dict[str, str], ContractCreate | None, dict[str, str]]:
    """The posted form parsed and validated by ``ContractCreate`` → ``(form, model or None, errors)``."""
    form, body, errors = await _read(web)
    try:
        model = ContractCreate.model_validate(body)
    except ValidationError as exc:
        return form, None, {**_validation_errors(exc, body), **errors}
    return form, (None if errors else model), errors


def _days(period: Period | None) -> str:
    """``"2026-01-01 – 2026-01-31"``: a period's first and last day covered (its ``end`` is exclusive)."""
    if period is None:
        return ""
    return f"{period.start.isoformat()} – {(period.end - timedelta(days=1)).isoformat()}"


def schedule_rows(schedule: Schedule, net_terms: int = 0) -> tuple[list[dict[str, Any]], str]:
    """The schedule as table rows (one per invoice: ``label`` ``INV-n``, ``date``, the days whose fees
    and usage it bills, ``due`` ``net_terms`` days later, ``amount`` text) and a one-line summary
    collapsing runs of equal invoices, e.g. ``"INV-1 $350.00; INV-2 to INV-4 $350.00 + based on
    usage; INV-5 based on usage"`` (open-ended: ``"…; … every month"``)."""
    rows = []
    for inv in schedule.invoices:
        parts = ([cents_as_dollars(inv.fees_cents)] if inv.fees_cents or inv.usage_period is None else []) + \
            (["based on usage"] if inv.usage_period is not None else [])
        rows.append({"label": f"INV-{inv.number}", "date": inv.invoice_date, "amount": " + ".join(parts),
                     "due": due_date(inv.invoice_date, net_terms),
                     "fees_for": _days(inv.fee_period), "usage_for": _days(inv.usage_period)})
    runs: list[list[dict[str, Any]]] = []
    for row in rows:
        if runs and runs[-1][-1]["amount"] == row["amount"]:
            runs[-1].append(row)
        else:
            runs.append([row])
    text = "; ".join((run[0]["label"] if len(run) == 1 else f"{run[0]['label']} to {run[-1]['label']}")
                     + f" {run[0]['amount']}" for run in runs)
    if schedule.open_ended:
        text += "; … " + {1: "every month", 12: "every year"}.get(schedule.months, f"every {schedule.months} months")
    return rows, text


def _effective(model: ContractCreate, plan: Plan) -> dict[str, Any]:
    """What the contract gets where the form left the plan's defaults (``create``'s defaults)."""
    fields = model.model_fields_set
    return {"net_terms": model.net_terms if model.net_terms is not None else plan.net_terms,
            "auto_pay": model.auto_pay if model.auto_pay is not None else plan.auto_pay,
            "credit_grant_cents": model.credit_grant_cents if "credit_grant_cents" in fields
            else plan.credit_grant_cents}


@router.post("/contracts/new/review", response_class=HTMLResponse)
async def review_contract(web: AdminForm) -> Response:
    """Step 1: the form checked as ``POST /v1/contracts`` would check it (``ContractCreate`` and
    ``contracts.service.check``) and, when it passes, the review: customer, plan, dates, terms and the
    invoice schedule (each invoice's date and the fees it bills in advance, usage billed in arrears);
    nothing is written. Errors → 400, the form again with each message next to its field."""
    form, model, errors = await _checked(web)
    if model is not None:
        try:
            checked = await service.check(web.session, web.principal, model, now=web.now)
        except MonkError as exc:
            errors = _service_errors(exc, {"overrides": [o.model_dump(by_alias=True) for o in model.overrides]})
        else:
            pricings = await plans.pricing_of(web.session, checked.plan.id)
            effective = _effective(model, checked.plan)
            rows, summary = schedule_rows(preview(model, checked.plan, pricings, checked.overrides),
                                          effective["net_terms"])
            carried = [(k, form[k]) for k in CARRIED if form.get(k)] + \
                [(k, v) for k, v in form.items() if k.startswith(OVERRIDE)]
            overridden = {o.base_pricing_id: o.unit_amount for o in model.overrides}
            return web.render("contracts_review.html", model=model, customer=checked.customer, plan=checked.plan,
                              pricings=pricings, is_metered=is_metered, overridden=overridden, rows=rows,
                              summary=summary, carried=carried, effective=effective)
    await web.discard()
    return web.render("contracts_new.html", 400, form=form, errors=errors, **await _choices(web, form))


@router.post("/contracts/new", response_class=HTMLResponse)
async def create_contract(web: AdminForm) -> Response:
    """Step 2: create the reviewed contract through ``contracts.service.create`` exactly as ``POST
    /v1/contracts`` does (draft invoices included) → 303 to its page. Errors → 400, the form again with
    each message next to its field, nothing written."""
    form, model, errors = await _checked(web)
    if model is not None:
        try:
            contract = await service.create(web.session, web.principal, model, now=web.now,
                                            periods_ahead=web.settings().rolling_horizon_periods)
        except MonkError as exc:
            errors = _service_errors(exc, {"overrides": [o.model_dump(by_alias=True) for o in model.overrides]})
        else:
            return web.redirect(f"/contracts/{contract.id}")
    await web.discard()
    return web.render("contracts_new.html", 400, form=form, errors=errors, **await _choices(web, form))

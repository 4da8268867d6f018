"""Contracts: ``/contracts`` (list), ``/contracts/new`` (the create flow with its review step:
``pages.contracts_new``) and ``/contracts/{id}`` (phases, overrides, metadata, auto-pay; cancel, change
plan, metadata and auto-pay forms). Every read and write goes through the services the API uses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from monk.contracts import repository, service
from monk.contracts.schemas import CancelBody, ChangePlanBody, ContractUpdate
from monk.customers import repository as customers
from monk.customers import service as customer_service
from monk.dashboard.pages import contracts_new
from monk.dashboard.web import AdminForm, SignedIn, Web, error_of, form_errors
from monk.kit import deps
from monk.kit.errors import MonkError, NotFound, ValidationFailed
from monk.kit.pagination import Page
from monk.models import Contract
from monk.models.statuses import ContractState, PlanStatus
from monk.plans import repository as plans

router = APIRouter(include_in_schema=False)
router.include_router(contracts_new.router)  # /contracts/new… before /contracts/{contract_id}
STATUSES = {"active": True, "inactive": False}
FIELDS = {"cancelAt": "cancel_at", "planId": "plan", "changeOption": "change_option", "changeDate": "change_date",
          "prorate": "prorate", "metadata": "metadata", "autoPay": "auto_pay"}
"""The API models' field names → the detail page's form fields."""
METADATA_ROWS = 10
"""Key/value rows of the metadata form at most (the API's limit: 10 keys)."""
EMPTY_ROWS = 3
"""Empty rows the metadata form offers after the contract's keys."""


def status_of(contract: Contract, today: Any) -> str:
    """``Active``, ``Cancelled`` (cancelled, whether or not its last period still runs) or ``Ended``."""
    if contract.cancelled_at is not None:
        return ContractState.CANCELLED
    if contract.is_active and (contract.end_date is None or contract.end_date > today):
        return ContractState.ACTIVE
    return ContractState.ENDED


@router.get("/contracts", response_class=HTMLResponse)
async def contract_list(web: SignedIn, page: deps.LongPage, customer: str = Query("", max_length=255),
                        status: str = Query("", pattern="^(|active|inactive)$")) -> Response:
    """The contracts of the session's organization and mode, oldest first, 50 a page (``offset``,
    ``limit`` ≤ 100), with customer and plan names (one query each). ``customer``: a customer id or
    external id; ``status``: ``active`` or ``inactive`` (``isActive``)."""
    ref = customer.strip()
    found = await customers.get(web.session, web.principal, ref) if ref else None
    rows, total = await repository.list_page(
        web.session, web.principal, page, customer_id=found.id if found else None,
        external_customer_id=ref if ref and not found else None, plan_id=None, is_active=STATUSES.get(status))
    names = await customers.names(web.session, web.principal, {c.customer_id for c in rows})
    plan_names = await plans.names(web.session, web.principal, {c.plan_id for c in rows})
    return web.render("contracts_list.html", contracts=rows, total=total, page=page, customer=ref, chosen=status,
                      customer_names=names, plan_names=plan_names, today=web.now.date(), status_of=status_of)


async def _detail(web: Web, contract_id: str, status: int = 200, errors: dict[str, str] | None = None,
                  form: dict[str, str] | None = None) -> Response:
    """The contract's page (404 when it is not this organization's and mode's)."""
    contract = await service.get(web.session, web.principal, contract_id)
    shaped = await service.shaped(web.session, contract)
    customer = await customer_service.get(web.session, web.principal, contract.customer_id)
    plan_ids = {contract.plan_id} | {p["planId"] for p in shaped["phases"] or []}
    names = await plans.names(web.session, web.principal, plan_ids)
    active, _ = await plans.list_page(web.session, web.principal, Page(limit=100, offset=0), status=PlanStatus.ACTIVE)
    pricing = {p.id: p.name for p in await plans.pricing_of(web.session, contract.plan_id)}
    meta = list(shaped["metadata"].items()) if "meta_key" not in web.lists else \
        [(k, v) for k, v in zip(web.lists.get("meta_key", []), web.lists.get("meta_value", []), strict=False)]
    meta += [("", "")] * max(0, min(EMPTY_ROWS, METADATA_ROWS - len(meta)))
    return web.render("contracts_detail.html", status, contract=shaped, row=contract, customer=customer,
                      plan_names=names, plans=[(p.id, f"{p.name} ({p.plan_code})") for p in active
                                               if p.billing_frequency == contract.billing_frequency],
                      pricing_names=pricing, meta=meta, state=status_of(contract, web.now.date()),
                      running=status_of(contract, web.now.date()) == "Active", errors=errors or {}, form=form or {})


@router.get("/contracts/{contract_id}", response_class=HTMLResponse)
async def contract_page(web: SignedIn, contract_id: str) -> Response:
    """One contract: customer, plan, dates, phases, overrides, metadata, auto-pay and its payment method,
    links to its invoices and credits; an admin's forms (cancel, change plan, metadata, auto-pay).
    404 when unknown in this organization and mode."""
    return await _detail(web, contract_id)


async def _act(web: Web, contract_id: str, action: Any) -> Response:
    """Run ``action()`` (a service call of the API's) → 303 back to the contract; bad input → 400 (a
    conflict → 409) with the message next to its field and nothing written; unknown contract → 404."""
    try:
        await action()
    except ValidationError as exc:
        errors = form_errors(exc, FIELDS)
        status = 400
    except NotFound:
        raise
    except MonkError as exc:
        errors = {}
        for key, message in error_of(exc).items():
            name = key or next((a for a in FIELDS if message.startswith(a)), "")
            errors[FIELDS.get(name, "")] = message.removeprefix(f"{name}: ") if name else message
        status = exc.status_code if exc.status_code in (400, 409) else 400
    else:
        return web.redirect(f"/contracts/{contract_id}")
    await web.discard()
    return await _detail(web, contract_id, status, errors, form=web.fields)


@router.post("/contracts/{contract_id}/cancel", response_class=HTMLResponse)
async def cancel_contract(web: AdminForm, contract_id: str) -> Response:
    """Cancel as ``POST /v1/contracts/{id}/cancel`` (``cancel_at``: ``end_of_period`` or ``immediate``)
    → 303 to the contract; 409 already cancelled or ended; 400 bad choice."""
    async def action() -> None:
        body = CancelBody.model_validate({"cancelAt": web.fields.get("cancel_at", "")})
        await service.cancel(web.session, web.principal, contract_id, body, now=web.now)
    return await _act(web, contract_id, action)


@router.post("/contracts/{contract_id}/change-plan", response_class=HTMLResponse)
async def change_plan(web: AdminForm, contract_id: str) -> Response:
    """Change plan as ``POST /v1/contracts/{id}/change-plan`` (``plan``, ``change_option``
    ``immediate``/``end_of_period``/``requested_date`` with ``change_date``, ``prorate`` checkbox) → 303;
    400 invalid (same plan, date outside the contract…); 409 contract ended."""
    async def action() -> None:
        f = web.fields
        raw: dict[str, Any] = {"planId": f.get("plan", ""), "changeOption": f.get("change_option", ""),
                               "prorate": f.get("prorate") == "on"}
        if f.get("change_date"):
            raw["changeDate"] = f["change_date"]
        body = ChangePlanBody.model_validate(raw)
        await service.change_plan(web.session, web.principal, contract_id, body, now=web.now)
    return await _act(web, contract_id, action)


@router.post("/contracts/{contract_id}/metadata", response_class=HTMLResponse)
async def set_metadata(web: AdminForm, contract_id: str) -> Response:
    """Replace the metadata as ``PATCH /v1/contracts/{id}`` with ``metadata`` does: the non-empty
    ``meta_key``/``meta_value`` rows (all empty: cleared) → 303; 400 beyond the limits (10 keys, keys
    ≤ 40 characters, values ≤ 500) or a value without a key."""
    async def action() -> None:
        pairs = list(zip(web.lists.get("meta_key", []), web.lists.get("meta_value", []), strict=False))
        if any(v.strip() and not k.strip() for k, v in pairs):
            raise ValidationFailed("metadata: every value needs a key")
        metadata = {k.strip(): v for k, v in pairs if k.strip()}
        body = ContractUpdate.model_validate({"metadata": metadata or None})
        await service.update(web.session, web.principal, contract_id, body, now=web.now)
    return await _act(web, contract_id, action)


@router.post("/contracts/{contract_id}/auto-pay", response_class=HTMLResponse)
async def set_auto_pay(web: AdminForm, contract_id: str) -> Response:
    """Switch auto-pay as ``PATCH /v1/contracts/{id}`` with ``autoPay`` does (``auto_pay``: ``on`` or
    ``off``) → 303; 400 when turning it on without a Stripe connection in this mode."""
    async def action() -> None:
        choice = web.fields.get("auto_pay", "")
        body = ContractUpdate.model_validate({"autoPay": {"on": True, "off": False}.get(choice, choice)})
        await service.update(web.session, web.principal, contract_id, body, now=web.now)
    return await _act(web, contract_id, action)

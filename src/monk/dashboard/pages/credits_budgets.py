"""Budget forms of a contract's wallet (admin): create (``/contracts/{id}/credits/budgets/new``), change
(``…/budgets/{index}``) and delete (``…/budgets/{index}/delete``) through the budgets service the API's
``/v1/contracts/{id}/budgets`` endpoints call. The cap is entered in the wallet's unit: dollars for a
dollar wallet (sent as ``maxCreditsCents``), credits for a credit wallet (``maxCredits``). Its routes
join ``pages.credits``'s router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from monk.budgets import service as budgets
from monk.budgets.schemas import BudgetCreate, BudgetUpdate
from monk.credits import service as credits
from monk.credits.wallet import terms
from monk.dashboard.pages.catalog_meters import meter_options
from monk.dashboard.web import AdminForm, SignedIn, Web, form_errors
from monk.kit.errors import MonkError, NotFound
from monk.models import Contract

router = APIRouter(include_in_schema=False)
BASE = "/contracts/{contract_id}/credits/budgets"
FIELDS = {"label": "label", "eventPropertyKey": "key", "eventPropertyValue": "value", "meterId": "meter_id",
          "maxCredits": "cap", "maxCreditsCents": "cap"}
"""The API model's field names → the form's."""
Index = Path(ge=0, le=2**31 - 1)


def _cap(form: dict[str, str], credit_wallet: bool, errors: dict[str, str]) -> tuple[str, Any]:
    """``(API field, value)`` of the form's cap: ``maxCredits`` (credits, as text) for a credit wallet,
    ``maxCreditsCents`` (whole cents) from dollars for a dollar wallet; None when empty (no cap)."""
    name = "maxCredits" if credit_wallet else "maxCreditsCents"
    raw = form.get("cap", "").replace("$", "").replace(",", "").strip()
    if not raw:
        return name, None
    try:
        value = Decimal(raw[:40])
    except InvalidOperation:
        errors["cap"] = "Enter the cap as a number, e.g. 30 or 30.50."
        return name, None
    if not value.is_finite() or value < 0:
        errors["cap"] = "Enter a cap of zero or more."
        return name, None
    if credit_wallet:
        return name, str(value)
    if value != value.quantize(Decimal("0.01")):
        errors["cap"] = "Use whole cents (at most two decimal places)."
        return name, None
    return name, int(value * 100)


@dataclass(frozen=True)
class ContractView:
    """What the credit forms show of a contract, read before a service runs (a rollback expires the
    ORM object, which an async template cannot reload)."""

    id: str
    name: str
    customer_id: str
    credit_wallet: bool

    @classmethod
    def of(cls, contract: Contract) -> ContractView:
        """The view of ``contract``."""
        return cls(id=contract.id, name=contract.name, customer_id=contract.customer_id,
                   credit_wallet=terms(contract.credit_settings).tracks_credits)


async def _render(web: Web, contract: ContractView, form: dict[str, str], errors: dict[str, str], *,
                  index: int | None, status: int = 200) -> Response:
    _listed, options = await meter_options(web)
    chosen = form.get("meter_id", "")
    if chosen and chosen not in {value for value, _ in options}:
        options.append((chosen, chosen))  # beyond the first 100, or not a meter (its error says so)
    return web.render("credits_budget.html", status, contract=contract, form=form, errors=errors, index=index,
                      credit_wallet=contract.credit_wallet, meters=[("", "Any meter")] + options)


def _mapped(exc: ValidationError | MonkError) -> dict[str, str]:
    if isinstance(exc, MonkError) and exc.status_code == 409:
        return {"value": exc.message}
    if isinstance(exc, MonkError) and exc.status_code == 404:
        return {"meter_id": exc.message}
    return form_errors(exc, FIELDS)


async def _save(web: Web, contract: ContractView, form: dict[str, str], errors: dict[str, str], *,
                index: int | None, call: Callable[[], Awaitable[object]]) -> Response:
    """Without ``errors``, run ``call()`` (a budgets service call whose body is validated inside it) → 303 to
    the wallet; otherwise, or when it fails, the form again (400) with the errors next to their fields
    (``_mapped``) and this request's writes rolled back."""
    if not errors:
        try:
            await call()
            return web.redirect(f"/contracts/{contract.id}/credits")
        except (ValidationError, MonkError) as exc:
            await web.discard()
            errors = _mapped(exc)
    return await _render(web, contract, form, errors, index=index, status=400)


async def _budget(web: Web, contract: ContractView, index: int) -> dict[str, Any]:
    """Budget ``index`` of the contract as the API lists it. Raises ``NotFound`` (404)."""
    listed = (await budgets.list_budgets(web.session, web.principal, contract.id, now=web.now))["budgets"]
    if index >= len(listed):
        raise NotFound(f"Budget {index} not found")
    return dict(listed[index])


@router.get(BASE + "/new", response_class=HTMLResponse)
async def new_budget(web: SignedIn, contract_id: str) -> Response:
    """The new-budget form: label, event property key and value, meter id (optional), cap. 404 unknown contract."""
    contract = ContractView.of(await credits.contract_of(web.session, web.principal, contract_id))
    return await _render(web, contract, {}, {}, index=None)


@router.post(BASE + "/new", response_class=HTMLResponse)
async def create_budget(web: AdminForm, contract_id: str) -> Response:
    """Create a budget as ``POST /v1/contracts/{id}/budgets`` does → 303 to the wallet; bad input, a taken
    property pair or an unknown meter → 400 with the message next to the field, nothing written."""
    contract = ContractView.of(await credits.contract_of(web.session, web.principal, contract_id))
    form = {k: v.strip() for k, v in web.fields.items() if k != "csrf"}
    errors: dict[str, str] = {}
    cap_name, cap = _cap(form, contract.credit_wallet, errors)
    body = {"label": form.get("label", ""), "eventPropertyKey": form.get("key", ""),
            "eventPropertyValue": form.get("value", ""), "meterId": form.get("meter_id") or None, cap_name: cap}
    return await _save(web, contract, form, errors, index=None, call=lambda: budgets.create(
        web.session, web.principal, contract.id, BudgetCreate.model_validate(body), now=web.now))


@router.get(BASE + "/{index}", response_class=HTMLResponse)
async def edit_budget(web: SignedIn, contract_id: str, index: int = Index) -> Response:
    """Budget ``index``'s form (label, meter id, cap; empty cap: no cap) and its delete button. 404 unknown
    contract or index."""
    contract = ContractView.of(await credits.contract_of(web.session, web.principal, contract_id))
    budget = await _budget(web, contract, index)
    cents = budget["maxCreditsCents"]
    cap = budget["maxCredits"] if budget["maxCredits"] is not None else (
        None if cents is None else (Decimal(cents) / 100).quantize(Decimal("0.01")))
    form = {"label": budget["label"], "key": budget["eventPropertyKey"], "value": budget["eventPropertyValue"],
            "meter_id": budget["meterId"] or "", "cap": "" if cap is None else str(cap)}
    return await _render(web, contract, form, {}, index=index)


@router.post(BASE + "/{index}", response_class=HTMLResponse)
async def update_budget(web: AdminForm, contract_id: str, index: int = Index) -> Response:
    """Change budget ``index``'s label, meter and cap as ``PATCH /v1/contracts/{id}/budgets/{index}`` does
    → 303 to the wallet; bad input → 400 next to the field, nothing changed. 404 unknown contract or index."""
    contract = ContractView.of(await credits.contract_of(web.session, web.principal, contract_id))
    budget = await _budget(web, contract, index)
    form = {k: v.strip() for k, v in web.fields.items() if k != "csrf"}
    form.update(key=budget["eventPropertyKey"], value=budget["eventPropertyValue"])
    errors: dict[str, str] = {}
    cap_name, cap = _cap(form, contract.credit_wallet, errors)
    body = {"label": form.get("label", ""), "meterId": form.get("meter_id") or None, cap_name: cap}
    return await _save(web, contract, form, errors, index=index, call=lambda: budgets.update(
        web.session, web.principal, contract.id, index, BudgetUpdate.model_validate(body), now=web.now))


@router.post(BASE + "/{index}/delete", response_class=HTMLResponse)
async def delete_budget(web: AdminForm, contract_id: str, index: int = Index) -> Response:
    """Delete budget ``index`` as ``DELETE /v1/contracts/{id}/budgets/{index}`` does (later budgets move down
    one index) → 303 to the wallet. 404 unknown contract or index."""
    contract = await credits.contract_of(web.session, web.principal, contract_id)
    await budgets.delete(web.session, web.principal, contract.id, index, now=web.now)
    return web.redirect(f"/contracts/{contract.id}/credits")

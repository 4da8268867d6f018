"""Credits and budgets: per-contract wallets (blocks, priorities, ledger), granting paid and promotional credits,
budgets with consumption bars.

- ``GET /credits``: the contracts with a wallet (balance, active blocks), 50 a page.
- ``GET /contracts/{id}/credits``: one wallet: balance, blocks in draw-down order, the ledger (paginated),
  the budgets with what they consumed this billing period.
- ``GET|POST /contracts/{id}/credits/grant``: the grant form (admin), a server-side review of the computed
  dollars, then the grant through the API's services (``credits.service``, ``contracts.purchases``).
- Budget forms (``pages/credits_budgets.py``, routes on this module's router).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from monk.budgets import service as budgets
from monk.credits import service as credits
from monk.credits.wallet import terms
from monk.customers import repository as customers
from monk.dashboard.pages import credits_budgets, credits_grant
from monk.dashboard.pages.credits_budgets import ContractView
from monk.dashboard.web import AdminForm, SignedIn, Web
from monk.kit import deps

router = APIRouter(include_in_schema=False)
router.include_router(credits_budgets.router)


@router.get("/credits", response_class=HTMLResponse)
async def wallet_list(web: SignedIn, page: deps.LongPage) -> Response:
    """The contracts of the session's organization and mode with a wallet, newest first, 50 a page
    (``offset``, ``limit`` ≤ 100; 400 beyond): customer, contract, balance (cents; credits for a credit
    wallet), active blocks, a link to the wallet."""
    rows, total = await credits.wallets(web.session, web.principal, page, now=web.now)
    return web.render("credits_list.html", wallets=rows, total=total, page=page)


async def wallet_context(web: Web, contract_id: str, page: Any) -> dict[str, Any]:
    """What the wallet page shows (404 for a contract unknown in this organization and mode): the contract
    and its customer's name, the wallet's mode, balance and blocks in draw-down order (active blocks by
    priority, then depleted and expired ones), one ledger page, the budgets with their consumption."""
    contract = await credits.contract_of(web.session, web.principal, contract_id)
    names = await customers.names(web.session, web.principal, {contract.customer_id})
    wallet = await credits.balance(web.session, web.principal, contract.id, now=web.now)
    blocks = [{**b, "rate": None if b["creditRateCents"] is None else Decimal(str(b["creditRateCents"])) / 100}
              for b in sorted(wallet["blocks"], key=lambda b: (b["priority"] is None, b["priority"] or 0,
                                                              b["createdAt"]))]
    ledger = await credits.ledger(web.session, web.principal, contract.id, page)
    usage = await budgets.usage(web.session, web.principal, contract.id, now=web.now)
    mode = terms(contract.credit_settings)
    return {"contract": contract, "customer_name": names.get(contract.customer_id, ""),
            "credit_wallet": mode.tracks_credits, "wallet_rate": mode.rate, "balance": wallet["balance"],
            "blocks": blocks, "ledger": ledger["entries"], "ledger_total": ledger["totalCount"], "page": page,
            "budgets": usage["budgets"]}


@router.get("/contracts/{contract_id}/credits", response_class=HTMLResponse)
async def wallet_page(web: SignedIn, contract_id: str, page: deps.LongPage) -> Response:
    """One contract's wallet: balance, blocks (grant, paid or promotional, priority, remaining, rate,
    expiry) in draw-down order, the ledger newest first (``offset``/``limit`` page it, 50 by default),
    budgets with consumption bars; grant and budget buttons for admins. 404 unknown contract."""
    return web.render("credits_wallet.html", **await wallet_context(web, contract_id, page))


@router.get("/contracts/{contract_id}/credits/grant", response_class=HTMLResponse)
async def grant_form(web: SignedIn, contract_id: str) -> Response:
    """The grant form: paid or promotional, in dollars or in credits at a rate, a bonus, an expiry date.
    404 unknown contract."""
    contract = await credits.contract_of(web.session, web.principal, contract_id)
    return _grant_page(web, ContractView.of(contract), credits_grant.defaults(contract), {})


@router.post("/contracts/{contract_id}/credits/grant", response_class=HTMLResponse)
async def grant(web: AdminForm, contract_id: str) -> Response:
    """Check the form and show the review with the computed dollars (200; nothing written); with
    ``confirm`` set, grant: a paid purchase (``POST …/credits/purchase``'s service, billed on the next
    invoice) and its bonus as a promotional grant, or a promotional grant (``…/promotional/grant``'s
    service) → 303 to the wallet. Bad input → 400 with the message next to the field, nothing written.
    404 unknown contract."""
    found = await credits.contract_of(web.session, web.principal, contract_id)
    contract = ContractView.of(found)
    form = {k: v.strip() for k, v in web.fields.items() if k != "csrf"}
    plan, errors = credits_grant.plan(form, terms(found.credit_settings), found, now=web.now)
    if plan is not None and form.get("confirm") == "1":
        errors = await credits_grant.carry_out(web, contract.id, plan)
        if not errors:
            return web.redirect(f"/contracts/{contract.id}/credits")
    if errors or plan is None:
        return _grant_page(web, contract, form, errors, status=400)
    if form.get("edit") == "1":
        return _grant_page(web, contract, form, {})
    order = await credits_grant.draw_order(web, contract.id, plan, terms(found.credit_settings))
    return _grant_page(web, contract, form, {}, review=plan, order=order)


def _grant_page(web: Web, contract: ContractView, form: dict[str, str], errors: dict[str, str], *,
                review: credits_grant.GrantPlan | None = None, order: dict[str, int | None] | None = None,
                status: int = 200) -> Response:
    return web.render("credits_grant.html", status, contract=contract, form=form, errors=errors, review=review,
                      order=order, kinds=credits_grant.KINDS, units=credits_grant.UNITS)


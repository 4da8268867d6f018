"""Products and their pricing (``/products``): the list (name or code search, server-side pages), the
create form (flat fee, per unit or per tier, the code derived from the name when left blank) and a
pricing's page. Reads and writes go through the pricing service and repository the API uses."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape
from pydantic import ValidationError

from monk.dashboard.pages.catalog import dollars_text
from monk.dashboard.web import AdminForm, SignedIn, Web, form_errors
from monk.kit import deps
from monk.kit.errors import MonkError
from monk.kit.pagination import Page
from monk.meters import repository as meters
from monk.pricing import repository, service
from monk.pricing.schemas import PricingCreate, pricing_out

router = APIRouter(include_in_schema=False)
MAX_SEARCH = 200
TIER_ROWS = 5
CHARGES = [("flat", "Flat fee (billed in advance)"), ("unit", "Per unit (usage)"), ("tier", "Per tier (usage)")]
INTERVALS = [("MONTH", "Monthly"), ("YEAR", "Yearly"), ("WEEK", "Weekly")]
TIERINGS = [("VOLUME", "Volume: every unit at the price of the tier the total reaches"),
            ("GRADUATED", "Graduated: each unit at the price of its own tier")]
FIELDS = {"name": "name", "productName": "name", "code": "code", "unitAmount": "price", "minimumAmount": "minimum",
          "pricingTiers": "tiers", "tiering": "tiering", "meterId": "meter", "priceInterval": "interval"}
"""The API model's field names → the form's (errors are shown next to the form's field)."""


def charge_of(p: dict[str, Any]) -> str:
    """A pricing's charge type in the dashboard's words (``p`` in the API shape)."""
    if p["model"] == "FLAT":
        return "Flat fee"
    if p["tiering"] != "NONE":
        return f"Per tier ({p['tiering'].lower()})"
    return "Per unit"


async def _meter_options(web: Web) -> list[tuple[str, str]]:
    """The first 100 active meters as select options (id, "Display name (CODE)")."""
    rows, _ = await meters.list_page(web.session, web.principal, Page(limit=100, offset=0), status="active")
    return [("", "Choose a meter…")] + [(m.id, f"{m.display_name} ({m.code})") for m in rows]


@router.get("/products", response_class=HTMLResponse)
async def product_list(web: SignedIn, page: deps.LongPage, q: str = Query("", max_length=MAX_SEARCH)) -> Response:
    """The pricing of the session's organization and mode, oldest first, 50 a page (``offset``, ``limit``
    ≤ 100); ``q`` searches names and codes (contains, any case). Amounts are dollars (decimal strings)."""
    rows, total = await repository.list_page(web.session, web.principal, page, product_id=None,
                                             search=q.strip() or None)
    names = await meters.names(web.session, web.principal, {p.meter_id for p, _ in rows if p.meter_id})
    items = [pricing_out(p, name) for p, name in rows]
    return web.render("catalog_products.html", items=items, meter_names=names, total=total, page=page, q=q,
                      charge_of=charge_of)


@router.get("/products/new", response_class=HTMLResponse)
async def new_product(web: SignedIn) -> Response:
    """The create form: name, code (blank: derived from the name), charge type, billing interval (flat),
    meter (usage), price or tiers (dollars) and minimum (dollars)."""
    return web.render("catalog_product_new.html", form={"charge": "flat", "interval": "MONTH", "tiering": "VOLUME"},
                      errors={}, **await _choices(web))


@router.get("/products/code", response_class=HTMLResponse)
async def code_preview(web: SignedIn, name: str = Query("", max_length=500)) -> Response:
    """The code a blank code field gets for ``name`` (htmx preview next to the code field): a text
    fragment, e.g. ``sms-notifications``; the service adds ``-2``… when it is taken."""
    code = service.slugify(name) if name.strip() else ""
    return HTMLResponse(f"Left blank, the code will be <code>{escape(code)}</code>." if code else "")


async def _choices(web: Web) -> dict[str, Any]:
    return {"charges": CHARGES, "intervals": INTERVALS, "tierings": TIERINGS, "meters": await _meter_options(web),
            "tier_rows": range(1, TIER_ROWS + 1)}


def _tiers(form: dict[str, str]) -> list[dict[str, Any]]:
    """The tier rows of the form as the API's ``pricingTiers``: blank rows ignored, each tier starting where
    the previous one ends (the first at 0), a blank "up to" leaving the tier open."""
    tiers: list[dict[str, Any]] = []
    low = "0"
    for i in range(1, TIER_ROWS + 1):
        up = form.get(f"up_to_{i}", "").strip().replace(",", "")
        price = dollars_text(form.get(f"tier_price_{i}", ""))
        if not up and price is None:
            continue
        tiers.append({"minQty": low, "maxQty": up or None, "unitAmount": price or ""})
        low = up or low
    return tiers


def pricing_body(form: dict[str, str]) -> dict[str, Any]:
    """The ``POST /v1/pricing`` body for the form (a new product named like the pricing).

    ``charge``: ``flat`` → FLAT, RECURRING every ``interval``; ``unit`` → USAGE at ``price`` per unit
    of ``meter``; ``tier`` → TIER with ``tiering`` and the tier rows. ``minimum`` (dollars) for usage."""
    name = form.get("name", "").strip()
    body: dict[str, Any] = {"name": name, "productName": name or None, "billingMode": "RECURRING",
                            "code": form.get("code", "").strip() or None}
    charge = form.get("charge", "flat")
    if charge == "flat":
        body.update(model="FLAT", unitAmount=dollars_text(form.get("price", "")),
                    priceInterval=form.get("interval") or "MONTH")
        return body
    body.update(meterId=form.get("meter") or None, minimumAmount=dollars_text(form.get("minimum", "")))
    if charge == "tier":
        body.update(model="TIER", tiering=form.get("tiering") or "VOLUME", pricingTiers=_tiers(form))
    else:
        body.update(model="USAGE", unitAmount=dollars_text(form.get("price", "")))
    return body


def _blank_problems(body: dict[str, Any], charge: str) -> dict[str, str]:
    """Required fields left blank, in the form's words (before the model's own checks)."""
    errors = {}
    if not body["name"]:
        errors["name"] = "Enter a name."
    if charge in ("flat", "unit") and body.get("unitAmount") is None:
        errors["price"] = "Enter a price in dollars, e.g. 0.045."
    if charge in ("unit", "tier") and not body.get("meterId"):
        errors["meter"] = "Choose the meter whose usage this prices."
    if charge == "tier" and not body.get("pricingTiers"):
        errors["tiers"] = "Enter at least one tier."
    return errors


@router.post("/products/new", response_class=HTMLResponse)
async def create_product(web: AdminForm) -> Response:
    """Create a product with its pricing as ``POST /v1/pricing`` does → 303 to the pricing's page; bad
    input (blank required fields, amounts that are not dollars, bad tiers, a taken code) → 400 with the
    message next to the field, nothing written."""
    form = web.fields
    charge = form.get("charge", "flat") if form.get("charge") in dict(CHARGES) else "flat"
    body = pricing_body(form)
    errors = _blank_problems(body, charge)
    if not errors:
        try:
            pricing, _ = await service.create(web.session, web.principal, PricingCreate.model_validate(body), web.now)
        except (ValidationError, MonkError) as exc:
            await web.discard()
            errors = form_errors(exc, FIELDS)
            if isinstance(exc, MonkError) and exc.status_code == 409:
                errors = {"code": exc.message}
        else:
            return web.redirect(f"/products/{pricing.id}")
    return web.render("catalog_product_new.html", 400, form=form, errors=errors, **await _choices(web))


@router.get("/products/{pricing_id}", response_class=HTMLResponse)
async def product_page(web: SignedIn, pricing_id: str) -> Response:
    """One pricing: product, code, charge type, amounts (dollars), tiers, minimum and meter; 404 when
    unknown in this organization and mode."""
    pricing, product_name = await service.get(web.session, web.principal, pricing_id)
    names = await meters.names(web.session, web.principal, {pricing.meter_id} if pricing.meter_id else set())
    p = pricing_out(pricing, product_name)
    return web.render("catalog_product.html", p=p, charge=charge_of(p), meter_name=names.get(p["meterId"] or ""))

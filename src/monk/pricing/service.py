"""Pricing rules: model/billing-mode consistency, tiers, product and meter links, unique codes. Never commits."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.rating import Tier, validate_tiers
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.meters import repository as meters
from monk.models import Pricing, Product
from monk.models.shapes import dump_tiers
from monk.pricing import repository
from monk.pricing.schemas import PricingCreate

SLUG_MAX = 180  # leaves room for a "-N" suffix within the 200-character code column


def slugify(name: str) -> str:
    """A pricing code from a name: ASCII-folded, lowercase, runs of other characters → ``-``.

    ``"SMS Notifications"`` → ``"sms-notifications"``; ``"Café API (v2)"`` → ``"cafe-api-v2"``; a name
    with no letters or digits gives ``"pricing"``. At most 180 characters.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = slug[:SLUG_MAX].rstrip("-")
    return slug or "pricing"


def _check_shape(body: PricingCreate) -> str:
    """Validate the cross-field rules that need no database; return the effective tiering."""
    if (body.product_id is None) == (body.product_name is None):
        raise ValidationFailed("exactly one of productId or productName is required")
    if body.product_description is not None and body.product_name is None:
        raise ValidationFailed("productDescription: only allowed together with productName")

    tiering = body.tiering or "NONE"
    if body.model == "TIER" and tiering == "NONE":
        tiering = "VOLUME"
    if body.model == "FLAT" and tiering != "NONE":
        raise ValidationFailed("tiering: FLAT pricing cannot be tiered; use model TIER or USAGE")

    if tiering == "NONE":
        if body.pricing_tiers:
            raise ValidationFailed("pricingTiers: only allowed with tiering VOLUME or GRADUATED")
        if body.unit_amount is None:
            raise ValidationFailed(f"unitAmount: required for {body.model} pricing without tiers")
    else:
        if not body.pricing_tiers:
            raise ValidationFailed(f"pricingTiers: required for {body.model} pricing with tiering {tiering}")
        if body.unit_amount is not None:
            raise ValidationFailed("unitAmount: not used with tiered pricing; set unitAmount on each tier")

    if body.minimum_amount is not None and body.model == "FLAT":
        raise ValidationFailed("minimumAmount: only allowed for USAGE and TIER pricing")

    if body.billing_mode == "ONE_TIME" and body.price_interval is not None:
        raise ValidationFailed("priceInterval: not allowed for ONE_TIME pricing")
    if body.billing_mode == "RECURRING" and body.model == "FLAT" and body.price_interval is None:
        raise ValidationFailed("priceInterval: required for RECURRING FLAT pricing")
    if "price_interval_count" in body.model_fields_set and body.price_interval is None:
        raise ValidationFailed("priceIntervalCount: only allowed together with priceInterval")

    if body.model == "FLAT" and body.meter_id is not None:
        raise ValidationFailed("meterId: not allowed for FLAT pricing")
    if body.model != "FLAT" and body.meter_id is None:
        raise ValidationFailed(f"meterId: required for {body.model} pricing")
    return tiering


def _tiers(body: PricingCreate) -> list[dict[str, Any]]:
    """Validate the tier ladder with the billing core and return its stored form (canonical strings)."""
    tiers = [
        Tier(min_qty=t.min_qty, max_qty=t.max_qty, unit_amount=t.unit_amount,
             flat_amount=t.flat_amount if t.flat_amount is not None else Decimal(0))
        for t in body.pricing_tiers or []
    ]
    try:
        validate_tiers(tiers)
    except ValueError as exc:
        raise ValidationFailed(f"pricingTiers: {exc}") from None
    return dump_tiers(tiers)


async def _code(session: AsyncSession, principal: Principal, body: PricingCreate) -> str:
    if body.code is not None:
        if await repository.code_taken(session, principal, body.code):
            raise Conflict(f"A pricing with code '{body.code}' already exists")
        return body.code
    base = slugify(body.name)
    taken = await repository.codes_with_prefix(session, principal, base)
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def create(
    session: AsyncSession, principal: Principal, body: PricingCreate, now: datetime,
) -> tuple[Pricing, str]:
    """Create a pricing (and its product when ``productName`` is given); returns ``(pricing, product name)``.

    Amounts are exact dollars. ``tiering`` defaults to NONE, or VOLUME for TIER. ``code`` defaults to a
    slug of ``name``, suffixed ``-2``, ``-3``… when taken. Raises ``ValidationFailed`` (400) when the
    fields contradict the model/billing mode (see the endpoint), tiers are invalid, or ``meterId`` is
    not a live meter of the caller; ``NotFound`` (404) for an unknown ``productId``; ``Conflict`` (409)
    for an explicit ``code`` already in use.
    """
    tiering = _check_shape(body)
    tiers = _tiers(body) if tiering != "NONE" else []
    if body.meter_id is not None and await meters.get_live(session, principal, body.meter_id) is None:
        raise ValidationFailed(f"meterId: meter '{body.meter_id}' does not exist or is archived")
    if body.product_id is not None:
        product = await repository.get_product(session, principal, body.product_id)
        if product is None:
            raise NotFound(f"Product '{body.product_id}' not found")
    else:
        product = Product(id=new_id(), org_id=principal.org_id, mode=principal.mode, created_at=now, updated_at=now,
                          name=body.product_name, description=body.product_description)
        session.add(product)
        await session.flush()
    code = await _code(session, principal, body)
    pricing = Pricing(
        id=new_id(), org_id=principal.org_id, mode=principal.mode, created_at=now, updated_at=now,
        product_id=product.id, name=body.name, description=body.description, code=code,
        model=body.model, billing_mode=body.billing_mode, tiering=tiering,
        unit_amount=body.unit_amount, flat_amount=body.flat_amount, minimum_amount=body.minimum_amount,
        price_interval=body.price_interval,
        price_interval_count=body.price_interval_count if body.price_interval is not None else 1,
        meter_id=body.meter_id, tiers=tiers,
    )
    try:
        async with session.begin_nested():  # a savepoint, so the code can be re-checked on failure
            session.add(pricing)
            await session.flush()
    except IntegrityError:
        if await repository.code_taken(session, principal, code):  # a concurrent create took the code
            raise Conflict(f"A pricing with code '{code}' already exists") from None
        raise
    return pricing, product.name


async def get(session: AsyncSession, principal: Principal, pricing_id: str) -> tuple[Pricing, str]:
    """The caller's pricing ``pricing_id`` with its product name. Raises ``NotFound`` (404)."""
    found = await repository.get(session, principal, pricing_id)
    if found is None:
        raise NotFound(f"Pricing '{pricing_id}' not found")
    return found

"""Rate-card rules: validation against the meter's group keys, create-or-replace, re-rating open
drafts; and the enterprise guide's ``rateOverrides`` form of contract overrides. Never commits."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.bounds import amount_problem
from monk.billing.context import METERED_MODELS
from monk.billing.dimensions import Dimensions, canonical, parse_dimension_spec
from monk.billing.money import format_decimal
from monk.invoicing import service as invoicing
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.meters import repository as meters
from monk.models import Meter, Pricing, RateCard
from monk.models.shapes import Override, RateEntry, dump_rate_entries
from monk.ratecards import repository
from monk.ratecards.schemas import RateCardPut

_AMOUNT_RE = re.compile(r"^\d+(\.\d+)?$")


async def _meter(session: AsyncSession, principal: Principal, meter_id: str) -> Meter:
    meter = await meters.get(session, principal, meter_id)
    if meter is None:
        raise NotFound(f"Meter '{meter_id}' not found")
    return meter


def _fmt(dims: Dimensions) -> str:
    return ", ".join(f"{k}={v}" for k, v in dims)


def _entries(meter: Meter, body: RateCardPut) -> list[dict[str, Any]]:
    """Validate the entries against the meter's group keys; return their stored form
    (``models.shapes``: dimensions in groupKeys order, ``unit_amount`` a canonical decimal string)."""
    keys = list(meter.group_keys or [])
    wanted = set(keys)
    seen: dict[Dimensions, int] = {}
    out: list[RateEntry] = []
    for i, entry in enumerate(body.rates):
        if set(entry.dimensions) != wanted:
            raise ValidationFailed(
                f"rates[{i}].dimensions: keys must be exactly the meter's groupKeys ({', '.join(keys)}); "
                f"got ({', '.join(entry.dimensions) or 'none'})")
        dims = canonical(entry.dimensions)
        if dims in seen:
            raise ValidationFailed(f"rates[{i}]: duplicate dimension combination ({_fmt(dims)}), "
                                   f"already given in rates[{seen[dims]}]")
        seen[dims] = i
        out.append(RateEntry(tuple((k, entry.dimensions[k]) for k in keys), entry.unit_amount))
    return dump_rate_entries(out)


async def put(session: AsyncSession, principal: Principal, meter_id: str, body: RateCardPut,
              now: datetime) -> tuple[RateCard, Meter]:
    """Create or replace the rate card of a meter; returns ``(card, meter)``. Open drafts of contracts
    whose plan prices the meter are re-rated (``rerate``).

    Raises ``NotFound`` (404) for a meter unknown in the caller's organization and mode; ``Conflict``
    (409) for an archived meter; ``ValidationFailed`` (400) when the meter has no groupKeys, an entry's
    dimension keys are not exactly the meter's groupKeys, or two entries name the same combination.
    """
    meter = await _meter(session, principal, meter_id)
    if meter.archived_at is not None:
        raise Conflict(f"Meter '{meter_id}' is archived")
    if not meter.group_keys:
        raise ValidationFailed(f"Meter '{meter.code}' has no groupKeys; a rate card prices combinations of "
                               "group-key values")
    entries = _entries(meter, body)
    card = await repository.get(session, principal, meter.id)
    if card is None:
        card = RateCard(id=new_id(), org_id=principal.org_id, mode=principal.mode, created_at=now, updated_at=now,
                        meter_id=meter.id, fallback_rate=body.fallback_rate, entries=entries)
        try:
            async with session.begin_nested():  # a savepoint: a concurrent PUT may win the unique index
                session.add(card)
                await session.flush()
        except IntegrityError:
            card = await repository.get(session, principal, meter.id)
            if card is None:
                raise
    card.entries = entries
    card.fallback_rate = body.fallback_rate
    card.updated_at = now
    await session.flush()
    await rerate(session, principal, meter.id, now=now)
    return card, meter


async def get(session: AsyncSession, principal: Principal, meter_id: str) -> tuple[RateCard, Meter]:
    """The rate card of a meter with the meter. Raises ``NotFound`` (404) for an unknown meter or a
    meter without a rate card."""
    meter = await _meter(session, principal, meter_id)
    card = await repository.get(session, principal, meter.id)
    if card is None:
        raise NotFound(f"Meter '{meter_id}' has no rate card")
    return card, meter


async def delete(session: AsyncSession, principal: Principal, meter_id: str, now: datetime) -> None:
    """Remove a meter's rate card (its usage bills at the pricing's ``unitAmount`` again) and re-rate
    open drafts. Raises ``NotFound`` (404) for an unknown meter or a meter without a rate card."""
    card, meter = await get(session, principal, meter_id)
    await repository.delete(session, card)
    await rerate(session, principal, meter.id, now=now)


async def rerate(session: AsyncSession, principal: Principal, meter_id: str, *, now: datetime) -> int:
    """Rebuild every open draft that bills usage of a contract whose plan prices ``meter_id`` (finalized
    invoices never change; ``invoicing.service.rerate_meter``). Returns how many invoices were rebuilt."""
    return await invoicing.rerate_meter(session, principal, meter_id, now=now)


def _override_amount(where: str, raw: Any) -> str:
    """A ``rateOverrides`` amount (decimal string or JSON number, >= 0) as a canonical decimal string."""
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, Decimal)):
        raise ValueError(f"{where}: the rate must be a decimal string or a number, got {type(raw).__name__}")
    if isinstance(raw, float) and not math.isfinite(raw):
        raise ValueError(f"{where}: the rate must be a finite number")
    text = repr(raw) if isinstance(raw, float) else str(raw)
    if isinstance(raw, str) and not _AMOUNT_RE.fullmatch(raw):
        raise ValueError(f"{where}: '{raw}' is not a non-negative decimal such as \"0.02\"")
    amount = Decimal(text)
    if amount < 0:
        raise ValueError(f"{where}: the rate must not be negative")
    why = amount_problem(amount)
    if why is not None:
        raise ValueError(f"{where}: the rate {why}")
    return format_decimal(amount)


def normalize_rate_overrides(
    rate_overrides: Mapping[str, Mapping[str, Any]],
    meters_by_code: Mapping[str, Meter],
    plan_pricings: Sequence[Pricing],
) -> list[Override]:
    """Convert the enterprise guide's ``rateOverrides`` (concepts §15) into the contract ``overrides`` list.

    ``rate_overrides``: meter code → ``"key=value[,key2=value2]"`` → rate (decimal string such as
    ``"0.02"`` or a JSON number ``0.02``; dollars per unit, >= 0), e.g.
    ``{"LLM_TOKENS": {"model=gpt-4": "0.02"}}``. ``meters_by_code``: the organization's live meters by
    code. ``plan_pricings``: the pricing of the contract's plan.

    Returns one ``Override`` per entry and per untiered USAGE/TIER pricing of the plan on that meter
    (``dimensions`` in the meter's groupKeys order, ``unit_amount_text`` a canonical decimal string), in
    input order. Example → ``[Override("<pricing on LLM_TOKENS>", "0.02", (("model", "gpt-4"),))]``.

    Raises ``ValueError`` (message names the offending part; map it to 400) when: the value is not an
    object of objects; a meter code is unknown; the meter has no groupKeys; a key is malformed (not
    ``key=value`` pairs, empty key or value, repeated key) or does not name exactly the meter's
    groupKeys; a rate is not a non-negative decimal; the plan has no untiered usage pricing on the meter.
    """
    if not isinstance(rate_overrides, Mapping):
        raise ValueError("rateOverrides: must be an object of meter code → {\"key=value\": rate}")
    out: list[Override] = []
    for code, entries in rate_overrides.items():
        where = f"rateOverrides.{code}"
        meter = meters_by_code.get(code)
        if meter is None:
            raise ValueError(f"{where}: unknown meter code '{code}'")
        if not isinstance(entries, Mapping) or not entries:
            raise ValueError(f"{where}: must be a non-empty object of \"key=value\" → rate")
        keys = list(meter.group_keys or [])
        if not keys:
            raise ValueError(f"{where}: meter '{code}' has no groupKeys; use overrides with basePricingId")
        on_meter = [p for p in plan_pricings if p.meter_id == meter.id and p.model in METERED_MODELS]
        if not on_meter:
            raise ValueError(f"{where}: the plan has no usage pricing on meter '{code}'")
        untiered = [p for p in on_meter if p.tiering == "NONE"]
        if not untiered:
            raise ValueError(f"{where}: the plan prices meter '{code}' with tiers only; rate overrides apply "
                             "to untiered pricing")
        for spec, raw in entries.items():
            at = f"{where}['{spec}']"
            if not isinstance(spec, str):
                raise ValueError(f"{at}: keys must be strings 'key=value[,key2=value2]'")
            try:
                dims = dict(parse_dimension_spec(spec))
            except ValueError as exc:
                raise ValueError(f"{at}: {exc}") from None
            if set(dims) != set(keys):
                raise ValueError(f"{at}: must name exactly the meter's groupKeys ({', '.join(keys)})")
            amount = _override_amount(at, raw)
            ordered = tuple((k, dims[k]) for k in keys)
            out.extend(Override(base_pricing_id=p.id, unit_amount_text=amount, dimensions=ordered) for p in untiered)
    return out


def validate_overrides(
    overrides: Sequence[Override],
    plan_pricings: Sequence[Pricing],
    meters_by_id: Mapping[str, Meter],
) -> None:
    """Check a contract's ``overrides`` (``Override`` values, in order) against
    the plan's pricing and their meters, so that every override can take effect.

    Rules: ``basePricingId`` is a pricing of the plan; an override with ``dimensions`` targets an
    untiered USAGE/TIER pricing whose meter has groupKeys, names exactly those keys, with non-empty
    string values; an override without dimensions targets an untiered USAGE/TIER pricing (tiered
    pricing keeps its tiers; FLAT fees are not rated from overrides); no two overrides cover the same
    pricing and combination. Returns None; raises ``ValueError`` naming ``overrides[i]`` (map to 400).
    """
    by_id = {p.id: p for p in plan_pricings}
    seen: dict[tuple[str, Dimensions], int] = {}
    for i, o in enumerate(overrides):
        at = f"overrides[{i}]"
        p = by_id.get(o.base_pricing_id)
        if p is None:
            raise ValueError(f"{at}: basePricingId '{o.base_pricing_id}' is not a pricing of the plan")
        if p.model not in METERED_MODELS or p.tiering != "NONE":
            raise ValueError(f"{at}: pricing '{p.id}' is {p.model}/{p.tiering}; overrides apply to untiered "
                             "usage pricing")
        dims = o.dimension_map()
        if dims:
            meter = meters_by_id.get(p.meter_id or "")
            keys = list(meter.group_keys or []) if meter is not None else []
            if not keys:
                raise ValueError(f"{at}: the meter of pricing '{p.id}' has no groupKeys; drop dimensions")
            if set(dims) != set(keys):
                raise ValueError(f"{at}.dimensions: keys must be exactly the meter's groupKeys ({', '.join(keys)})")
            if not all(isinstance(v, str) and v for v in dims.values()):
                raise ValueError(f"{at}.dimensions: values must be non-empty strings")
        key = (p.id, canonical(dims))
        if key in seen:
            raise ValueError(f"{at}: repeats overrides[{seen[key]}] (same pricing and dimensions)")
        seen[key] = i

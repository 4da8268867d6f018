"""Metered invoice lines: a usage period's measured quantities rated with the pricing, its rate
card and the contract's overrides (fixed fees and phases: ``invoices.engine``). Each line is rounded
once to cents (ROUND_HALF_UP). Line ids are derived from the invoice and the line's identity, so
assembling twice gives the same invoice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from monk.billing.calendar import InvoiceSlot
from monk.billing.dimensions import Dimensions, canonical, resolve_unit_amount
from monk.billing.invoice import Line, usage_description
from monk.billing.money import format_decimal, round_money
from monk.billing.rating import PriceSpec, Tier, effective_unit_price, rate_usage
from monk.models import Pricing, RateCard

LINE_NAMESPACE = uuid.UUID("6d6f6e6b-0000-4000-8000-000000000001")
METERED_MODELS = ("USAGE", "TIER")


@dataclass(frozen=True)
class BuiltLine:
    """A line with its stable id and kind (``fee``, ``one_time`` or ``usage``)."""

    id: str
    kind: str
    meter_id: str | None
    line: Line


def price_spec(p: Pricing) -> PriceSpec:
    """The pure core's ``PriceSpec`` for a pricing row (amounts in exact dollars)."""
    tiers = tuple(
        Tier(
            min_qty=Decimal(t["minQty"]),
            max_qty=Decimal(t["maxQty"]) if t.get("maxQty") not in (None, "") else None,
            unit_amount=Decimal(t["unitAmount"]),
            flat_amount=Decimal(t.get("flatAmount") or 0),
        )
        for t in (p.tiers or [])
    )
    tiering = p.tiering if tiers else "NONE"
    return PriceSpec(unit_amount=p.unit_amount or Decimal(0), flat_amount=p.flat_amount or Decimal(0),
                     tiering=tiering, tiers=tiers, minimum_amount=p.minimum_amount)


def _line_id(invoice_id: str, *parts: str) -> str:
    return str(uuid.uuid5(LINE_NAMESPACE, ":".join((invoice_id, *parts))))


@dataclass(frozen=True)
class PricingRates:
    """The rate inputs of one pricing (see ``monk.billing.dimensions``): the meter's rate-card entries
    (by canonical combination) and fallback, and the contract's overrides for this pricing, per
    combination (``exact``) and for every combination (``all``). Amounts are exact dollars per unit."""

    entries: dict[Dimensions, Decimal]
    fallback: Decimal | None
    exact: dict[Dimensions, Decimal]
    all: Decimal | None


def pricing_rates(p: Pricing, rate_card: RateCard | None, overrides: Sequence[Mapping[str, Any]]) -> PricingRates:
    """Collect what prices ``p``'s dimension combinations: ``rate_card`` (its meter's, or None) and the
    contract ``overrides`` (``[{"basePricingId", "unitAmount", "dimensions"?}]``; those naming another
    pricing are ignored; an override without ``dimensions``, or with ``{}``, covers every combination;
    when two overrides cover the same thing the later one wins)."""
    entries: dict[Dimensions, Decimal] = {}
    fallback: Decimal | None = None
    if rate_card is not None:
        entries = {canonical(e["dimensions"]): Decimal(str(e["unitAmount"])) for e in rate_card.entries or []}
        fallback = rate_card.fallback_rate
    exact: dict[Dimensions, Decimal] = {}
    whole: Decimal | None = None
    for o in overrides:
        if o.get("basePricingId") != p.id:
            continue
        unit = Decimal(str(o["unitAmount"]))
        if o.get("dimensions"):
            exact[canonical(o["dimensions"])] = unit
        else:
            whole = unit
    return PricingRates(entries=entries, fallback=fallback, exact=exact, all=whole)


def line_unit_amount(spec: PriceSpec, rates: PricingRates, dims: Dimensions) -> Decimal:
    """The unit price of one untiered usage line: ``resolve_unit_amount`` with the pricing's
    ``unitAmount`` as the last resort (dollars per unit)."""
    return resolve_unit_amount(dims, pricing_unit=spec.unit_amount, rate_entries=rates.entries,
                               fallback=rates.fallback, override_exact=rates.exact, override_all=rates.all)


def _dims_of(dim_key: str) -> Dimensions:
    return tuple((str(k), str(v)) for k, v in json.loads(dim_key).items()) if dim_key else ()


def _usage_line(p: Pricing, slot: InvoiceSlot, name: str, qty: Decimal, unit: Decimal, amount: Decimal,
                dims: Dimensions, description: str | None = None) -> Line:
    return Line(name=name, quantity=qty, unit_price=unit, amount=amount, is_metered=True, price_id=p.id,
                service_period=slot.usage_period, description=description or usage_description(qty, unit, amount),
                dimensions=dims)


def usage_lines(
    invoice_id: str, slot: InvoiceSlot, pricings: Sequence[Pricing],
    quantities: Mapping[str, Mapping[str, Decimal]], *, rate_cards: Mapping[str, RateCard],
    overrides: Sequence[Mapping[str, Any]],
) -> list[BuiltLine]:
    """The metered lines of a slot for ``slot.usage_period`` (amounts in dollars, each rounded once to cents).

    ``quantities`` maps meter id → dimension key (JSON object of the meter's group-key values in
    groupKeys order, "" when the meter has no group keys) → aggregated quantity. ``rate_cards`` are
    by meter id; ``overrides`` is the contract's list ``[{"basePricingId", "unitAmount",
    "dimensions"?}]``. One line per pricing and dimension combination, in the order of ``pricings``
    and then of the dimension keys, named ``"<pricing name> - <value> / <value>"`` (a missing group
    key reads ``(none)``).

    Unit price of a line (pricing with tiering NONE), first that applies: contract override for the
    combination, contract override for the whole pricing, rate-card entry, rate-card fallback, the
    pricing's ``unitAmount`` (``monk.billing.dimensions``). Tiered pricing (VOLUME/GRADUATED) always
    prices each line with its own tiers: rate cards and overrides do not apply to it (a plain override
    on a tiered pricing replaces nothing).

    The pricing's ``flatAmount`` and ``minimumAmount`` are charged once per pricing and period:
    without dimensions they are part of the single line (as ``rate_usage`` computes it); with
    dimension combinations, the combination lines carry usage only and the flat amount plus any
    shortfall below the minimum go on one more line named like the pricing, with quantity 0 and no
    dimensions (the same line a pricing without usage gets). A pricing with no usage still gets a
    zero-quantity line (it may carry a flat amount or a minimum). Lines of one pricing never share
    their dimensions, so ``(pricing, dimensions)`` identifies a line.
    Raises ``ValueError`` only for invalid stored pricing (see ``rate_usage``).
    """
    if slot.usage_period is None:
        return []
    out: list[BuiltLine] = []
    for p in pricings:
        if p.model not in METERED_MODELS or p.meter_id is None:
            continue
        by_dim = quantities.get(p.meter_id) or {"": Decimal(0)}
        spec = price_spec(p)
        rates = pricing_rates(p, rate_cards.get(p.meter_id), overrides)
        dimensional = any(k != "" for k in by_dim)
        line_spec = replace(spec, flat_amount=Decimal(0), minimum_amount=None) if dimensional else spec
        subtotal = Decimal(0)
        for dim_key in sorted(by_dim):
            qty = by_dim[dim_key]
            dims = _dims_of(dim_key)
            if spec.tiering == "NONE":
                unit = line_unit_amount(spec, rates, canonical(dims))
                amount = rate_usage(replace(line_spec, unit_amount=unit), qty)
            else:
                amount = rate_usage(line_spec, qty)
                unit = effective_unit_price(amount, qty)
            subtotal += amount
            name = p.name + (" - " + " / ".join(v if v != "" else "(none)" for _, v in dims) if dims else "")
            line = _usage_line(p, slot, name, qty, unit, amount, dims)
            out.append(BuiltLine(_line_id(invoice_id, "usage", p.id, dim_key), "usage", p.meter_id, line))
        if dimensional:
            out.extend(_period_charges(invoice_id, slot, p, spec, rates, subtotal))
    return out


def _period_charges(invoice_id: str, slot: InvoiceSlot, p: Pricing, spec: PriceSpec, rates: PricingRates,
                    usage: Decimal) -> list[BuiltLine]:
    """The flat amount and minimum top-up of a pricing whose usage is split by dimensions, as one line
    named like the pricing, with quantity 0 and no dimensions (the same identity as the pricing's
    zero-usage line). ``usage`` is the sum of the combination lines; nothing when there is no charge."""
    flat = round_money(spec.flat_amount)
    top_up = Decimal(0)
    if spec.minimum_amount is not None and usage + flat < spec.minimum_amount:
        top_up = round_money(spec.minimum_amount - usage - flat)
    if not flat and not top_up:
        return []
    parts = []
    if flat:
        parts.append(f"Flat fee ${format_decimal(flat)}")
    if top_up:
        parts.append(f"minimum ${format_decimal(round_money(spec.minimum_amount or Decimal(0)))} "
                     f"(usage ${format_decimal(usage + flat)}, top-up ${format_decimal(top_up)})")
    text = "; ".join(parts)
    unit = line_unit_amount(spec, rates, ()) if spec.tiering == "NONE" else Decimal(0)
    line = _usage_line(p, slot, p.name, Decimal(0), unit, flat + top_up, (), description=text[0].upper() + text[1:])
    return [BuiltLine(_line_id(invoice_id, "usage", p.id, ""), "usage", p.meter_id, line)]

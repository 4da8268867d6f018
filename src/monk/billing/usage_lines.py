"""Metered invoice lines: a usage period's measured quantities rated with the pricing, its rate
card and the contract's overrides (fixed fees and phases: ``monk.billing.assembly``). Each line is
rounded once to cents (ROUND_HALF_UP).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from monk.billing.charges import period_charge, usage_charge
from monk.billing.context import Override, PriceTerms, RateCardTerms
from monk.billing.dimensions import Dimensions, canonical, resolve_unit_amount
from monk.billing.invoice import Line
from monk.billing.periods import Period
from monk.billing.proration import Share
from monk.billing.rating import PriceSpec


@dataclass(frozen=True)
class UsageLine:
    """A metered line with the meter it bills."""

    meter_id: str
    line: Line


def price_spec(p: PriceTerms) -> PriceSpec:
    """The rating spec of a pricing (amounts in exact dollars; tiering ``NONE`` without tiers)."""
    tiering = p.tiering if p.tiers else "NONE"
    return PriceSpec(unit_amount=p.unit_amount or Decimal(0), flat_amount=p.flat_amount or Decimal(0),
                     tiering=tiering, tiers=p.tiers, minimum_amount=p.minimum_amount)


@dataclass(frozen=True)
class PricingRates:
    """The rate inputs of one pricing (see ``monk.billing.dimensions``): the meter's rate-card entries
    (by canonical combination) and fallback, and the contract's overrides for this pricing, per
    combination (``exact``) and for every combination (``all``). Amounts are exact dollars per unit."""

    entries: dict[Dimensions, Decimal]
    fallback: Decimal | None
    exact: dict[Dimensions, Decimal]
    all: Decimal | None


def pricing_rates(p: PriceTerms, rate_card: RateCardTerms | None, overrides: Sequence[Override]) -> PricingRates:
    """Collect what prices ``p``'s dimension combinations: ``rate_card`` (its meter's, or None) and the
    contract ``overrides`` (those naming another pricing are ignored; an override without dimensions
    covers every combination; when two overrides cover the same thing the later one wins)."""
    entries: dict[Dimensions, Decimal] = dict(rate_card.entries) if rate_card is not None else {}
    fallback = rate_card.fallback if rate_card is not None else None
    exact: dict[Dimensions, Decimal] = {}
    whole: Decimal | None = None
    for o in overrides:
        if o.base_pricing_id != p.id:
            continue
        if o.dimensions:
            exact[o.dimensions] = o.unit_amount
        else:
            whole = o.unit_amount
    return PricingRates(entries=entries, fallback=fallback, exact=exact, all=whole)


def line_unit_amount(spec: PriceSpec, rates: PricingRates, dims: Dimensions) -> Decimal:
    """The unit price of one untiered usage line: ``resolve_unit_amount`` with the pricing's
    ``unitAmount`` as the last resort (dollars per unit)."""
    return resolve_unit_amount(dims, pricing_unit=spec.unit_amount, rate_entries=rates.entries,
                               fallback=rates.fallback, override_exact=rates.exact, override_all=rates.all)


def _dims_of(dim_key: str) -> Dimensions:
    return tuple((str(k), str(v)) for k, v in json.loads(dim_key).items()) if dim_key else ()


def _usage_line(p: PriceTerms, period: Period, name: str, qty: Decimal, unit: Decimal, amount: Decimal,
                dims: Dimensions, description: str) -> Line:
    return Line(name=name, quantity=qty, unit_price=unit, amount=amount, is_metered=True, price_id=p.id,
                service_period=period, description=description, dimensions=dims)


def rate_pricings(
    period: Period, pricings: Sequence[PriceTerms], quantities: Mapping[str, Mapping[str, Decimal]], *,
    rate_cards: Mapping[str, RateCardTerms], overrides: Sequence[Override], share: Share | None = None,
    dimensional_meters: Collection[str] = (),
) -> list[UsageLine]:
    """The metered lines of ``pricings`` for the usage ``period`` (amounts in dollars, each rounded once
    to cents).

    ``quantities`` maps meter id → dimension key (JSON object of the meter's group-key values in
    groupKeys order, "" when the meter has no group keys) → aggregated quantity. ``rate_cards`` are
    by meter id; ``overrides`` are the contract's. One line per pricing and dimension combination, in
    the order of ``pricings`` and then of the dimension keys, named ``"<pricing name> - <value> /
    <value>"`` (a missing group key reads ``(none)``).

    Unit price of a line (pricing with tiering NONE), first that applies: contract override for the
    combination, contract override for the whole pricing, rate-card entry, rate-card fallback, the
    pricing's ``unitAmount`` (``monk.billing.dimensions``). Tiered pricing (VOLUME/GRADUATED) always
    prices each line with its own tiers: rate cards and overrides do not apply to it (a plain override
    on a tiered pricing replaces nothing); its unit price is the tier charge's average per unit.

    The pricing's ``flatAmount`` and ``minimumAmount`` are charged once per pricing and phase of the
    period: ``share`` is the phase's share of the period (whole when None) and prorates both, as
    fixed fees are (``monk.billing.charges``). Without dimensions they are part of the single line;
    with dimension combinations, the combination lines carry usage only and the flat amount plus any
    shortfall below the minimum go on one more line named like the pricing, with no dimensions,
    quantity 1 and that charge as unit price. ``dimensional_meters`` names the meters with group
    keys: a pricing on one of them without usage gets that charge line alone. Any other pricing
    without usage still gets a zero-quantity line (it may carry a flat amount or a minimum); the
    charge line and the zero line share their identity. Lines of one pricing never share their dimensions, so
    ``(pricing, dimensions)`` identifies a line. Every description adds up to the line's amount.
    Raises ``ValueError`` only for invalid stored pricing (see ``rate_usage``).
    """
    out: list[UsageLine] = []
    for p in pricings:
        if not p.metered or p.meter_id is None:
            continue
        by_dim = quantities.get(p.meter_id) or {"": Decimal(0)}
        spec = price_spec(p)
        rates = pricing_rates(p, rate_cards.get(p.meter_id), overrides)
        dimensional = any(k != "" for k in by_dim)
        if not dimensional and p.meter_id in dimensional_meters and not quantities.get(p.meter_id):
            charge_line = _period_charge_line(period, p, spec, Decimal(0), share)
            if charge_line is not None:
                out.append(charge_line)
                continue
        line_spec = replace(spec, flat_amount=Decimal(0), minimum_amount=None) if dimensional else spec
        subtotal = Decimal(0)
        for dim_key in sorted(by_dim):
            qty = by_dim[dim_key]
            dims = _dims_of(dim_key)
            if spec.tiering == "NONE":
                line_spec = replace(line_spec, unit_amount=line_unit_amount(spec, rates, canonical(dims)))
            charge = usage_charge(line_spec, qty, share=share)
            subtotal += charge.amount
            name = p.name + (" - " + " / ".join(v if v != "" else "(none)" for _, v in dims) if dims else "")
            line = _usage_line(p, period, name, qty, charge.unit_price, charge.amount, dims, charge.description())
            out.append(UsageLine(p.meter_id, line))
        if dimensional:
            charge_line = _period_charge_line(period, p, spec, subtotal, share)
            if charge_line is not None:
                out.append(charge_line)
    return out


def _period_charge_line(period: Period, p: PriceTerms, spec: PriceSpec, usage: Decimal,
                        share: Share | None) -> UsageLine | None:
    """The flat amount and minimum top-up of a dimensional pricing as one charge (quantity 1)."""
    extra = period_charge(spec, usage, share=share)
    if extra is None:
        return None
    amount, text = extra
    line = _usage_line(p, period, p.name, Decimal(1), amount, amount, (), text)
    return UsageLine(p.meter_id or "", line)

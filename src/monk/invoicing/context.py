"""A contract's billing context loaded from stored rows: the pure core's values
(``monk.billing.context``) next to the rows the I/O layer still needs (the contract, its meters).

Stored JSON is read here and nowhere else, one loader per shape: ``tiers_of`` (a pricing's tiers),
``overrides_of`` (a contract's overrides), ``rate_card_terms`` (a rate card's entries).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from monk.billing.context import BillingContext, ContractTerms, Override, Phase, PriceTerms, RateCardTerms
from monk.billing.dimensions import canonical
from monk.billing.periods import Period
from monk.billing.rating import Tier
from monk.models import Contract, ContractPhase, Meter, Pricing, RateCard


def tiers_of(stored: Iterable[Mapping[str, Any]] | None) -> tuple[Tier, ...]:
    """A pricing's stored tiers (``[{"minQty", "maxQty", "unitAmount", "flatAmount"}]``, decimal
    strings; ``maxQty`` null or "" = open) as ``Tier`` values."""
    return tuple(
        Tier(
            min_qty=Decimal(t["minQty"]),
            max_qty=Decimal(t["maxQty"]) if t.get("maxQty") not in (None, "") else None,
            unit_amount=Decimal(t["unitAmount"]),
            flat_amount=Decimal(t.get("flatAmount") or 0),
        )
        for t in (stored or [])
    )


def overrides_of(stored: Iterable[Mapping[str, Any]] | None) -> tuple[Override, ...]:
    """A contract's stored overrides (``[{"basePricingId", "unitAmount", "dimensions"?}]``) as
    ``Override`` values, in stored order (an override without dimensions, or with ``{}``, covers
    every combination)."""
    return tuple(Override(base_pricing_id=str(o.get("basePricingId")), unit_amount=Decimal(str(o["unitAmount"])),
                          dimensions=canonical(o["dimensions"]) if o.get("dimensions") else ())
                 for o in (stored or []))


def rate_card_terms(card: RateCard) -> RateCardTerms:
    """A stored rate card (``entries`` ``[{"dimensions", "unitAmount"}]``) as ``RateCardTerms``."""
    entries = {canonical(e["dimensions"]): Decimal(str(e["unitAmount"])) for e in card.entries or []}
    return RateCardTerms(entries=entries, fallback=card.fallback_rate)


def price_terms(p: Pricing) -> PriceTerms:
    """A pricing row as ``PriceTerms``."""
    return PriceTerms(id=p.id, name=p.name, model=p.model, billing_mode=p.billing_mode, meter_id=p.meter_id,
                      unit_amount=p.unit_amount, flat_amount=p.flat_amount, minimum_amount=p.minimum_amount,
                      tiering=p.tiering, tiers=tiers_of(p.tiers), price_interval=p.price_interval,
                      price_interval_count=p.price_interval_count)


def contract_terms(c: Contract) -> ContractTerms:
    """A contract row as ``ContractTerms``."""
    return ContractTerms(id=c.id, start_date=c.start_date, end_date=c.end_date,
                         billing_cycle_anchor=c.billing_cycle_anchor, billing_frequency=c.billing_frequency,
                         ended_at=c.ended_at, overrides=overrides_of(c.overrides))


@dataclass
class ContractBilling:
    """A contract's billing context (``context``, what the pure core reads) with the contract row
    and its meters' rows (matching and usage aggregation read those). Periods and phases are the
    context's."""

    contract: Contract
    meters: dict[str, Meter]
    context: BillingContext

    @property
    def phases(self) -> tuple[Phase, ...]:
        """The contract's phases, oldest first."""
        return self.context.phases

    @property
    def months(self) -> int:
        """Length of one billing period in months."""
        return self.context.months

    def periods(self, until: date) -> list[Period]:
        """``BillingContext.periods``."""
        return self.context.periods(until)

    def period_at(self, at: datetime) -> Period | None:
        """``BillingContext.period_at``."""
        return self.context.period_at(at)

    def phase_at(self, at: datetime) -> Phase:
        """``BillingContext.phase_at``."""
        return self.context.phase_at(at)

    def meter_ids(self, phase: Phase) -> list[str]:
        """The distinct meters of a phase's pricing, in pricing order."""
        return self.context.phase_meters(phase)


def build(contract: Contract, phase_rows: Sequence[ContractPhase], pricing_by_plan: Mapping[str, Sequence[Pricing]],
          meters: Mapping[str, Meter], cards: Mapping[str, RateCard],
          terms: dict[str, PriceTerms] | None = None) -> ContractBilling:
    """The ``ContractBilling`` of ``contract`` from its phase rows (oldest first), its plans' pricing
    (by plan id, in plan order), and the meters and rate cards by meter id (others are ignored).
    ``terms`` caches ``PriceTerms`` by pricing id across contracts."""
    cache = terms if terms is not None else {}

    def priced(p: Pricing) -> PriceTerms:
        if p.id not in cache:
            cache[p.id] = price_terms(p)
        return cache[p.id]

    phases = tuple(Phase(id=r.id, plan_id=r.plan_id, starts_at=r.starts_at, prorate=r.prorate,
                         pricings=tuple(priced(p) for p in pricing_by_plan[r.plan_id])) for r in phase_rows)
    wanted = {p.meter_id for ph in phases for p in ph.pricings if p.meter_id}
    own_meters = {m: meters[m] for m in wanted if m in meters}
    context = BillingContext(
        contract=contract_terms(contract), phases=phases, meter_ids=frozenset(own_meters),
        dimensional_meters=frozenset(m for m, row in own_meters.items() if row.group_keys),
        rate_cards={m: rate_card_terms(cards[m]) for m in wanted if m in cards})
    return ContractBilling(contract=contract, meters=own_meters, context=context)

"""A contract's billing context loaded from stored rows: the pure core's values
(``monk.billing.context``) next to the rows the I/O layer still needs (the contract, its meters).

Stored JSON (snake_case, Monk's own shapes) is parsed only by the loaders of ``monk.models.shapes``;
this module turns their values into the pure core's terms.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from monk.billing.context import BillingContext, ContractTerms, Override, Phase, PriceTerms, RateCardTerms
from monk.billing.dimensions import canonical
from monk.billing.periods import Period
from monk.models import Contract, ContractPhase, CreditBudget, Meter, Pricing, RateCard
from monk.models.shapes import load_overrides, load_rate_entries, load_tiers


def overrides_of(stored: Sequence[Mapping[str, Any]] | None) -> tuple[Override, ...]:
    """A contract's stored overrides (``models.shapes.load_overrides``) as the pure core's
    ``Override`` terms, in stored order (an override without dimensions, or with ``{}``, covers every
    combination)."""
    return tuple(Override(base_pricing_id=o.base_pricing_id, unit_amount=o.unit_amount,
                          dimensions=canonical(o.dimension_map()) if o.dimensions else ())
                 for o in load_overrides(stored))


def rate_card_terms(card: RateCard) -> RateCardTerms:
    """A stored rate card (``models.shapes.load_rate_entries``) as ``RateCardTerms``."""
    entries = {canonical(e.dimension_map()): e.unit_amount for e in load_rate_entries(card.entries)}
    return RateCardTerms(entries=entries, fallback=card.fallback_rate)


def price_terms(p: Pricing) -> PriceTerms:
    """A pricing row as ``PriceTerms``."""
    return PriceTerms(id=p.id, name=p.name, model=p.model, billing_mode=p.billing_mode, meter_id=p.meter_id,
                      unit_amount=p.unit_amount, flat_amount=p.flat_amount, minimum_amount=p.minimum_amount,
                      tiering=p.tiering, tiers=load_tiers(p.tiers), price_interval=p.price_interval,
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
    # The contract's credit budgets in index order (``budgets.enforcement`` caps the draw-down with
    # them); loaded with the rest, for every contract of a batch at once.
    budgets: list[CreditBudget] = field(default_factory=list)

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
          terms: dict[str, PriceTerms] | None = None, budgets: list[CreditBudget] | None = None) -> ContractBilling:
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
    return ContractBilling(contract=contract, meters=own_meters, context=context, budgets=budgets or [])

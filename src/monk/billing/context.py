"""A contract's billing context as plain values: what rating and invoice assembly read.

The I/O layer (``monk.invoicing.context``) loads these from stored rows; the pure core never sees an
ORM object or stored JSON. Amounts are exact dollars (``Decimal``), instants timezone-aware UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from monk.billing.dimensions import Dimensions
from monk.billing.periods import FREQUENCY_MONTHS, Period, billing_periods, period_containing
from monk.billing.rating import Tier

__all__ = ["METERED_MODELS", "BillingContext", "ContractTerms", "Override", "Phase", "PriceTerms", "RateCardTerms",
           "segments"]

METERED_MODELS: tuple[str, ...] = ("USAGE", "TIER")  # pricing models billed from usage (in arrears)


@dataclass(frozen=True)
class PriceTerms:
    """One pricing of a plan. ``model`` is ``FLAT``, ``USAGE`` or ``TIER``; ``billing_mode``
    ``RECURRING`` or ``ONE_TIME``; ``tiering`` ``NONE``, ``VOLUME`` or ``GRADUATED`` (``tiers`` then
    holds its tiers); amounts in dollars; ``price_interval`` (``WEEK``/``MONTH``/``YEAR``) times
    ``price_interval_count`` is how often a recurring fee recurs."""

    id: str
    name: str
    model: str
    billing_mode: str
    meter_id: str | None = None
    unit_amount: Decimal | None = None
    flat_amount: Decimal | None = None
    minimum_amount: Decimal | None = None
    tiering: str = "NONE"
    tiers: tuple[Tier, ...] = ()
    price_interval: str | None = None
    price_interval_count: int | None = 1

    @property
    def metered(self) -> bool:
        """True for usage pricing on a meter (``METERED_MODELS``)."""
        return self.model in METERED_MODELS and self.meter_id is not None


@dataclass(frozen=True)
class Override:
    """A contract's price for one pricing: ``unit_amount`` dollars per unit for the combination
    ``dimensions`` (canonical), or for every combination when ``dimensions`` is empty."""

    base_pricing_id: str
    unit_amount: Decimal
    dimensions: Dimensions = ()


@dataclass(frozen=True)
class RateCardTerms:
    """A meter's rate card: dollars per unit by canonical combination, and the fallback rate."""

    entries: Mapping[Dimensions, Decimal] = field(default_factory=dict)
    fallback: Decimal | None = None


@dataclass(frozen=True)
class ContractTerms:
    """What billing reads of a contract: its term (``end_date`` exclusive, None = rolling), billing
    cycle, the instant it ended early (immediate cancellation) and its overrides, in stored order
    (when two cover the same thing, the later wins)."""

    id: str
    start_date: date
    end_date: date | None
    billing_cycle_anchor: date
    billing_frequency: str
    ended_at: datetime | None = None
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class Phase:
    """The plan a contract bills from ``starts_at`` until the next phase starts, with its pricing
    in plan order; ``prorate`` tells whether its fees are prorated in the period it starts in."""

    id: str
    plan_id: str
    starts_at: datetime
    prorate: bool
    pricings: tuple[PriceTerms, ...]


@dataclass(frozen=True)
class BillingContext:
    """Everything rating a contract needs: its terms, its phases (oldest first), the meters its
    pricing may bill (``meter_ids``; ``dimensional_meters``: those with group keys) and the rate
    cards by meter id."""

    contract: ContractTerms
    phases: tuple[Phase, ...]
    meter_ids: frozenset[str] = frozenset()
    dimensional_meters: frozenset[str] = frozenset()
    rate_cards: Mapping[str, RateCardTerms] = field(default_factory=dict)
    _periods: list[Period] = field(default_factory=list, compare=False, repr=False)  # cache of period_at

    @property
    def months(self) -> int:
        """Length of one billing period in months."""
        return FREQUENCY_MONTHS[self.contract.billing_frequency]

    def periods(self, until: date) -> list[Period]:
        """The billing periods up to the one containing ``until`` (all of them for a fixed term)."""
        c = self.contract
        if c.end_date is not None and c.end_date <= c.start_date:
            return []
        return billing_periods(start=c.start_date, end=c.end_date, anchor=c.billing_cycle_anchor,
                               months=self.months, until=until)

    def period_at(self, at: datetime) -> Period | None:
        """The billing period containing the instant ``at`` (UTC); None outside the contract."""
        c = self.contract
        day = at.date()
        if day < c.start_date or (c.end_date is not None and day >= c.end_date):
            return None
        if c.ended_at is not None and at >= c.ended_at:
            return None
        if not self._periods or self._periods[-1].end <= day:
            self._periods[:] = self.periods(day)
        return period_containing(self._periods, at)

    def phase_at(self, at: datetime) -> Phase:
        """The phase in force at ``at`` (the first phase before the contract starts)."""
        current = self.phases[0]
        for phase in self.phases[1:]:
            if phase.starts_at <= at:
                current = phase
        return current

    def segments(self, start: datetime, end: datetime) -> list[tuple[Phase, datetime, datetime]]:
        """The phases in force during ``[start, end)``, each with the part of the range it covers."""
        return segments(self.phases, start, end)

    def phase_meters(self, phase: Phase) -> list[str]:
        """The distinct meters of a phase's pricing (known to the context), in pricing order."""
        seen: list[str] = []
        for p in phase.pricings:
            if p.meter_id and p.meter_id in self.meter_ids and p.meter_id not in seen:
                seen.append(p.meter_id)
        return seen


def segments(phases: Sequence[Phase], start: datetime, end: datetime) -> list[tuple[Phase, datetime, datetime]]:
    """The ``phases`` (oldest first; the first covers everything before the second) in force during
    ``[start, end)``, each with the part of the range it covers."""
    out = []
    for i, phase in enumerate(phases):
        s = phase.starts_at if i else start
        e = phases[i + 1].starts_at if i + 1 < len(phases) else end
        s, e = max(s, start), min(e, end)
        if s < e:
            out.append((phase, s, e))
    return out

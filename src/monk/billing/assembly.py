"""Invoice assembly: what each billing period of a contract bills, as lines (``invoice_lines``).

A contract bills, over time, a sequence of phases (the plan in force from an instant on; plan
changes add phases). For a billing period:

- fixed fees are billed in advance on the invoice of the period: each recurring FLAT pricing once
  per start of its own interval (counted from the contract start) inside the period; ONE_TIME
  pricing once, in the period in which its phase starts. When a phase starts inside the period
  and its change asked for proration, each phase bills its exact share of the fee, to the second
  (``monk.billing.proration``: an immediate change at Jan 15 10:00 splits January 1,245,600 and
  1,432,800 of 2,678,400 seconds), cents carried over so the parts add up; without proration the
  new phase's fees start with the next period.
- usage is billed in arrears on the next invoice, split at the instant each phase starts, each
  part rated with its own phase's pricing (rate cards and contract overrides included); the flat
  amounts and minimums of usage pricing are charges of the period, prorated like fixed fees: each
  phase bills its share of them.

Each expected line carries an ``identity`` (phase, pricing, dimensions). When a period was billed on
an invoice that is already finalized, the difference between what it should bill now and what was
billed (late usage, a resend, a plan change) is billed on the contract's earliest open invoice as
adjustment lines naming the original service period. Every line rounds once to cents, half up.

Pure: the inputs are a ``BillingContext`` (``monk.billing.context``), periods, measured quantities
and what finalized invoices billed; the same inputs give the same lines, ids included
(``line_id``). Totals: ``monk.billing.invoice.invoice_totals``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from monk.billing.context import BillingContext, Phase, segments
from monk.billing.invoice import Line
from monk.billing.money import format_dollars, round_money
from monk.billing.periods import Period, interval_starts_in
from monk.billing.proration import Share, prorate, prorated_description, split_period
from monk.billing.usage_lines import rate_pricings

__all__ = ["LINE_NAMESPACE", "Billed", "Expected", "Reopened", "adjustments", "fee_lines", "fee_shares",
           "invoice_lines", "line_id", "period_of", "usage_lines"]

Quantities = Mapping[str, Mapping[str, Decimal]]  # meter id -> dimension key -> quantity
# The namespace of invoice line ids (uuid5 of ``line_id``'s key): the ids of stored lines depend on it.
LINE_NAMESPACE = uuid.UUID("6d6f6e6b-0000-4000-8000-000000000002")


@dataclass(frozen=True)
class Expected:
    """A line a period should bill: ``identity`` names what it bills; ``kind`` is ``fee``,
    ``one_time``, ``usage`` or ``adjustment``."""

    identity: str
    kind: str
    meter_id: str | None
    line: Line


def fee_shares(billing: BillingContext, period: Period) -> list[tuple[Phase, Share]]:
    """``(phase, share)`` billing fixed fees (and the flat amounts and minimums of usage pricing) in
    ``period``: each phase's exact share of the period, to the second (``monk.billing.proration``);
    the shares add up to one. A phase that starts inside the period without proration takes over
    its fees only from the next period: the phase before it keeps its share."""
    start, end = period.start_at, period.end_at
    effective = [p for i, p in enumerate(billing.phases) if i == 0 or p.prorate or p.starts_at <= start
                 or p.starts_at >= end]
    parts = segments(effective, start, end)
    shares = split_period(start, end, [(s, e) for _phase, s, e in parts])
    return [(phase, share) for (phase, _s, _e), share in zip(parts, shares, strict=True)]


def fee_lines(billing: BillingContext, period: Period) -> list[Expected]:
    """The fixed-fee lines ``period`` should bill (in advance, on the invoice of that period).

    A recurring fee of a phase covering part of the period bills ``prorate(unit × count, share)``
    (cents carried over between the parts, so the parts of one fee add up to the whole fee); its
    line keeps quantity and unit price and its description states the share and the arithmetic."""
    out: list[Expected] = []
    origin = billing.contract.start_date
    for phase, share in fee_shares(billing, period):
        for p in phase.pricings:
            if p.model != "FLAT":
                continue
            unit = p.unit_amount or Decimal(0)
            if p.billing_mode == "ONE_TIME":
                first = phase is billing.phases[0] and period.start == origin
                starts_here = first or period.contains(phase.starts_at)
                if not starts_here:
                    continue
                line = Line(name=p.name, quantity=Decimal(1), unit_price=unit, amount=round_money(unit),
                            is_metered=False, price_id=p.id, service_period=period)
                out.append(Expected(f"one_time:{phase.id}:{p.id}", "one_time", None, line))
                continue
            count = interval_starts_in(origin=origin, interval=p.price_interval or "MONTH",
                                       count=p.price_interval_count or 1, period=period)
            if count == 0:
                continue
            qty = Decimal(count)
            full = unit * qty
            amount = prorate(full, share)
            description = None if share.whole else prorated_description(full, share, amount)
            line = Line(name=p.name, quantity=qty, unit_price=unit, amount=amount, is_metered=False, price_id=p.id,
                        service_period=period, description=description)
            out.append(Expected(f"fee:{phase.id}:{p.id}", "fee", None, line))
    return out


def usage_lines(billing: BillingContext, period: Period, quantities: Mapping[str, Quantities]) -> list[Expected]:
    """The metered lines ``period``'s usage should bill; ``quantities`` is by phase id.

    Each phase rates its own part of the usage; the flat amounts and minimums of its usage pricing
    are prorated by the phase's share of the period, the share its fixed fees get (``fee_shares``:
    a phase that started without proration has none of them until the next period)."""
    out: list[Expected] = []
    shares = {phase.id: share for phase, share in fee_shares(billing, period)}
    nothing = Share(offset=0, seconds=0, total=period.days * 86_400)
    for phase, _s, _e in billing.segments(period.start_at, period.end_at):
        built = rate_pricings(period, phase.pricings, quantities.get(phase.id, {}), rate_cards=billing.rate_cards,
                              overrides=billing.contract.overrides, share=shares.get(phase.id, nothing),
                              dimensional_meters=billing.dimensional_meters)
        for b in built:
            dims = json.dumps([list(d) for d in b.line.dimensions], separators=(",", ":"))
            out.append(Expected(f"usage:{phase.id}:{b.line.price_id}:{dims}", "usage", b.meter_id, b.line))
    return out


@dataclass(frozen=True)
class Billed:
    """What finalized invoices billed for one identity in one period: summed quantity and amount."""

    quantity: Decimal
    amount: Decimal
    name: str
    unit_price: Decimal
    is_metered: bool
    price_id: str | None


def adjustments(expected: Sequence[Expected], billed: Mapping[str, Billed], period: Period) -> list[Expected]:
    """Lines billing ``expected - billed`` for a period whose invoice is finalized (zero differences
    are left out). Usage differences are named late usage, fee differences adjustments; both name the
    original service period.

    A late-usage line shows the difference in quantity at the current unit price; when that product
    is not the difference in amount (a minimum, a flat amount, tiers), its description says what is
    billed now and what was billed. A fee adjustment is one charge: quantity 1, unit price = amount =
    the difference (as Stripe bills proration items), described as now versus billed."""
    label = f"{period.start.isoformat()} to {(period.end - timedelta(days=1)).isoformat()}"
    out: list[Expected] = []
    by_identity = {e.identity: e for e in expected}
    for identity in sorted(set(by_identity) | set(billed)):
        exp = by_identity.get(identity)
        was = billed.get(identity)
        exp_amount = exp.line.amount if exp else Decimal(0)
        exp_qty = exp.line.quantity if exp else Decimal(0)
        was_amount = was.amount if was else Decimal(0)
        delta_amount = round_money(exp_amount - was_amount)
        delta_qty = exp_qty - (was.quantity if was else Decimal(0))
        if delta_amount == 0 and delta_qty == 0:
            continue
        metered = exp.line.is_metered if exp else bool(was and was.is_metered)
        base = exp.line.name if exp else (was.name if was else identity)
        what = "late usage" if metered else "adjustment"
        unit = exp.line.unit_price if exp else (was.unit_price if was else Decimal(0))
        text = f"{what.capitalize()} for the service period {label}"
        if metered:
            qty = delta_qty
            if round_money(qty * unit) != delta_amount:
                text += f": {format_dollars(exp_amount)} now less {format_dollars(was_amount)} billed" \
                        f" = {format_dollars(delta_amount)}"
        else:
            qty, unit = Decimal(1), delta_amount
            now = f" ({exp.line.description})" if exp and exp.line.description else ""
            text += f": {format_dollars(exp_amount)} now{now} less {format_dollars(was_amount)} billed" \
                    f" = {format_dollars(delta_amount)}"
        line = Line(name=f"{base} ({what}, {label})", quantity=qty, unit_price=unit, amount=delta_amount,
                    is_metered=metered, price_id=exp.line.price_id if exp else (was.price_id if was else None),
                    service_period=period, description=text, dimensions=exp.line.dimensions if exp else ())
        out.append(Expected(identity, "adjustment", exp.meter_id if exp else None, line))
    return out


def period_of(start: date | None, end: date | None) -> Period | None:
    """A ``Period`` from two stored dates (None when either is missing)."""
    return Period(start, end) if start is not None and end is not None else None


@dataclass(frozen=True)
class Reopened:
    """A period billed on a finalized invoice that changed since: what finalized invoices billed for
    it (by identity) and, for usage (``usage``), its measured quantities by phase id."""

    period: Period
    usage: bool
    billed: Mapping[str, Billed]
    quantities: Mapping[str, Quantities] | None = None


def invoice_lines(billing: BillingContext, *, fee_period: Period | None, usage_period: Period | None,
                  quantities: Mapping[str, Quantities], reopened: Sequence[Reopened] = ()) -> list[Expected]:
    """Every line of one invoice, in order: the fixed fees of ``fee_period`` (in advance), the usage
    of ``usage_period`` (``quantities``: phase id → meter id → dimension key → quantity) and the
    adjustments of the ``reopened`` periods (only the contract's earliest open invoice carries
    them). Amounts in dollars, each line rounded once to cents. Deterministic."""
    out: list[Expected] = []
    if fee_period is not None:
        out += fee_lines(billing, fee_period)
    if usage_period is not None:
        out += usage_lines(billing, usage_period, quantities)
    for r in reopened:
        now = usage_lines(billing, r.period, r.quantities or {}) if r.usage else fee_lines(billing, r.period)
        out += adjustments(now, r.billed, r.period)
    return out


def line_id(invoice_id: str, line: Expected) -> str:
    """The stable id of a line of invoice ``invoice_id``: a UUIDv5 of the invoice, the line's kind,
    identity and service period start (``LINE_NAMESPACE``), so rebuilding keeps every id."""
    sp = line.line.service_period
    return str(uuid.uuid5(LINE_NAMESPACE, f"{invoice_id}:{line.kind}:{line.identity}:{sp.start if sp else ''}"))


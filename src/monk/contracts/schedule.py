"""The invoice schedule of a contract not yet created (the dashboard's review step): which invoices the
engine will issue, when, and what each bills in advance, computed by the billing core itself
(``billing_periods`` through ``BillingContext.periods``, ``invoice_slots``, ``fee_lines``) from the same
terms ``create`` stores, so the preview never disagrees with what is billed. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from monk.billing.assembly import fee_lines
from monk.billing.calendar import invoice_slots
from monk.billing.context import BillingContext, ContractTerms, Phase
from monk.billing.money import to_cents
from monk.billing.periods import Period, anchored_date
from monk.contracts.schemas import ContractCreate
from monk.invoicing.context import overrides_of, price_terms
from monk.kit.time import midnight
from monk.models import Plan, Pricing

PREVIEW_ID = "preview"
"""The id the schedule's contract and phase take (they exist nowhere)."""


@dataclass(frozen=True)
class ScheduledInvoice:
    """One invoice of the schedule: ``number`` (1-based, in date order), ``invoice_date``, the fixed fees
    it bills in advance for ``fee_period`` (``fees_cents``, cents; 0 and ``fee_period`` None on the
    closing invoice of a fixed term) and ``usage_period``, the period whose usage it bills in arrears
    (None on the first invoice and when the plan has no metered pricing)."""

    number: int
    invoice_date: date
    fees_cents: int
    fee_period: Period | None
    usage_period: Period | None


@dataclass(frozen=True)
class Schedule:
    """The invoices of a contract's schedule; for an open-ended contract only the first few
    (``open_ended`` true: one more invoice follows every ``months`` months, forever)."""

    invoices: list[ScheduledInvoice]
    open_ended: bool
    months: int


def preview(body: ContractCreate, plan: Plan, pricings: Sequence[Pricing], overrides: list[dict[str, Any]], *,
            shown: int = 4) -> Schedule:
    """The schedule of the contract ``body`` on ``plan`` (its ``pricings`` in plan order; ``overrides``
    in their stored form, as ``contracts.service.check`` returns them). A fixed term lists every invoice
    (one per billing period plus the closing one dated at the end, ``invoice_slots``); an
    open-ended contract its first ``shown`` invoices. Usage is billed in arrears, one period late, so its
    amount is unknown here: ``usage_period`` tells which period's usage an invoice bills."""
    terms = ContractTerms(id=PREVIEW_ID, start_date=body.start_date, end_date=body.end_date,
                          billing_cycle_anchor=body.billing_cycle_anchor or body.start_date,
                          billing_frequency=plan.billing_frequency, overrides=overrides_of(overrides))
    phase = Phase(id=PREVIEW_ID, plan_id=plan.id, starts_at=midnight(body.start_date), prorate=True,
                  pricings=tuple(price_terms(p) for p in pricings))
    context = BillingContext(contract=terms, phases=(phase,),
                             meter_ids=frozenset(p.meter_id for p in pricings if p.meter_id))
    metered = any(p.metered for p in phase.pricings)
    until = anchored_date(body.start_date, max(shown - 1, 0) * context.months)
    periods = context.periods(until)
    slots = invoice_slots(periods, fixed_term=body.end_date is not None)
    invoices = []
    for slot in slots[:shown] if body.end_date is None else slots:
        fees = sum((e.line.amount for e in fee_lines(context, slot.fee_period)), Decimal(0)) \
            if slot.fee_period else Decimal(0)
        invoices.append(ScheduledInvoice(number=slot.index + 1, invoice_date=slot.invoice_date,
                                         fees_cents=to_cents(fees), fee_period=slot.fee_period,
                                         usage_period=slot.usage_period if metered else None))
    return Schedule(invoices=invoices, open_ended=body.end_date is None, months=context.months)

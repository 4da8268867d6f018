"""The invoice calendar of a contract.

Design (decided): each billing period gets one invoice dated at the period's start. Recurring fixed
fees are billed in advance on the invoice of their own period; usage is billed in arrears on the NEXT
period's invoice, as a metered line whose service period is the period it measured. A fixed-term
contract therefore has one more invoice than periods: the last one, dated at the contract ``end``,
carries only the final period's usage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from monk.billing.periods import Period

__all__ = ["InvoiceSlot", "due_date", "invoice_slots"]


@dataclass(frozen=True)
class InvoiceSlot:
    """One invoice of the calendar.

    ``index`` is 0-based (slot 0 is the contract's first invoice). ``fee_period`` is the period whose
    fixed fees are billed in advance (None on the closing invoice of a fixed term); ``usage_period`` is
    the period whose usage is billed in arrears (None on the first invoice).
    """

    index: int
    invoice_date: date
    fee_period: Period | None
    usage_period: Period | None


def invoice_slots(periods: Sequence[Period], *, fixed_term: bool) -> list[InvoiceSlot]:
    """Return the invoice slots for ``periods`` (in order, as from ``billing_periods``).

    Slot i (0 <= i < len(periods)) is dated ``periods[i].start`` with ``fee_period = periods[i]`` and
    ``usage_period = periods[i - 1]`` (None for i = 0). If ``fixed_term``, a closing slot dated
    ``periods[-1].end`` carries ``usage_period = periods[-1]`` and no fees. Empty input gives ``[]``.
    Raises ``ValueError`` if the periods are not contiguous (each must start where the previous ends).
    """
    for previous, current in pairwise(periods):
        if current.start != previous.end:
            raise ValueError(f"periods are not contiguous: {previous} then {current}")
    slots = [
        InvoiceSlot(
            index=i,
            invoice_date=period.start,
            fee_period=period,
            usage_period=periods[i - 1] if i > 0 else None,
        )
        for i, period in enumerate(periods)
    ]
    if fixed_term and periods:
        last = periods[-1]
        slots.append(
            InvoiceSlot(index=len(periods), invoice_date=last.end, fee_period=None, usage_period=last)
        )
    return slots


def due_date(invoice_date: date, net_terms_days: int) -> date:
    """Return the date payment is due: ``invoice_date + net_terms_days`` days (0 = due on receipt).

    Raises ``ValueError`` if ``net_terms_days`` is negative.
    """
    if net_terms_days < 0:
        raise ValueError(f"net_terms_days must not be negative, got {net_terms_days}")
    return invoice_date + timedelta(days=net_terms_days)

"""An invoice's totals: subtotal, credits applied and amount due, in integer cents.

The subtotal is the sum of the lines' integer cents (each line already rounded once to cents), so
it always equals what the lines display.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from monk.billing.bounds import check_cents
from monk.billing.invoice import Line
from monk.billing.money import to_cents

__all__ = ["InvoiceTotals", "invoice_totals"]


@dataclass(frozen=True)
class InvoiceTotals:
    """An invoice's totals in integer cents, exactly what is stored and returned: ``subtotal_cents``
    (the sum of the lines), ``credits_applied_cents`` (prepaid credits drawn down; 0 until credits
    exist) and ``total_cents``, the amount due (``subtotal_cents - credits_applied_cents``)."""

    subtotal_cents: int
    credits_applied_cents: int
    total_cents: int


def invoice_totals(lines: Iterable[Line], *, credits_cents: int = 0) -> InvoiceTotals:
    """The totals of an invoice of ``lines``: the subtotal is the sum of ``to_cents(line.amount)``;
    credits apply up to a positive subtotal (``credits_cents`` available, >= 0), never beyond it.

    Raises ``TypeError`` if a line amount is not a ``Decimal``, ``ValueError`` if it is NaN or infinite
    or ``credits_cents`` is negative, ``OutOfBounds`` (a ``ValueError``) if a line or the subtotal
    reaches ``MAX_CENTS`` (10**18 cents).
    """
    if credits_cents < 0:
        raise ValueError(f"credits_cents must not be negative, got {credits_cents}")
    subtotal = check_cents(sum(check_cents(to_cents(line.amount), what="a line amount") for line in lines),
                           what="the invoice total")
    applied = min(credits_cents, max(subtotal, 0))
    return InvoiceTotals(subtotal_cents=subtotal, credits_applied_cents=applied, total_cents=subtotal - applied)

"""Invoice and line-item shapes (reference §3.3)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import Field

from monk.billing.assembly import LINE_NAMESPACE
from monk.billing.money import format_decimal, to_cents
from monk.kit.clock import iso_ms
from monk.kit.schemas import Day, DecimalText, Instant, ResponseModel
from monk.kit.time import midnight
from monk.models import Invoice as InvoiceRow
from monk.models import InvoiceLine
from monk.models.statuses import InvoiceStatus

STATUSES = tuple(InvoiceStatus)
CREDIT_LINE = "Credits applied"


class ServicePeriod(ResponseModel):
    """The period a line bills, as its first and last instant (``…T00:00:00.000Z`` to ``…T23:59:59.999Z``)."""

    start: Instant
    end: Instant


class LineItem(ResponseModel):
    """An invoice line: cents as integers, ``unitPrice``/``totalAmount`` as decimal strings in dollars."""

    id: str
    name: str
    description: str | None
    quantity: int | float
    unit_price_cents: int
    total_amount_cents: int
    unit_price: DecimalText
    total_amount: DecimalText
    price_id: str | None
    is_metered: bool
    service_period: ServicePeriod | None
    dimensions: dict[str, str] | None


class Invoice(ResponseModel):
    """An invoice (reference §3.3); ``lineItems`` only when asked for (``include=lineItems``)."""

    id: str
    invoice_number: str | None
    customer_id: str
    contract_id: str
    status: str
    invoice_date: Day
    due_date: Day
    subtotal_cents: int = Field(description="Sum of the line items, in cents, before credits")
    credits_applied_cents: int = Field(description="Prepaid credits drawn down on this invoice, in cents "
                                                   "(0 until credits exist)")
    total_cents: int = Field(description="Amount due, in cents: subtotalCents - creditsAppliedCents")
    held_for_review: bool = Field(description="The wallet (depletionBehavior alert_only) ran dry on this "
                                              "invoice's usage: it waits for POST /v1/invoices/{id}/approve "
                                              "before it is finalized")
    memo: str | None
    payment_link: str | None
    processing_error: str | None = Field(
        None, description="Why finalization last failed (the worker retries it with backoff); null when it has not")
    created_at: Instant
    updated_at: Instant
    line_items: list[LineItem] | None = None


def service_period(start: date | None, end: date | None) -> dict[str, str] | None:
    """A half-open date range as the API's first and last instant (``…T23:59:59.999Z``)."""
    if start is None or end is None:
        return None
    return {"start": iso_ms(midnight(start)), "end": iso_ms(midnight(end) - timedelta(milliseconds=1))}


def _number(q: Decimal) -> int | float:
    return int(q) if q == q.to_integral_value() else float(q)


def line_out(line: InvoiceLine) -> dict[str, Any]:
    """The API shape of a line item."""
    return {
        "id": line.id,
        "name": line.name,
        "description": line.description,
        "quantity": _number(line.quantity),
        "unitPriceCents": to_cents(line.unit_price),
        "totalAmountCents": line.amount_cents,
        "unitPrice": format_decimal(line.unit_price),
        "totalAmount": format_decimal(line.amount),
        "priceId": line.pricing_id,
        "isMetered": line.is_metered,
        "servicePeriod": service_period(line.service_start, line.service_end),
        "dimensions": line.dimensions or None,
    }


def credit_line(inv: InvoiceRow) -> dict[str, Any]:
    """The invoice's credit line (concepts §11: credits appear as a deduction line): the credits
    applied, negative, over the usage period they paid for. Not stored: the line items of an invoice
    with credits sum to its ``totalCents``, its charge lines to ``subtotalCents``."""
    amount = -Decimal(inv.credits_applied_cents).scaleb(-2)
    return {
        "id": str(uuid.uuid5(LINE_NAMESPACE, f"{inv.id}:credits-applied")), "name": CREDIT_LINE,
        "description": "Prepaid credits drawn down on this invoice's usage", "quantity": 1,
        "unitPriceCents": -inv.credits_applied_cents, "totalAmountCents": -inv.credits_applied_cents,
        "unitPrice": format_decimal(amount), "totalAmount": format_decimal(amount), "priceId": None,
        "isMetered": False, "servicePeriod": service_period(inv.usage_start, inv.usage_end), "dimensions": None,
    }


def invoice_out(inv: InvoiceRow, lines: list[InvoiceLine] | None = None) -> dict[str, Any]:
    """The API shape of an invoice; ``lineItems`` only when ``lines`` is given, ending with the credit
    line (``credit_line``) when credits paid part of it."""
    out: dict[str, Any] = {
        "id": inv.id,
        "invoiceNumber": inv.invoice_number,
        "customerId": inv.customer_id,
        "contractId": inv.contract_id,
        "status": inv.status,
        "invoiceDate": inv.invoice_date.isoformat(),
        "dueDate": inv.due_date.isoformat(),
        "subtotalCents": inv.subtotal_cents,
        "creditsAppliedCents": inv.credits_applied_cents,
        "totalCents": inv.total_cents,
        "heldForReview": inv.held_at is not None and inv.approved_at is None,
        "memo": inv.memo,
        "paymentLink": inv.payment_link,
        "processingError": inv.processing_error,
        "createdAt": iso_ms(inv.created_at),
        "updatedAt": iso_ms(inv.updated_at),
    }
    if lines is not None:
        out["lineItems"] = [line_out(line) for line in lines]
        if inv.credits_applied_cents:
            out["lineItems"].append(credit_line(inv))
    return out

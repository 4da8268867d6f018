"""Invoice and line-item shapes (reference §3.3)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import Field

from monk.billing.money import format_decimal, to_cents
from monk.kit.clock import iso_ms
from monk.kit.schemas import Day, DecimalText, Instant, ResponseModel
from monk.kit.time import midnight
from monk.models import Invoice as InvoiceRow
from monk.models import InvoiceLine

STATUSES = ("Drafted", "In Progress", "Sent", "In Transit", "Paid", "Cancelled", "Refunded")


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


def invoice_out(inv: InvoiceRow, lines: list[InvoiceLine] | None = None) -> dict[str, Any]:
    """The API shape of an invoice; ``lineItems`` only when ``lines`` is given."""
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
        "memo": inv.memo,
        "paymentLink": None,
        "processingError": inv.processing_error,
        "createdAt": iso_ms(inv.created_at),
        "updatedAt": iso_ms(inv.updated_at),
    }
    if lines is not None:
        out["lineItems"] = [line_out(line) for line in lines]
    return out

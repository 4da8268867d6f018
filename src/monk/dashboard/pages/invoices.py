"""Invoices (``/invoices``): the list by status (overdue too), customer and contract, and an invoice's
page: line items with the ⟳ metered mark, service periods, the credit line, amount due, payment link and
attempts, and the actions the API has (mark paid, approve a held invoice, refund, the credit statement
PDF). Reads and writes go through the invoices, payments and credits services the API uses."""

from __future__ import annotations

import base64
from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from monk.credits import statement
from monk.customers import repository as customers
from monk.dashboard.web import AdminForm, SignedIn
from monk.invoices import lifecycle, repository
from monk.invoices.schemas import STATUSES, invoice_out
from monk.kit import deps
from monk.kit.errors import MonkError, NotFound, ValidationFailed
from monk.models.statuses import InvoiceStatus
from monk.payments import refunds
from monk.payments import repository as payments
from monk.payments.schemas import attempt_out

router = APIRouter(include_in_schema=False)
METERED = "Usage-based: Metered quantity that updates as new usage is recorded"
"""The ⟳ mark's tooltip on a metered line (issue 15, as the docs' invoice screen shows it)."""


@router.get("/invoices", response_class=HTMLResponse)
async def invoice_list(web: SignedIn, page: deps.LongPage, status: str = Query("", max_length=20),
                       customer: str = Query("", max_length=64), contract: str = Query("", max_length=64),
                       overdue: Literal["", "1"] = "") -> Response:
    """Invoices of the session's organization and mode, latest invoice date first, 50 a page; filters:
    ``status`` (one of the invoice statuses), ``overdue=1`` (``Sent`` and past its due date, UTC today),
    ``customer`` and ``contract`` ids. An unknown status is a 400 page."""
    if status and status not in STATUSES:
        raise ValidationFailed(f"status must be one of: {', '.join(STATUSES)}")
    rows, total = await repository.list_page(
        web.session, web.principal, page, customer_id=customer or None, contract_id=contract or None,
        status=InvoiceStatus.SENT if overdue else status or None, created_after=None, created_before=None,
        newest_first=True, due_before=web.now.date() if overdue else None)
    names = await customers.names(web.session, web.principal, {i.customer_id for i in rows})
    return web.render("invoices_list.html", invoices=[invoice_out(i) for i in rows], names=names, total=total,
                      page=page, current=status, overdue=bool(overdue), customer=customer, contract=contract,
                      statuses=STATUSES, today=web.now.date().isoformat())


async def _invoice_page(web: SignedIn, invoice_id: str, *, status: int = 200, error: str = "") -> Response:
    inv = await repository.get(web.session, web.principal, invoice_id)
    if inv is None:
        raise NotFound(f"Invoice '{invoice_id}' not found")
    lines = (await repository.lines_of(web.session, [inv.id]))[inv.id]
    names = await customers.names(web.session, web.principal, {inv.customer_id})
    attempts = [attempt_out(a) for a in await payments.attempts_of(web.session, inv.id)]
    return web.render("invoices_detail.html", status, invoice=invoice_out(inv, lines), customer_name=names.get(
        inv.customer_id, inv.customer_id), attempts=attempts, metered=METERED, error=error,
        overdue=inv.status == InvoiceStatus.SENT and inv.due_date < web.now.date())


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
async def invoice_page(web: SignedIn, invoice_id: str) -> Response:
    """One invoice: status, dates, line items (metered ones marked ⟳ with the tooltip ``METERED``, each
    with its service period), the credit line, subtotal, credits applied and amount due (cents shown as
    dollars), payment link, payment attempts; 404 when unknown in this organization and mode."""
    return await _invoice_page(web, invoice_id)


async def _act(web: AdminForm, invoice_id: str, action: str) -> Response:
    try:
        if action == "mark-paid":
            await lifecycle.mark_paid(web.session, web.principal, invoice_id, now=web.now)
        elif action == "approve":
            await lifecycle.approve(web.session, web.principal, invoice_id, now=web.now)
        else:
            await refunds.refund(web.session, web.principal, invoice_id, server_key=web.settings().secret_key,
                                 now=web.now)
    except MonkError as exc:
        if exc.status_code == 404:
            raise
        await web.discard()
        return await _invoice_page(web, invoice_id, status=exc.status_code, error=exc.message)
    return web.redirect(f"/invoices/{invoice_id}")


@router.post("/invoices/{invoice_id}/mark-paid", response_class=HTMLResponse)
async def mark_paid(web: AdminForm, invoice_id: str) -> Response:
    """Record a ``Sent`` invoice as paid outside Monk (as ``POST /v1/invoices/{id}/mark-paid``) → 303 to
    the invoice; not ``Sent`` → 409 with the message on the invoice's page."""
    return await _act(web, invoice_id, "mark-paid")


@router.post("/invoices/{invoice_id}/approve", response_class=HTMLResponse)
async def approve(web: AdminForm, invoice_id: str) -> Response:
    """Approve an invoice held for review (as ``POST /v1/invoices/{id}/approve``) → 303; not held → 409."""
    return await _act(web, invoice_id, "approve")


@router.post("/invoices/{invoice_id}/refund", response_class=HTMLResponse)
async def refund(web: AdminForm, invoice_id: str) -> Response:
    """Refund a ``Paid`` invoice in full through Stripe (as ``POST /v1/invoices/{id}/refund``) → 303;
    409 not refundable, 503 Stripe unreachable: the message on the invoice's page, nothing changed."""
    return await _act(web, invoice_id, "refund")


@router.get("/invoices/{invoice_id}/credit-statement.pdf")
async def credit_statement(web: SignedIn, invoice_id: str) -> Response:
    """The invoice's credit usage statement as a PDF download (reference §12.3); 404 unknown."""
    report = await statement.report(web.session, web.principal, invoice_id, "pdf")
    return Response(base64.b64decode(report["pdfBase64"]), media_type="application/pdf",
                    headers={"content-disposition": f'attachment; filename="{report["filename"]}"'})

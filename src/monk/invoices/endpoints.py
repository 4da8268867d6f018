"""HTTP endpoints for invoices (reference §12.1–12.2) and the upcoming invoice (§5.5)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from monk.customers import service as customers
from monk.invoices import lifecycle, repository
from monk.invoices.schemas import STATUSES, Invoice, invoice_out
from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.bounds import query_day
from monk.kit.errors import NotFound, ValidationFailed
from monk.kit.openapi import typed
from monk.kit.schemas import Data, Listing, envelope
from monk.kit.schemas import page as listing
from monk.kit.time import midnight

router = APIRouter(tags=["invoices"])
InvoicesRead = Annotated[Principal, Depends(require("invoices:read"))]
InvoicesWrite = Annotated[Principal, Depends(require("invoices:write"))]


def _wants_lines(include: str | None) -> bool:
    parts = {p.strip() for p in (include or "").split(",") if p.strip()}
    if parts - {"lineItems"}:
        raise ValidationFailed("include supports only 'lineItems'")
    return "lineItems" in parts


@router.get("/v1/invoices", **typed(Listing[Invoice]))
async def list_invoices(
    session: deps.Session,
    page: deps.Page,
    principal: InvoicesRead,
    customer_id: str | None = Query(None, alias="customerId"),
    contract_id: str | None = Query(None, alias="contractId"),
    status: str | None = Query(None, description=" | ".join(STATUSES)),
    created_after: str | None = Query(None, alias="createdAfter"),
    created_before: str | None = Query(None, alias="createdBefore"),
    include: str | None = Query(None, description="lineItems"),
) -> dict[str, Any]:
    """List invoices by invoice date → ``{"data": [...], "hasMore", "total"}``; 400 for a bad filter."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status must be one of: {', '.join(STATUSES)}")
    wants = _wants_lines(include)
    after, before = query_day("createdAfter", created_after), query_day("createdBefore", created_before)
    rows, total = await repository.list_page(
        session, principal, page, customer_id=customer_id, contract_id=contract_id, status=status,
        created_after=midnight(after) if after else None, created_before=midnight(before) if before else None,
    )
    lines = await repository.lines_of(session, [i.id for i in rows]) if wants else {}
    return listing([invoice_out(i, lines.get(i.id) if wants else None) for i in rows], total=total, offset=page.offset)


@router.get("/v1/invoices/{invoice_id}", **typed(Data[Invoice], 404))
async def get_invoice(
    session: deps.Session,
    invoice_id: str,
    principal: InvoicesRead,
    include: str | None = Query(None, description="lineItems"),
) -> dict[str, Any]:
    """One invoice → ``{"data": Invoice}`` (with ``lineItems`` when ``include=lineItems``); 404 unknown."""
    wants = _wants_lines(include)
    inv = await repository.get(session, principal, invoice_id)
    if inv is None:
        raise NotFound(f"Invoice '{invoice_id}' not found")
    lines = (await repository.lines_of(session, [inv.id]))[inv.id] if wants else None
    return envelope(invoice_out(inv, lines))


@router.post("/v1/invoices/{invoice_id}/mark-paid", **typed(Data[Invoice], 404, 409))
async def mark_paid(
    session: deps.Session,
    invoice_id: str,
    principal: InvoicesWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Record that a finalized (``Sent``) invoice was paid outside Monk → ``{"data": Invoice}`` with
    status ``Paid``; 404 unknown; 409 when the invoice is not ``Sent`` (drafts cannot be paid)."""
    inv = await lifecycle.mark_paid(session, principal, invoice_id, now=clock.now())
    return envelope(invoice_out(inv))


@router.post("/v1/invoices/{invoice_id}/approve", **typed(Data[Invoice], 404, 409))
async def approve(session: deps.Session, invoice_id: str, principal: InvoicesWrite,
                  clock: deps.Clock) -> dict[str, Any]:
    """Approve an invoice held for review (an extension: a wallet with ``depletionBehavior``
    ``alert_only`` ran dry on its usage) → ``{"data": Invoice}`` with ``heldForReview`` false; the
    worker finalizes it on its next pass. 404 unknown; 409 when it is not held for review."""
    return envelope(invoice_out(await lifecycle.approve(session, principal, invoice_id, now=clock.now())))


@router.get("/v1/customers/{customer_id}/upcoming-invoice", **typed(Data[Invoice | None], 404))
async def upcoming_invoice(
    session: deps.Session,
    customer_id: str,
    principal: InvoicesRead,
    clock: deps.Clock,
) -> dict[str, Any]:
    """The next invoice to be issued, with live usage lines → ``{"data": Invoice}`` or ``{"data": null}``
    when the customer has no active contract; 404 unknown customer (reference §5.5)."""
    await customers.get(session, principal, customer_id)
    inv = await repository.upcoming(session, principal, customer_id, clock.today())
    if inv is None:
        return envelope(None)
    lines = (await repository.lines_of(session, [inv.id]))[inv.id]
    return envelope(invoice_out(inv, lines))

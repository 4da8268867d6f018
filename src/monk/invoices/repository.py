"""All invoice and usage-record queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, case, delete, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from monk.invoices.transitions import Mover, sources
from monk.jobs import repository as failures
from monk.kit.auth import Principal
from monk.kit.db import claiming, column_in, insert_for
from monk.kit.pagination import Page
from monk.models import Contract, ContractPhase, Invoice, InvoiceLine, PlanPricing, Pricing, Sequence
from monk.models.statuses import OPEN_INVOICE_STATUSES, InvoiceKind, InvoiceStatus, JobKind

OPEN_STATUSES = OPEN_INVOICE_STATUSES
FINALIZE_JOB = JobKind.FINALIZE  # finalization's name in failure records (job_failures.kind)

LINES = cast(Table, InvoiceLine.__table__)
SEQUENCES = cast(Table, Sequence.__table__)


async def reload(session: AsyncSession, invoice: Invoice) -> None:
    """Read ``invoice``'s columns again from the database (after a bulk status change)."""
    await session.refresh(invoice)


async def get(session: AsyncSession, principal: Principal, invoice_id: str) -> Invoice | None:
    """The caller's invoice ``invoice_id`` or None."""
    return (await session.execute(select(Invoice).where(
        Invoice.id == invoice_id, Invoice.org_id == principal.org_id, Invoice.mode == principal.mode,
    ))).scalar_one_or_none()


async def of_contract(session: AsyncSession, contract_id: str) -> list[Invoice]:
    """All invoices of a contract in slot order."""
    return list((await session.execute(
        select(Invoice).where(Invoice.contract_id == contract_id).order_by(Invoice.slot)
    )).scalars().all())


async def lines_of(session: AsyncSession, invoice_ids: list[str]) -> dict[str, list[InvoiceLine]]:
    """Line items per invoice id, in position order."""
    out: dict[str, list[InvoiceLine]] = {i: [] for i in invoice_ids}
    if not invoice_ids:
        return out
    rows = (await session.execute(
        select(InvoiceLine).where(InvoiceLine.invoice_id.in_(invoice_ids)).order_by(InvoiceLine.position)
    )).scalars().all()
    for line in rows:
        out[line.invoice_id].append(line)
    return out


async def replace_lines(session: AsyncSession, invoice_id: str, rows: list[dict[str, Any]]) -> None:
    """Delete an invoice's lines and insert ``rows`` instead."""
    await session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id))
    if rows:
        await session.execute(LINES.insert(), rows)


async def list_page(
    session: AsyncSession, principal: Principal, page: Page, *, customer_id: str | None, contract_id: str | None,
    status: str | None, created_after: Any, created_before: Any, newest_first: bool = False,
    due_before: date | None = None,
) -> tuple[list[Invoice], int]:
    """One page of invoices ordered by invoice date (``newest_first``: latest date first), and the total
    matching the filters (``due_before``: due date before that day, i.e. overdue when unpaid)."""
    cond: list[Any] = [Invoice.org_id == principal.org_id, Invoice.mode == principal.mode]
    if customer_id is not None:
        cond.append(Invoice.customer_id == customer_id)
    if contract_id is not None:
        cond.append(Invoice.contract_id == contract_id)
    if status is not None:
        cond.append(Invoice.status == status)
    if created_after is not None:
        cond.append(Invoice.created_at >= created_after)
    if created_before is not None:
        cond.append(Invoice.created_at < created_before)
    if due_before is not None:
        cond.append(Invoice.due_date < due_before)
    total = (await session.execute(select(func.count()).select_from(Invoice).where(*cond))).scalar_one()
    order = ((Invoice.invoice_date.desc(), Invoice.contract_id.desc(), Invoice.slot.desc()) if newest_first
             else (Invoice.invoice_date, Invoice.contract_id, Invoice.slot))
    rows = (await session.execute(select(Invoice).where(*cond).order_by(*order)
                                  .limit(page.limit).offset(page.offset))).scalars().all()
    return list(rows), total


async def upcoming(session: AsyncSession, principal: Principal, customer_id: str, today: date) -> Invoice | None:
    """The next invoice to be issued for the customer's active contracts: the earliest open one dated after today."""
    return (await session.execute(
        select(Invoice).join(Contract, Contract.id == Invoice.contract_id).where(
            Invoice.org_id == principal.org_id, Invoice.mode == principal.mode, Invoice.customer_id == customer_id,
            Contract.is_active.is_(True), Invoice.status.in_(OPEN_STATUSES), Invoice.invoice_date > today,
        ).order_by(Invoice.invoice_date, Invoice.slot).limit(1)
    )).scalar_one_or_none()


async def month_figures(session: AsyncSession, principal: Principal, *, start: date, end: date,
                        today: date) -> dict[str, int]:
    """The overview's invoice figures in cents and counts (one query): ``billed_cents`` (finalized
    invoices dated in ``[start, end)``: Sent, In Transit, Paid), ``upcoming_cents`` (open invoices dated
    in ``[start, end)``), ``due_count``/``due_cents`` (Sent, due today or later) and
    ``overdue_count``/``overdue_cents`` (Sent, due before ``today``)."""
    in_month = (Invoice.invoice_date >= start) & (Invoice.invoice_date < end)
    sent = Invoice.status == InvoiceStatus.SENT
    billed = in_month & Invoice.status.in_((InvoiceStatus.SENT, InvoiceStatus.IN_TRANSIT, InvoiceStatus.PAID))
    figures = {
        "billed_cents": func.sum(case((billed, Invoice.total_cents), else_=0)),
        "upcoming_cents": func.sum(case((in_month & Invoice.status.in_(OPEN_INVOICE_STATUSES), Invoice.total_cents),
                                        else_=0)),
        "due_count": func.sum(case((sent & (Invoice.due_date >= today), 1), else_=0)),
        "due_cents": func.sum(case((sent & (Invoice.due_date >= today), Invoice.total_cents), else_=0)),
        "overdue_count": func.sum(case((sent & (Invoice.due_date < today), 1), else_=0)),
        "overdue_cents": func.sum(case((sent & (Invoice.due_date < today), Invoice.total_cents), else_=0)),
    }
    row = (await session.execute(select(*(v.label(k) for k, v in figures.items())).where(
        Invoice.org_id == principal.org_id, Invoice.mode == principal.mode,
        or_(in_month, sent)))).one()
    return {k: int(getattr(row, k) or 0) for k in figures}

async def earliest_open(session: AsyncSession, contract_id: str) -> Invoice | None:
    """The contract's earliest open invoice (by date, calendar slot, then creation): where
    adjustments of finalized periods are billed."""
    return (await session.execute(
        select(Invoice).where(Invoice.contract_id == contract_id, Invoice.status.in_(OPEN_STATUSES))
        .order_by(Invoice.invoice_date, Invoice.slot.is_(None), Invoice.slot, Invoice.created_at).limit(1)
    )).scalar_one_or_none()


async def carrying(session: AsyncSession, contract_id: str, period_start: date, *, usage: bool) -> Invoice | None:
    """The (non-cancelled) invoice billing the usage (or, with ``usage=False``, the fees) of the
    contract's period starting at ``period_start``."""
    col = Invoice.usage_start if usage else Invoice.fee_start
    return (await session.execute(select(Invoice).where(
        Invoice.contract_id == contract_id, col == period_start, Invoice.status != InvoiceStatus.CANCELLED,
        Invoice.kind == InvoiceKind.REGULAR,
    ))).scalar_one_or_none()


async def reopened(session: AsyncSession, contract_id: str) -> list[Invoice]:
    """Finalized invoices of the contract whose periods changed after they were finalized."""
    return list((await session.execute(select(Invoice).where(
        Invoice.contract_id == contract_id, Invoice.reopened.is_(True),
        Invoice.status.not_in((*OPEN_STATUSES, InvoiceStatus.CANCELLED)),
    ).order_by(Invoice.invoice_date))).scalars().all())


async def billed_lines(
    session: AsyncSession, contract_id: str, period_start: date, prefix: tuple[str, ...]
) -> list[InvoiceLine]:
    """Lines of the contract's finalized invoices billing the period starting ``period_start`` whose
    identity starts with one of ``prefix`` (``fee:``/``one_time:`` or ``usage:``)."""
    rows = (await session.execute(
        select(InvoiceLine).join(Invoice, Invoice.id == InvoiceLine.invoice_id).where(
            Invoice.contract_id == contract_id, Invoice.status.not_in((*OPEN_STATUSES, InvoiceStatus.CANCELLED)),
            InvoiceLine.service_start == period_start)
    )).scalars().all()
    return [r for r in rows if r.identity.startswith(prefix)]


async def due_for_finalization(session: AsyncSession, on_or_before: date, limit: int, *,
                               claim: bool = True, ids: list[str] | None = None,
                               now: datetime | None = None) -> list[Invoice]:
    """Open invoices dated on or before ``on_or_before`` and not held for review (or approved since),
    oldest first; with ``claim`` locked for
    this transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and read afresh. ``ids`` narrows
    them to those invoices. With ``now``, an invoice whose finalization failed and waits for its
    retry is left out, and so are its contract's later invoices (they wait behind it)."""
    query = select(Invoice).where(Invoice.status.in_(OPEN_STATUSES), Invoice.invoice_date <= on_or_before,
                                  or_(Invoice.held_at.is_(None), Invoice.approved_at.is_not(None)))
    if ids is not None:
        query = query.where(column_in(session, Invoice.id, ids))
    if now is not None:
        query = query.where(~failures.held_back(FINALIZE_JOB, Invoice.contract_id, now))
    query = query.order_by(Invoice.invoice_date, Invoice.slot).limit(limit)
    if claim:
        query = claiming(query)
    return list((await session.execute(query)).scalars().all())


async def start_usage_periods(session: AsyncSession, today: date, now: datetime) -> list[str]:
    """``Drafted`` → ``In Progress`` (by the finalizer) for regular invoices whose usage period has
    begun; returns the ids of those that moved. The invoices are claimed first, skipping any that
    another transaction holds (a rebuild under its contract's lock): this bulk move never waits on a
    row, so it can never deadlock with rebuilds; what it skipped moves on the next pass."""
    ids = list((await session.execute(claiming(select(Invoice.id).where(
        Invoice.status.in_(sources(InvoiceStatus.IN_PROGRESS, Mover.FINALIZER)),
        Invoice.usage_start.is_not(None), Invoice.usage_start <= today,
    ).order_by(Invoice.id)))).scalars().all())
    if not ids:
        return []
    result = await session.execute(update(Invoice).where(column_in(session, Invoice.id, ids))
                                   .values(status=InvoiceStatus.IN_PROGRESS, updated_at=now).returning(Invoice.id))
    return list(result.scalars().all())


async def next_number(session: AsyncSession, org_id: str, mode: str) -> int:
    """The next invoice number of an organization and mode (1, 2, …), taken under the counter row's
    write lock in this transaction."""
    stmt = insert_for(session, SEQUENCES).values(org_id=org_id, mode=mode, name="invoice", value=1)
    stmt = stmt.on_conflict_do_update(index_elements=["org_id", "mode", "name"],
                                      set_={"value": SEQUENCES.c.value + 1})
    return int((await session.execute(stmt.returning(SEQUENCES.c.value))).scalar_one())


async def mark_finalized(session: AsyncSession, invoice_id: str, number: str, now: datetime) -> bool:
    """Finalize an open invoice as ``Sent`` with ``number``: a compare-and-set on its status, so two
    workers can never both finalize it; the unique index on numbers backs it up. Returns whether
    this call finalized it."""
    result = await session.execute(update(Invoice).where(
        Invoice.id == invoice_id, Invoice.status.in_(sources(InvoiceStatus.SENT, Mover.FINALIZER)),
    ).values(status=InvoiceStatus.SENT, invoice_number=number, finalized_at=now, updated_at=now, reopened=False,
             processing_error=None))
    return int(cast("CursorResult[Any]", result).rowcount) == 1


async def clear_reopened(session: AsyncSession, contract_id: str) -> None:
    """Forget the reopened flags of a contract's invoices (their differences were just billed)."""
    await session.execute(update(Invoice).where(Invoice.contract_id == contract_id, Invoice.reopened.is_(True))
                          .values(reopened=False))


async def move(session: AsyncSession, invoice_ids: list[str], target: InvoiceStatus, mover: Mover,
               now: datetime) -> list[str]:
    """Move invoices to ``target`` on behalf of ``mover``: a compare-and-set on the statuses the
    transition table allows ``mover`` to move from (``transitions.sources``); an invoice in any other
    status is left as it is. Returns the ids of those that moved."""
    if not invoice_ids:
        return []
    allowed = sources(target, mover)
    result = await session.execute(update(Invoice).where(Invoice.id.in_(invoice_ids), Invoice.status.in_(allowed))
                                   .values(status=target, updated_at=now).returning(Invoice.id))
    return list(result.scalars().all())


async def by_ids(session: AsyncSession, invoice_ids: list[str]) -> list[Invoice]:
    """The invoices ``invoice_ids`` (any organization: for jobs), read afresh."""
    if not invoice_ids:
        return []
    return list((await session.execute(select(Invoice).where(column_in(session, Invoice.id, invoice_ids))
                                        .execution_options(populate_existing=True))).scalars().all())


async def notices_due(session: AsyncSession, *, now: datetime, quiet_since: datetime, limit: int,
                      ids: list[str] | None = None, claim: bool = True) -> list[Invoice]:
    """Invoices with a usage-driven ``invoice.updated`` waiting (``webhook_due_at`` ≤ now) whose last
    one was written at or before ``quiet_since`` (the coalescing window), oldest first; only
    ``ids`` when given; claimed for this transaction unless ``claim`` is false."""
    query = select(Invoice).where(
        Invoice.webhook_due_at <= now,
        (Invoice.webhook_sent_at.is_(None)) | (Invoice.webhook_sent_at <= quiet_since),
    )
    if ids is not None:
        query = query.where(column_in(session, Invoice.id, ids))
    query = query.order_by(Invoice.webhook_due_at).limit(limit)
    return list((await session.execute(claiming(query) if claim else query)).scalars().all())


async def postpone_notice(session: AsyncSession, invoice_id: str, until: datetime) -> Invoice | None:
    """Hold the invoice's waiting ``invoice.updated`` until ``until`` (it could not be written)."""
    return (await session.execute(update(Invoice).where(Invoice.id == invoice_id, Invoice.webhook_due_at.is_not(None))
                                  .values(webhook_due_at=until).returning(Invoice))).scalar_one_or_none()


async def set_processing_error(session: AsyncSession, invoice_id: str, error: str | None) -> Invoice | None:
    """Record why the invoice's finalization failed (``None`` clears it); returns the invoice, or
    ``None`` when it does not exist."""
    return (await session.execute(update(Invoice).where(Invoice.id == invoice_id).values(processing_error=error)
                                  .returning(Invoice))).scalar_one_or_none()


async def open_usage_invoices_on_meter(session: AsyncSession, principal: Principal, meter_id: str, *,
                                       fresh: bool = False) -> list[Invoice]:
    """Open (Drafted / In Progress) invoices that bill usage, of contracts with a phase whose plan prices
    ``meter_id``; ordered by contract and date. ``fresh`` re-reads invoices already loaded."""
    on_meter = (
        select(ContractPhase.contract_id)
        .join(PlanPricing, PlanPricing.plan_id == ContractPhase.plan_id)
        .join(Pricing, Pricing.id == PlanPricing.pricing_id)
        .where(Pricing.meter_id == meter_id, Pricing.org_id == principal.org_id, Pricing.mode == principal.mode)
    )
    return list((await session.execute(select(Invoice).where(
        Invoice.org_id == principal.org_id, Invoice.mode == principal.mode, Invoice.contract_id.in_(on_meter),
        Invoice.status.in_(OPEN_STATUSES), Invoice.usage_start.is_not(None),
    ).order_by(Invoice.contract_id, Invoice.invoice_date, Invoice.id)
        .execution_options(populate_existing=fresh))).scalars().all())

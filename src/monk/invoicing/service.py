"""Billing a contract: its billing context, its calendar of drafts, recomputing drafts from usage,
adjustments of finalized periods, re-rating and finalization. Never commits (the request or the
worker job does)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import astuple
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.aggregation import aggregate
from monk.billing.assembly import Billed, Expected, Reopened, invoice_lines, line_id, period_of
from monk.billing.calendar import InvoiceSlot, due_date, invoice_slots
from monk.billing.context import PriceTerms
from monk.billing.money import to_cents
from monk.billing.periods import Period, anchored_date
from monk.billing.totals import InvoiceTotals, invoice_totals
from monk.budgets import enforcement as budgets
from monk.budgets import repository as budget_store
from monk.credits import drawdown, grants
from monk.credits import repository as credit_store
from monk.credits.wallet import alert_only
from monk.credits.wallet import terms as wallet_terms
from monk.invoices import notices, repository
from monk.invoices.transitions import Mover
from monk.invoicing import repository as store
from monk.invoicing import rollups
from monk.invoicing.context import ContractBilling, build
from monk.jobs import repository as failures
from monk.kit.auth import Principal
from monk.kit.ids import new_id
from monk.kit.jobs import error_text
from monk.kit.time import midnight
from monk.models import Contract, ContractPhase, Invoice, JobFailure, Meter
from monk.models.statuses import InvoiceKind, InvoiceStatus
from monk.plans import repository as plans

OPEN = repository.OPEN_STATUSES


class FinalizationRace(Exception):
    """Another worker finalized the invoice first; the transaction must roll back."""


async def load_billing(session: AsyncSession, contract: Contract) -> ContractBilling:
    """Everything billing ``contract`` needs: phases with their plans' pricing, meters, rate cards."""
    return (await load_billings(session, [contract]))[0]


async def load_billings(session: AsyncSession, contracts_: list[Contract]) -> list[ContractBilling]:
    """``load_billing`` of several contracts, in their order, with five queries in all (phases,
    their plans' pricing, meters, rate cards, credit budgets) however many contracts there are."""
    if not contracts_:
        return []
    phase_rows = await store.phases_of(session, [c.id for c in contracts_])
    pricing_by_plan = await plans.pricing_of_plans(session, {r.plan_id for r in phase_rows})
    all_meters = await store.meters_by_id(session, {p.meter_id for ps in pricing_by_plan.values()
                                                        for p in ps if p.meter_id})
    all_cards = await store.rate_cards_of(session, set(all_meters))
    phases: dict[str, list[ContractPhase]] = defaultdict(list)
    for r in phase_rows:
        phases[r.contract_id].append(r)
    terms: dict[str, PriceTerms] = {}
    budgets = await budget_store.of_contracts(session, [c.id for c in contracts_])
    return [build(c, phases.get(c.id, []), pricing_by_plan, all_meters, all_cards, terms, budgets.get(c.id))
            for c in contracts_]


def quantities(meters: dict[str, Meter], values: list[tuple[str, str, str | None]]) -> dict[str, dict[str, Decimal]]:
    """Aggregate raw usage values ``(meter_id, dimension_key, value)`` per meter (and per dimension key
    when the meter has group keys), each meter its own way."""
    grouped: dict[str, dict[str, list[str | None]]] = defaultdict(lambda: defaultdict(list))
    for meter_id, dim_key, value in values:
        meter = meters.get(meter_id)
        if meter is not None:
            grouped[meter_id][dim_key if meter.group_keys else ""].append(value)
    return {m: {d: aggregate(meters[m].aggregation_type, v) for d, v in dims.items()} for m, dims in grouped.items()}


def horizon(billing: ContractBilling, today: date, periods_ahead: int) -> date:
    """How far a rolling contract's drafts reach: ``periods_ahead`` periods after today (or the start)."""
    return anchored_date(max(today, billing.contract.start_date), periods_ahead * billing.months)


def _slots(billing: ContractBilling, now: datetime, periods_ahead: int) -> list[InvoiceSlot]:
    periods = billing.periods(horizon(billing, now.date(), periods_ahead))
    return invoice_slots(periods, fixed_term=billing.contract.end_date is not None) if periods else []


def _new_invoice(c: Contract, *, slot: InvoiceSlot | None, now: datetime, invoice_date: date) -> Invoice:
    return Invoice(
        id=new_id(), org_id=c.org_id, mode=c.mode, contract_id=c.id, customer_id=c.customer_id,
        slot=slot.index if slot else None, kind=InvoiceKind.REGULAR if slot else InvoiceKind.ADJUSTMENT,
        status=InvoiceStatus.DRAFTED,
        invoice_date=invoice_date, due_date=due_date(invoice_date, c.net_terms),
        fee_start=slot.fee_period.start if slot and slot.fee_period else None,
        fee_end=slot.fee_period.end if slot and slot.fee_period else None,
        usage_start=slot.usage_period.start if slot and slot.usage_period else None,
        usage_end=slot.usage_period.end if slot and slot.usage_period else None,
        total_cents=0, subtotal_cents=0, credits_applied_cents=0, created_at=now, updated_at=now, reopened=False,
    )


async def sync_calendar(session: AsyncSession, billing: ContractBilling, *, now: datetime, periods_ahead: int) -> int:
    """Create the contract's missing invoices (one per billing period, plus the closing one of a fixed
    term), each assembled from the plan and the usage already measured. Idempotent; returns how many
    were created."""
    have = {inv.slot for inv in await repository.of_contract(session, billing.contract.id)}
    created = 0
    for slot in _slots(billing, now, periods_ahead):
        if slot.index in have:
            continue
        inv = _new_invoice(billing.contract, slot=slot, now=now, invoice_date=slot.invoice_date)
        session.add(inv)
        await session.flush()
        await rebuild(session, billing, inv, now=now)
        await notices.created(session, inv, now=now)
        created += 1
    return created


async def reshape_calendar(session: AsyncSession, billing: ContractBilling, *, now: datetime) -> int:
    """After the contract's end moved earlier (cancellation): fit the open invoices to the new
    calendar (the period's closing invoice keeps only usage), cancel open invoices past the end, and
    return how many were cancelled."""
    slots = {s.index: s for s in _slots(billing, now, 0)}
    cancelled: list[str] = []
    for inv in await repository.of_contract(session, billing.contract.id):
        if inv.status not in OPEN or inv.kind != InvoiceKind.REGULAR:
            continue
        slot = slots.get(inv.slot if inv.slot is not None else -1)
        if slot is None:
            cancelled.append(inv.id)
            continue
        inv.invoice_date, inv.due_date = slot.invoice_date, due_date(slot.invoice_date, billing.contract.net_terms)
        inv.fee_start = slot.fee_period.start if slot.fee_period else None
        inv.fee_end = slot.fee_period.end if slot.fee_period else None
        inv.usage_start = slot.usage_period.start if slot.usage_period else None
        inv.usage_end = slot.usage_period.end if slot.usage_period else None
        inv.updated_at = now
    moved = await repository.move(session, cancelled, InvoiceStatus.CANCELLED, Mover.CALENDAR, now)
    gone = await repository.by_ids(session, moved)
    await drawdown.release(session, billing.contract, gone, wallet_terms(billing.contract.credit_settings), now=now)
    for inv in gone:  # what they drew went back to the wallet: they show no credits
        if inv.credits_applied_cents:
            inv.credits_applied_cents, inv.total_cents = 0, inv.subtotal_cents
    await session.flush()  # before the invoices are read afresh for their notices
    if moved and any(b.invoice_id in moved for b in await credit_store.blocks(session, billing.contract.id)):
        await credit_store.rebill(session, moved, (await next_invoice(session, billing, now=now)).id)  # still billed
    await notices.moved(session, moved, now=now)
    await session.flush()
    for inv in await repository.of_contract(session, billing.contract.id):
        if inv.status in OPEN:
            await rebuild(session, billing, inv, now=now)
    return len(cancelled)


async def _quantities(session: AsyncSession, billing: ContractBilling, period: Period) -> dict[str, Any]:
    return await rollups.quantities(session, billing.contract.id, period.start, billing.meters)


async def _reopened(session: AsyncSession, billing: ContractBilling, inv: Invoice) -> list[Reopened]:
    """The periods of the contract's reopened finalized invoices (other than ``inv``), each with
    what was billed for it and, for usage, its quantities now."""
    out: list[Reopened] = []
    for r in await repository.reopened(session, billing.contract.id):
        if r.id == inv.id:
            continue
        for period, usage in ((period_of(r.fee_start, r.fee_end), False),
                              (period_of(r.usage_start, r.usage_end), True)):
            if period is None:
                continue
            prefix = ("usage:",) if usage else ("fee:", "one_time:")
            billed: dict[str, Billed] = {}
            sums: dict[str, list[Any]] = defaultdict(list)
            for line in await repository.billed_lines(session, billing.contract.id, period.start, prefix):
                sums[line.identity].append(line)
            for identity, lines in sums.items():
                first = lines[0]
                billed[identity] = Billed(quantity=sum((x.quantity for x in lines), Decimal(0)),
                                          amount=sum((x.amount for x in lines), Decimal(0)), name=first.name,
                                          unit_price=first.unit_price, is_metered=first.is_metered,
                                          price_id=first.pricing_id)
            qty = await _quantities(session, billing, period) if usage else None
            out.append(Reopened(period=period, usage=usage, billed=billed, quantities=qty))
    return out


async def rebuild(session: AsyncSession, billing: ContractBilling, inv: Invoice, *, now: datetime) -> int:
    """Recompute every line of an open invoice: its period's fees, its period's usage and, when it is
    the contract's earliest open invoice, the adjustments of reopened finalized periods
    (``billing.assembly.invoice_lines``); set its totals (``billing.totals.invoice_totals``).
    Deterministic: the same inputs give the same lines (ids included) and totals. A finalized
    invoice is never touched (``ValueError``); a line or total beyond the cents bound (10**18 cents)
    raises ``OutOfBounds`` before anything is written, and the worker reports it. Returns the
    invoice's metered charges in cents (what credits may pay)."""
    if inv.status not in OPEN:
        raise ValueError(f"invoice {inv.id} is {inv.status}; only open invoices are recomputed")
    usage = period_of(inv.usage_start, inv.usage_end)
    qty = await _quantities(session, billing, usage) if usage is not None else {}
    earliest = await repository.earliest_open(session, billing.contract.id)
    reopened = await _reopened(session, billing, inv) if earliest is not None and earliest.id == inv.id else []
    expected = invoice_lines(billing.context, fee_period=period_of(inv.fee_start, inv.fee_end), usage_period=usage,
                             quantities=qty, reopened=reopened)
    wallet = wallet_terms(billing.contract.credit_settings)
    blocks = await credit_store.blocks(session, inv.contract_id)  # the wallet, read under the contract's lock
    if blocks:
        expected += grants.purchase_lines([b for b in blocks if b.invoice_id == inv.id], wallet)
    lines = [e.line for e in expected]
    invoice_totals(lines)  # OutOfBounds beyond 64-bit room: nothing written
    metered = sum((to_cents(line.amount) for line in lines if line.is_metered), 0)
    credits = await budgets.settle(session, billing.contract, billing.meters, inv, blocks, billing.budgets, expected,
                                   metered, period=_usage_window(inv), now=now) if blocks else 0
    totals = invoice_totals(lines, credits_cents=credits)
    await repository.replace_lines(session, inv.id, [_line_row(inv.id, pos, e) for pos, e in enumerate(expected)])
    if totals != InvoiceTotals(inv.subtotal_cents, inv.credits_applied_cents, inv.total_cents):
        inv.subtotal_cents, inv.credits_applied_cents, inv.total_cents = astuple(totals)
        inv.updated_at = now
        notices.totals_changed(inv, now=now)
    await session.flush()
    return metered


def _usage_window(inv: Invoice) -> tuple[datetime, datetime] | None:
    """The instants of the usage period ``inv`` bills (a credit block pays only inside its validity)."""
    if inv.usage_start is None or inv.usage_end is None:
        return None
    return midnight(inv.usage_start), midnight(inv.usage_end)


def _line_row(invoice_id: str, pos: int, e: Expected) -> dict[str, Any]:
    """The stored row of line ``e`` at position ``pos`` of an invoice."""
    ln, sp = e.line, e.line.service_period
    return {
        "id": line_id(invoice_id, e), "invoice_id": invoice_id, "kind": e.kind,
        "identity": e.identity, "pricing_id": ln.price_id, "meter_id": e.meter_id, "position": pos,
        "name": ln.name, "description": ln.description, "quantity": ln.quantity, "unit_price": ln.unit_price,
        "amount": ln.amount, "amount_cents": to_cents(ln.amount), "is_metered": ln.is_metered,
        "service_start": sp.start if sp else None, "service_end": sp.end if sp else None,
        "dimensions": dict(ln.dimensions) or None,
    }


async def touch_usage(session: AsyncSession, billing: ContractBilling, period_start: date, *, now: datetime) -> None:
    """Usage of the contract's period starting ``period_start`` changed: rebuild the open invoice that
    bills it, or, when that invoice is finalized, bill the difference on the earliest open invoice
    (a new adjustment invoice when the contract has none left)."""
    inv = await repository.carrying(session, billing.contract.id, period_start, usage=True)
    if inv is None:
        return
    if inv.status in OPEN:
        await rebuild(session, billing, inv, now=now)
        return
    inv.reopened = True
    await session.flush()
    await rebuild_earliest(session, billing, now=now)


async def rebuild_earliest(session: AsyncSession, billing: ContractBilling, *, now: datetime) -> None:
    """Rebuild the contract's earliest open invoice, creating an adjustment invoice dated today when
    every invoice is finalized (usage or changes after the contract ended)."""
    target = await repository.earliest_open(session, billing.contract.id)
    if target is not None:
        await rebuild(session, billing, target, now=now)
    else:
        await next_invoice(session, billing, now=now)


async def next_invoice(session: AsyncSession, billing: ContractBilling, *, now: datetime) -> Invoice:
    """The invoice that bills the contract's next charges: its earliest open invoice or, when every
    invoice is finalized, a new adjustment invoice dated today, built and announced (``invoice.created``)."""
    target = await repository.earliest_open(session, billing.contract.id)
    if target is not None:
        return target
    target = _new_invoice(billing.contract, slot=None, now=now, invoice_date=now.date())
    session.add(target)
    await session.flush()
    await rebuild(session, billing, target, now=now)
    await notices.created(session, target, now=now)
    return target


async def settle_credits(session: AsyncSession, *, now: datetime, contract_ids: list[str]) -> int:
    """Draw the open invoices of ``contract_ids`` that got credits since (``settle_pending`` blocks: a
    grant after depletion pays the overage already billed) by rebuilding them; returns how many."""
    await store.lock(session, contract_ids)
    for contract_id in contract_ids:
        contract = await store.contract(session, contract_id)
        if contract is not None:
            billing = await load_billing(session, contract)
            for inv in await repository.of_contract(session, contract_id):
                if inv.status in OPEN and inv.usage_start is not None:
                    await rebuild(session, billing, inv, now=now)
        await credit_store.settled(session, contract_id)
    return len(contract_ids)


async def rebuild_open(session: AsyncSession, billing: ContractBilling, *, now: datetime) -> None:
    """Rebuild every open invoice of a contract (after a plan change)."""
    for inv in await repository.of_contract(session, billing.contract.id):
        if inv.status in OPEN:
            await rebuild(session, billing, inv, now=now)
    await rebuild_earliest(session, billing, now=now)


FinalizedHook = Callable[[AsyncSession, list[str], datetime], Awaitable[None]]
"""What finalization runs, in its transaction, for the invoices it just finalized."""


async def finalize_due(session: AsyncSession, *, now: datetime, grace: timedelta, limit: int = 200,
                       on_finalized: FinalizedHook | None = None) -> int:
    """Start the usage periods that have begun, then ``finalize`` the due invoices (at most
    ``limit``) in this one transaction. Returns how many were finalized. The worker instead takes
    them in small batches (``due_invoice_ids``, ``finalize``) so that one invoice that cannot be
    finalized is set aside on its own."""
    await start_usage_periods(session, now=now)
    return await finalize(session, await due_invoice_ids(session, now=now, grace=grace, limit=limit),
                          now=now, grace=grace, on_finalized=on_finalized)


async def due_invoice_ids(session: AsyncSession, *, now: datetime, grace: timedelta, limit: int) -> list[str]:
    """Ids of the open invoices whose date plus ``grace`` has passed, oldest first, leaving out an
    invoice set aside until its retry (and its contract's later invoices, which wait behind it)."""
    return [inv.id for inv in await repository.due_for_finalization(session, (now - grace).date(), limit,
                                                                    claim=False, now=now)]


async def finalize(session: AsyncSession, invoice_ids: list[str], *, now: datetime, grace: timedelta,
                   on_finalized: FinalizedHook | None = None) -> int:
    """Finalize the listed invoices that are still open and due: rebuild them one last time,
    number them (``INV-00001``, sequential per organization and mode) and issue them as ``Sent``;
    ``on_finalized(session, ids, now)`` then runs in the same transaction before their
    ``invoice.updated`` is written (the worker's: payment links and invoice emails, ``payments.collection``).
    Oldest first, so adjustments land on the right invoice. Raises ``FinalizationRace`` when
    another worker got there first (the caller rolls back). Returns how many were finalized; the
    failure records of those invoices are forgotten."""
    # Contracts first, then their invoices: the order in which the worker's matching takes them
    # (``invoicing.repository.lock``, then the drafts it rebuilds), so late usage of a contract lands
    # wholly before or wholly after its invoice is finalized, and the two never deadlock.
    if not invoice_ids:
        return 0
    on_or_before = (now - grace).date()
    contract_ids = {inv.contract_id for inv in await repository.due_for_finalization(
        session, on_or_before, len(invoice_ids), claim=False, ids=invoice_ids)}
    await store.lock(session, contract_ids)
    due = [inv for inv in await repository.due_for_finalization(session, on_or_before, len(invoice_ids),
                                                                ids=invoice_ids)
           if inv.contract_id in contract_ids]
    billings: dict[str, ContractBilling] = {}
    done: list[str] = []
    for inv in due:
        contract = await store.contract(session, inv.contract_id)
        if contract is None:
            continue
        ended = contract.ended_at
        if ended is not None and inv.usage_end is not None and inv.invoice_date >= ended.date() and now < ended + grace:
            continue
        billing = billings.get(contract.id) or await load_billing(session, contract)
        billings[contract.id] = billing
        earliest = await repository.earliest_open(session, contract.id)
        metered = await rebuild(session, billing, inv, now=now)
        if await _held_for_review(session, contract, inv, metered, now=now):
            continue
        number = await repository.next_number(session, inv.org_id, inv.mode)
        if not await repository.mark_finalized(session, inv.id, f"INV-{number:05d}", now):
            raise FinalizationRace(inv.id)
        if earliest is not None and earliest.id == inv.id:
            await repository.clear_reopened(session, contract.id)
        done.append(inv.id)
    await failures.clear(session, repository.FINALIZE_JOB, done)
    if on_finalized is not None:
        await on_finalized(session, done, now)
    await notices.moved(session, done, now=now)
    return len(done)


async def _held_for_review(session: AsyncSession, contract: Contract, inv: Invoice, metered: int, *,
                           now: datetime) -> bool:
    """Whether finalization holds ``inv`` for review (concepts §12, "Alert Only"): the contract's
    ``depletionBehavior`` is ``alert_only``, the invoice is not approved, and its wallet is empty with
    usage left unpaid. A newly held invoice is marked (``held_at``) and announced (``invoice.updated``)."""
    if inv.approved_at is not None or not alert_only(contract.credit_settings):
        return False
    if inv.credits_applied_cents >= metered or not await drawdown.is_dry(session, contract.id, now=now):
        return False
    if inv.held_at is None:
        inv.held_at = inv.updated_at = now
        await session.flush()
        await notices.updated(session, [inv], now=now)
    return True


async def start_usage_periods(session: AsyncSession, *, now: datetime) -> int:
    """Move the drafts whose usage period has begun to ``In Progress`` (``invoice.updated`` for each);
    returns how many moved."""
    moved = await repository.start_usage_periods(session, now.date(), now)
    await notices.moved(session, moved, now=now)
    return len(moved)


async def set_aside(session: AsyncSession, invoice_id: str, error: BaseException, *,
                    now: datetime) -> JobFailure | None:
    """The invoice could not be finalized on its own: record the error on it (``processingError``
    in the API) and in its failure record, so finalization retries it after the backoff and its
    contract's later invoices wait behind it. ``None`` when the invoice no longer exists. The caller
    commits."""
    inv = await repository.set_processing_error(session, invoice_id, error_text(error))
    if inv is None:
        return None
    return await failures.record(session, kind=repository.FINALIZE_JOB, item_id=invoice_id, org_id=inv.org_id,
                                 group_id=inv.contract_id, error=error, now=now)


async def rerate_meter(session: AsyncSession, principal: Principal, meter_id: str, *, now: datetime) -> int:
    """Rebuild every open draft of the caller's that bills usage of a contract whose plan prices
    ``meter_id`` (finalized invoices never change). Returns how many invoices were rebuilt."""
    # Lock the contracts first (``invoicing.repository.lock``, as the worker does before it rebuilds
    # their drafts), then read their open invoices afresh: a draft finalized meanwhile is left alone.
    await store.lock(session, {inv.contract_id for inv in
                                   await repository.open_usage_invoices_on_meter(session, principal, meter_id)})
    invoices = await repository.open_usage_invoices_on_meter(session, principal, meter_id, fresh=True)
    billings: dict[str, ContractBilling] = {}
    for inv in invoices:
        if inv.contract_id not in billings:
            contract = await store.contract(session, inv.contract_id)
            if contract is None:
                continue
            billings[inv.contract_id] = await load_billing(session, contract)
        await rebuild(session, billings[inv.contract_id], inv, now=now)
    return len(invoices)

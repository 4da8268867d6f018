"""The credit usage statement of one invoice (reference §12.3): what the invoice drew from its
contract's wallet, block by block and entry by entry, as JSON or as a PDF.

One function gathers the data (``gather``); the JSON (``as_json``) and the PDF
(``credits.statement_pdf.render``) are both built from what it returns, so the two never disagree.

Rules, decided where the reference is silent:
- The invoice's entries are the ledger entries whose ``invoiceId`` is the invoice (``usage`` draws
  and ``reversal`` give-backs), oldest first. An expiry that a give-back to an expired block causes
  belongs to the wallet, not to the invoice, and is not on the statement.
- ``summary.totalCents`` is the net the invoice drew: the sum of −``amountCents`` over its ``usage``
  and ``reversal`` entries, to the cent (equal to the invoice's ``creditsAppliedCents``);
  ``totalCredits`` the same in credits for a ``credits`` wallet, null for a ``dollars`` wallet.
- ``blocks``: one per credit block the invoice has an entry on, in the order of their first entry
  (a block drawn and wholly given back stays, with 0 drawn). ``drawnCents`` is rounded to the cent
  per block, so in a credit wallet the blocks may differ from the total by a rounding cent.
- ``filename``: ``credit-report-<invoiceNumber>.pdf``; a draft has no number yet and gets
  ``credit-report-draft-<invoice id>.pdf`` (the whole id: the first characters of a time-ordered id
  are its timestamp, shared by every draft a contract pre-generates at once).
- An invoice without credit entries (no wallet, nothing metered, fixed fees only) has a statement
  with zero totals and empty tables, not an error.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.credits import repository, statement_pdf
from monk.credits.service import entry_out
from monk.credits.wallet import WalletTerms, shown_cents, terms
from monk.customers import repository as customers
from monk.invoices import repository as invoices
from monk.invoices.schemas import invoice_out
from monk.kit.auth import Principal
from monk.kit.clock import iso_ms
from monk.kit.errors import NotFound
from monk.models import CreditBlock, CreditEntry, Invoice
from monk.models.statuses import LedgerEntryType

FORMATS = ("pdf", "json")
DRAW_TYPES = (LedgerEntryType.USAGE, LedgerEntryType.REVERSAL)
INVOICE_FIELDS = ("id", "invoiceNumber", "status", "invoiceDate", "dueDate", "subtotalCents",
                  "creditsAppliedCents", "totalCents", "customerId", "contractId")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class StatementBlock:
    """One block the invoice has entries on: its grant's ``id`` (the entries' ``grantEntryId``),
    ``label`` (``B1``, ``B2``… in the statement's order), ``credit_rate_cents`` (cents per unit; 1 in
    a dollar wallet), and what the invoice drew from it net of give-backs: ``drawn_units`` in the
    wallet's unit, ``drawn_cents`` exact cents; ``entry_count`` the invoice's entries on it."""

    id: str
    label: str
    description: str | None
    is_promotional: bool
    expires_at: datetime | None
    credit_rate_cents: Decimal
    drawn_units: Decimal
    drawn_cents: Decimal
    entry_count: int


@dataclass(frozen=True)
class Statement:
    """Everything the statement shows: the invoice, its customer's and contract's names, the wallet's
    terms, the blocks drawn and the invoice's ledger entries (oldest first)."""

    invoice: Invoice
    customer_name: str
    contract_name: str | None
    wallet: WalletTerms
    blocks: list[StatementBlock]
    entries: list[CreditEntry]

    @property
    def total_units(self) -> Decimal:
        """Net units the invoice drew (the wallet's unit): −Σ ``amount`` of its usage and reversals."""
        return -sum((e.amount for e in self.entries if e.type in DRAW_TYPES), _ZERO)

    @property
    def total_cents(self) -> int:
        """Net cents the invoice drew, to the cent: −Σ ``amountCents`` of its usage and reversals."""
        return shown_cents(-sum((e.amount_cents for e in self.entries if e.type in DRAW_TYPES), _ZERO))

    @property
    def total_credits(self) -> Decimal | None:
        """``total_units`` in a credit wallet; None in a dollar wallet."""
        return self.total_units if self.wallet.tracks_credits else None


def _blocks(entries: list[CreditEntry], rows: dict[str, CreditBlock]) -> list[StatementBlock]:
    """The blocks of ``entries`` in the order of their first entry, with what the entries drew."""
    order: list[str] = []
    units: dict[str, Decimal] = {}
    cents: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    first: dict[str, CreditEntry] = {}
    for e in entries:
        if e.block_id not in first:
            order.append(e.block_id)
            first[e.block_id] = e
        counts[e.block_id] = counts.get(e.block_id, 0) + 1
        if e.type in DRAW_TYPES:
            units[e.block_id] = units.get(e.block_id, _ZERO) - e.amount
            cents[e.block_id] = cents.get(e.block_id, _ZERO) - e.amount_cents
    out = []
    for n, block_id in enumerate(order, start=1):
        row, entry = rows.get(block_id), first[block_id]
        out.append(StatementBlock(
            id=block_id, label=f"B{n}", description=row.description if row else entry.description,
            is_promotional=row.is_promotional if row else entry.is_promotional,
            expires_at=row.expires_at if row else entry.expires_at,
            credit_rate_cents=row.credit_rate_cents if row else entry.credit_rate_cents,
            drawn_units=units.get(block_id, _ZERO), drawn_cents=cents.get(block_id, _ZERO),
            entry_count=counts[block_id]))
    return out


async def gather(session: AsyncSession, principal: Principal, invoice_id: str) -> Statement:
    """The statement of the caller's invoice ``invoice_id``. Raises ``NotFound`` (404) for an unknown
    invoice or another organization's (or mode's)."""
    inv = await invoices.get(session, principal, invoice_id)
    if inv is None:
        raise NotFound(f"Invoice '{invoice_id}' not found")
    contract = await repository.contract_of(session, inv.contract_id)
    customer = await customers.by_id(session, inv.customer_id)
    entries = await repository.invoice_entries(session, inv.id)
    rows = {b.id: b for b in await repository.blocks_by_ids(session, sorted({e.block_id for e in entries}))}
    return Statement(invoice=inv, customer_name=customer.name if customer else "",
                     contract_name=contract.name if contract else None,
                     wallet=terms(contract.credit_settings if contract else None),
                     blocks=_blocks(entries, rows), entries=entries)


def filename(inv: Invoice) -> str:
    """The PDF's file name: ``credit-report-INV-00042.pdf``, or ``credit-report-draft-<id>.pdf``
    for a draft (no number yet)."""
    if inv.invoice_number:
        return f"credit-report-{inv.invoice_number}.pdf"
    return f"credit-report-draft-{inv.id}.pdf"


def summary(st: Statement) -> dict[str, Any]:
    """``{"totalCredits": number | null (credits), "totalCents": int (cents), "entryCount": int}``."""
    credits = st.total_credits
    return {"totalCredits": None if credits is None else float(credits), "totalCents": st.total_cents,
            "entryCount": len(st.entries)}


def block_out(block: StatementBlock, wallet: WalletTerms) -> dict[str, Any]:
    """The API shape of a statement block: ``drawnCents`` (int, cents), ``drawnCredits`` and
    ``creditRateCents`` (numbers; null in a dollar wallet), ``expiresAt`` (UTC, ms)."""
    credits = wallet.tracks_credits
    return {"id": block.id, "description": block.description, "isPromotional": block.is_promotional,
            "expiresAt": iso_ms(block.expires_at) if block.expires_at else None,
            "creditRateCents": float(block.credit_rate_cents) if credits else None,
            "drawnCents": shown_cents(block.drawn_cents),
            "drawnCredits": float(block.drawn_units) if credits else None, "entryCount": block.entry_count}


def as_json(st: Statement) -> dict[str, Any]:
    """The ``format=json`` statement: ``invoiceNumber``, ``summary``, ``invoice`` (the invoice's id,
    number, status, dates, cents and ``customerId``/``customerName``/``contractId``/``contractName``),
    ``blocks``, ``entries`` (ledger entries, oldest first) and ``walletMode`` (``dollars``/``credits``)."""
    shown = invoice_out(st.invoice)
    return {
        "invoiceNumber": st.invoice.invoice_number, "summary": summary(st),
        "invoice": {**{k: shown[k] for k in INVOICE_FIELDS}, "customerName": st.customer_name,
                    "contractName": st.contract_name},
        "blocks": [block_out(b, st.wallet) for b in st.blocks],
        "entries": [entry_out(e, st.wallet) for e in st.entries], "walletMode": st.wallet.mode,
    }


async def as_pdf(st: Statement) -> dict[str, Any]:
    """The ``format=pdf`` statement: ``pdfBase64`` (the PDF, base64), ``filename``, ``invoiceNumber``
    (null for a draft) and ``summary``. The PDF is drawn in a worker thread: an invoice with
    thousands of entries takes seconds of CPU, which must not stall the event loop (the statement's
    rows are all loaded, so the thread only reads attributes)."""
    pdf = await asyncio.to_thread(statement_pdf.render, st)
    return {"pdfBase64": base64.b64encode(pdf).decode("ascii"),
            "filename": filename(st.invoice), "invoiceNumber": st.invoice.invoice_number, "summary": summary(st)}


async def report(session: AsyncSession, principal: Principal, invoice_id: str, fmt: str) -> dict[str, Any]:
    """The credit usage statement of the caller's invoice in ``fmt`` (``pdf`` or ``json``; the endpoint
    refuses others): ``as_pdf`` or ``as_json``. Raises ``NotFound`` (404)."""
    st = await gather(session, principal, invoice_id)
    return as_json(st) if fmt == "json" else await as_pdf(st)

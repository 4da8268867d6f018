"""The credit usage statement as a PDF (reference §12.3): a ``Statement`` in, the PDF's bytes out.
Pure: no database, no clock (the PDF's creation date is the invoice date, so the same statement
gives the same bytes).

Content: a header (Monk, "Credit usage statement", invoice number, status, dates, customer,
contract, wallet), the summary, a table of the blocks drawn, a table of the ledger entries (UTC
time, type, block, amount in dollars and, in a credit wallet, in credits) and the invoice's totals
(subtotal, credits applied, amount due). Dollars are shown as ``$1,234.56`` (``-$50.00`` for a
draw), credits with their significant decimals (``1,562.5``).

Decided: the PDF uses the PDF core font Helvetica, which covers Latin-1 only (no font file is
bundled: fpdf2 ships none). Text outside Latin-1 (a customer named "Zoë 株式会社", an emoji in a
grant's description) never fails rendering: it is NFKC-normalized (full-width letters, ligatures),
common typography is spelled in ASCII (dashes, curly quotes, ellipsis, €, bullets), control
characters become spaces, and what is still outside Latin-1 becomes ``?``. The JSON statement keeps
every name and description exactly as stored.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from fpdf import FPDF
from fpdf.fonts import FontFace

from monk.credits.wallet import shown_cents
from monk.kit.time import midnight

if TYPE_CHECKING:
    from monk.credits.statement import Statement

FONT = "helvetica"
GREY = (90, 90, 90)
HEADING = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
_ASCII = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2018": "'", "\u2019": "'",
                        "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2026": "...",
                        "\u20ac": "EUR", "\u2022": "*", "\u2122": "TM"})


def latin1(text: str) -> str:
    """``text`` as the core fonts can draw it (Latin-1): see the module's docstring."""
    text = unicodedata.normalize("NFKC", text).translate(_ASCII)
    text = "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)
    return text.encode("latin-1", "replace").decode("latin-1")


def dollars(cents: int) -> str:
    """Whole cents as dollars: ``8000`` → ``$80.00``, ``-123456`` → ``-$1,234.56``."""
    value = (Decimal(cents) / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def credits(units: Decimal) -> str:
    """Credits with their significant decimals: ``250.000000000000`` → ``250``, ``1562.5`` → ``1,562.5``."""
    value = units.normalize() if units else Decimal(0)
    return f"{value:,f}"


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M") if at else "-"


class _Document(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(*GREY)
        self.cell(0, 6, f"Monk - credit usage statement - page {self.page_no()}/{{nb}}", align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(4)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(0, 8, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)


def _pairs(pdf: FPDF, rows: Sequence[tuple[str, str]]) -> None:
    for label, value in rows:
        pdf.set_font(FONT, "B", 10)
        pdf.cell(38, 6, latin1(label))
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(0, 6, latin1(value), new_x="LMARGIN", new_y="NEXT")


def _table(pdf: FPDF, head: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
           align: Sequence[str]) -> None:
    pdf.set_font(FONT, size=9)
    with pdf.table(col_widths=tuple(widths), text_align=tuple(align), headings_style=HEADING,
                   borders_layout="HORIZONTAL_LINES", line_height=5, padding=1) as table:
        for values in [head, *rows]:
            row = table.row()
            for value in values:
                row.cell(latin1(value))


def _header(pdf: FPDF, st: Statement) -> None:
    inv = st.invoice
    pdf.set_font(FONT, "B", 22)
    pdf.cell(0, 11, "Monk", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 15)
    pdf.cell(0, 9, "Credit usage statement", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    wallet = (f"Credits, at {credits(st.wallet.rate)} cents per credit" if st.wallet.tracks_credits
              else "Dollars")
    contract = f"{st.contract_name} ({inv.contract_id})" if st.contract_name else inv.contract_id
    _pairs(pdf, [("Invoice", inv.invoice_number or "Draft (not numbered yet)"), ("Status", inv.status),
                 ("Invoice date", inv.invoice_date.isoformat()), ("Due date", inv.due_date.isoformat()),
                 ("Customer", st.customer_name), ("Contract", contract), ("Wallet", wallet)])


def _summary(pdf: FPDF, st: Statement) -> None:
    _heading(pdf, "Summary")
    drawn = dollars(st.total_cents)
    if st.total_credits is not None:
        drawn += f" ({credits(st.total_credits)} credits)"
    _pairs(pdf, [("Credits used", drawn), ("Ledger entries", str(len(st.entries))),
                 ("Blocks drawn", str(len(st.blocks)))])


def _blocks(pdf: FPDF, st: Statement) -> None:
    _heading(pdf, "Credit blocks")
    if not st.blocks:
        pdf.cell(0, 6, "No credits were drawn for this invoice.", new_x="LMARGIN", new_y="NEXT")
        return
    in_credits = st.wallet.tracks_credits
    head = ["Block", "Description", "Kind", "Expires (UTC)", "Entries", "Drawn ($)"]
    widths: list[float] = [12, 70, 24, 34, 16, 34]
    align = ["L", "L", "L", "L", "R", "R"]
    if in_credits:
        head, widths, align = head + ["Rate (cents)", "Drawn (credits)"], [12, 40, 22, 32, 14, 24, 20, 26], \
            align + ["R", "R"]
    rows = []
    for b in st.blocks:
        row = [b.label, b.description or "-", "Promotional" if b.is_promotional else "Purchased",
               _when(b.expires_at), str(b.entry_count), dollars(shown_cents(b.drawn_cents))]
        if in_credits:
            row += [credits(b.credit_rate_cents), credits(b.drawn_units)]
        rows.append(row)
    _table(pdf, head, rows, widths, align)


def _entries(pdf: FPDF, st: Statement) -> None:
    _heading(pdf, "Ledger entries")
    if not st.entries:
        pdf.cell(0, 6, "No ledger entries.", new_x="LMARGIN", new_y="NEXT")
        return
    labels = {b.id: b.label for b in st.blocks}
    in_credits = st.wallet.tracks_credits
    head = ["Date (UTC)", "Type", "Block", "Amount ($)"] + (["Amount (credits)"] if in_credits else [])
    widths = [52, 36, 22, 40] + ([40] if in_credits else [])
    align = ["L", "L", "L", "R"] + (["R"] if in_credits else [])
    rows = [[_when(e.created_at), e.type, labels.get(e.block_id, "-"), dollars(shown_cents(e.amount_cents))]
            + ([credits(e.amount)] if in_credits else []) for e in st.entries]
    _table(pdf, head, rows, widths, align)


def _totals(pdf: FPDF, st: Statement) -> None:
    inv = st.invoice
    _heading(pdf, "Invoice totals")
    for label, cents, bold in [("Subtotal", inv.subtotal_cents, False),
                               ("Credits applied", -inv.credits_applied_cents, False),
                               ("Amount due", inv.total_cents, True)]:
        pdf.set_font(FONT, "B" if bold else "", 10)
        pdf.cell(150, 6, label, align="R")
        pdf.cell(0, 6, dollars(cents), align="R", new_x="LMARGIN", new_y="NEXT")


def render(st: Statement) -> bytes:
    """The statement's PDF (A4, one or more pages), deterministic for a given statement."""
    pdf = _Document(format="A4", unit="mm")
    pdf.set_creation_date(midnight(st.invoice.invoice_date))
    number = st.invoice.invoice_number or "draft"
    pdf.set_title(latin1(f"Credit usage statement {number}"))
    pdf.set_author("Monk")
    pdf.set_creator("Monk")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    _header(pdf, st)
    _summary(pdf, st)
    _blocks(pdf, st)
    _entries(pdf, st)
    _totals(pdf, st)
    return bytes(pdf.output())

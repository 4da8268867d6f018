"""The credit usage statement of an invoice (reference §12.3) through the API, on SQLite and
PostgreSQL: the summary, the blocks and entries of the JSON, the PDF read back as text, a credit
wallet, a draft without credits, text outside Latin-1, and the errors."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader

from monk.credits.statement_pdf import credits, dollars, latin1
from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s

CREDIT_WALLET = {"walletMode": "credits", "creditRateCents": 32}


async def _setup(api: Api, clock: FrozenClock, *, name: str = "Alice Apps", **extra: Any) -> dict[str, Any]:
    clock.set(datetime(2026, 3, 3, tzinfo=UTC))
    m = await s.meter(api, "API_CALL", "call_count")
    plan = await s.plan(api, "payg", [(await s.usage_price(api, "API Calls", m["id"], "1.00"))["id"]])
    alice = await s.customer(api, name, "alice")
    return await s.contract(api, alice["id"], plan["id"], "2026-03-01", "2026-06-01", **extra)


async def _grant(api: Api, contract_id: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.post(f"/v1/contracts/{contract_id}/credits/promotional/grant", body)
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _calls(api: Api, n: int) -> None:
    await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"c-{i}",
                        "timestamp": "2026-03-02T10:00:00Z"} for i in range(n)])


async def _finalized_april(api: Api, worker: Any, clock: FrozenClock, contract_id: str) -> dict[str, Any]:
    """April's invoice (March's usage) after its date and grace have passed: numbered and ``Sent``."""
    clock.set(datetime(2026, 4, 10, tzinfo=UTC))
    await worker.drain()
    april = next(i for i in await s.invoices(api, contract_id) if i["invoiceDate"] == "2026-04-01")
    assert april["status"] == "Sent" and april["invoiceNumber"], april
    return april


async def _report(api: Api, invoice_id: str, **params: str) -> dict[str, Any]:
    r = await api.get(f"/v1/invoices/{invoice_id}/credit-report", **params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def _pdf_text(data: dict[str, Any]) -> str:
    pdf = base64.b64decode(data["pdfBase64"], validate=True)
    assert pdf.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def _two_grants(api: Api, worker: Any, clock: FrozenClock) -> tuple[dict[str, Any], dict[str, Any], str, str]:
    c = await _setup(api, clock)
    soon = await _grant(api, c["id"], {"amountCents": 5000, "expiresAt": "2026-06-30T00:00:00Z",
                                       "description": "Launch promotion"})
    late = await _grant(api, c["id"], {"amountCents": 10000, "expiresAt": "2026-12-31T00:00:00Z",
                                       "description": "Annual prepaid credits"})
    await worker.drain()
    await _calls(api, 80)  # $80 of usage: $50 from the block expiring sooner, $30 from the other
    await worker.drain()
    return c, await _finalized_april(api, worker, clock, c["id"]), soon["id"], late["id"]


async def test_the_json_statement_of_an_invoice_paid_by_two_blocks(api: Api, worker: Any,
                                                                  clock: FrozenClock) -> None:
    c, april, soon, late = await _two_grants(api, worker, clock)
    assert (april["subtotalCents"], april["creditsAppliedCents"], april["totalCents"]) == (8000, 8000, 0)
    data = await _report(api, april["id"], format="json")
    assert set(data) == {"invoiceNumber", "summary", "invoice", "blocks", "entries", "walletMode"}
    ledger = (await api.get(f"/v1/contracts/{c['id']}/credits/ledger")).json()["data"]["entries"]
    mine = [e for e in reversed(ledger) if e["invoiceId"] == april["id"]]  # oldest first
    assert data["entries"] == mine and {e["type"] for e in mine} <= {"usage", "reversal"}
    assert data["summary"] == {"totalCredits": None, "totalCents": 8000, "entryCount": len(mine)}
    assert data["summary"]["totalCents"] == april["creditsAppliedCents"]
    assert data["invoiceNumber"] == april["invoiceNumber"] and data["walletMode"] == "dollars"
    assert data["invoice"] == {
        "id": april["id"], "invoiceNumber": april["invoiceNumber"], "status": "Sent", "invoiceDate": "2026-04-01",
        "dueDate": april["dueDate"], "subtotalCents": 8000, "creditsAppliedCents": 8000, "totalCents": 0,
        "customerId": april["customerId"], "customerName": "Alice Apps", "contractId": c["id"],
        "contractName": c["name"]}
    assert [(b["id"], b["description"], b["drawnCents"], b["drawnCredits"], b["creditRateCents"])
            for b in data["blocks"]] == [(soon, "Launch promotion", 5000, None, None),
                                         (late, "Annual prepaid credits", 3000, None, None)]
    assert all(b["isPromotional"] for b in data["blocks"])
    assert data["blocks"][0]["expiresAt"] == "2026-06-30T00:00:00.000Z"
    assert sum(b["entryCount"] for b in data["blocks"]) == len(mine)


async def test_the_pdf_statement_reads_back(api: Api, worker: Any, clock: FrozenClock) -> None:
    _, april, _, _ = await _two_grants(api, worker, clock)
    data = await _report(api, april["id"])  # format=pdf is the default
    number = april["invoiceNumber"]
    assert set(data) == {"pdfBase64", "filename", "invoiceNumber", "summary"}
    assert data["filename"] == f"credit-report-{number}.pdf" and data["invoiceNumber"] == number
    assert data["summary"]["totalCents"] == 8000 and data["summary"]["totalCredits"] is None
    text = _pdf_text(data)
    for expected in ("Credit usage statement", number, "2026-04-01", "Alice Apps", "Launch promotion",
                     "Annual prepaid credits", "$80.00", "$50.00", "$30.00", "-$80.00", "$0.00"):
        assert expected in text, (expected, text)
    # The same statement gives the same bytes (the creation date is the invoice date).
    assert (await _report(api, april["id"], format="pdf"))["pdfBase64"] == data["pdfBase64"]


async def test_a_credit_wallet_counts_credits(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock, creditSettings=CREDIT_WALLET)
    await _grant(api, c["id"], {"creditRateCents": 32, "creditAmount": 1562.5, "expiresAt": "2026-12-31T00:00:00Z",
                                "description": "Starter credits"})  # $500
    await worker.drain()
    await _calls(api, 80)  # $80 = 250 credits at 32 cents
    await worker.drain()
    april = await _finalized_april(api, worker, clock, c["id"])
    data = await _report(api, april["id"], format="json")
    assert data["walletMode"] == "credits"
    assert data["summary"] == {"totalCredits": 250, "totalCents": 8000, "entryCount": len(data["entries"])}
    assert [(b["drawnCents"], b["drawnCredits"], b["creditRateCents"]) for b in data["blocks"]] == [(8000, 250, 32)]
    assert all(e["creditAmount"] is not None for e in data["entries"])
    pdf = await _report(api, april["id"])
    assert pdf["summary"]["totalCredits"] == 250
    text = _pdf_text(pdf)
    assert "250 credits" in text and "Starter credits" in text and "32 cents per credit" in text


async def test_give_backs_count_against_the_draws(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    block = await _grant(api, c["id"], {"amountCents": 10000, "expiresAt": "2026-12-31T00:00:00Z"})
    await worker.drain()
    await _calls(api, 80)
    await worker.drain()
    # 50 of the calls are resent as another event type: $50 goes back to the wallet.
    await s.send(api, [{"eventName": "other", "externalCustomerId": "alice", "idempotencyKey": f"c-{i}",
                        "timestamp": "2026-03-02T10:00:00Z"} for i in range(50)])
    await worker.drain()
    april = next(i for i in await s.invoices(api, c["id"]) if i["invoiceDate"] == "2026-04-01")
    data = await _report(api, april["id"], format="json")
    assert [(e["type"], e["amountCents"]) for e in data["entries"]] == [("usage", -8000), ("reversal", 5000)]
    assert data["summary"] == {"totalCredits": None, "totalCents": 3000, "entryCount": 2}
    assert april["creditsAppliedCents"] == 3000 and data["invoice"]["status"] == april["status"]
    assert [(b["id"], b["drawnCents"], b["entryCount"]) for b in data["blocks"]] == [(block["id"], 3000, 2)]
    text = _pdf_text(await _report(api, april["id"]))
    assert "-$80.00" in text and "$50.00" in text and "$30.00" in text and "reversal" in text


async def test_a_draft_without_credits_has_zero_totals(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    may = next(i for i in await s.invoices(api, c["id"]) if i["invoiceDate"] == "2026-05-01")
    assert may["invoiceNumber"] is None
    data = await _report(api, may["id"], format="json")
    assert data["invoiceNumber"] is None and data["blocks"] == [] and data["entries"] == []
    assert data["summary"] == {"totalCredits": None, "totalCents": 0, "entryCount": 0}
    pdf = await _report(api, may["id"])
    assert pdf["filename"] == f"credit-report-draft-{may['id']}.pdf" and pdf["invoiceNumber"] is None
    text = _pdf_text(pdf)
    assert "Draft" in text and "No credits were drawn" in text


async def test_text_outside_latin1_renders(api: Api, worker: Any, clock: FrozenClock) -> None:
    name = "Zoë 株式会社 — “Ünïcode” €"
    c = await _setup(api, clock, name=name)
    await _grant(api, c["id"], {"amountCents": 2000, "expiresAt": "2026-12-31T00:00:00Z",
                                "description": "Prämie 🚀 ﬁrst…"})
    await worker.drain()
    await _calls(api, 10)
    await worker.drain()
    april = await _finalized_april(api, worker, clock, c["id"])
    data = await _report(api, april["id"], format="json")
    assert data["invoice"]["customerName"] == name and data["blocks"][0]["description"] == "Prämie 🚀 ﬁrst…"
    text = _pdf_text(await _report(api, april["id"]))
    assert 'Zoë ???? - "Ünïcode" EUR' in text and "Prämie ? first..." in text and "$10.00" in text


async def test_errors_tenancy_and_scope(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _setup(api, clock)
    inv = (await s.invoices(api, c["id"]))[0]
    url = f"/v1/invoices/{inv['id']}/credit-report"
    assert_error(await api.get("/v1/invoices/00000000-0000-0000-0000-000000000000/credit-report"), 404, "NOT_FOUND")
    other = await api.new_key(["*"], org="Other Org")
    assert_error(await api.get(url, key=other), 404, "NOT_FOUND")
    assert_error(await api.get(url, key=other, format="json"), 404, "NOT_FOUND")
    error = assert_error(await api.get(url, format="xml"), 400, "VALIDATION_ERROR")
    assert "format" in error["message"]
    assert_error(await api.get(url, key=await api.new_key(["contracts:read"])), 403, "FORBIDDEN")
    assert (await api.get(url, key=await api.new_key(["invoices:read"]))).status_code == 200


@pytest.mark.parametrize(("text", "shown"), [
    ("Zoë Ltd", "Zoë Ltd"), ("株式会社", "????"), ("A — B – “C” ‘d’ … €5 • ™", 'A - B - "C" \'d\' ... EUR5 * TM'),
    ("ＡＢＣ ﬁ", "ABC fi"), ("line\nbreak\ttab", "line break tab"), ("🚀", "?")])
def test_text_is_drawn_in_latin1(text: str, shown: str) -> None:
    assert latin1(text) == shown


def test_amounts_as_shown() -> None:
    assert [dollars(c) for c in (0, 8000, -8000, 5, 123456789)] == ["$0.00", "$80.00", "-$80.00", "$0.05",
                                                                   "$1,234,567.89"]
    assert [credits(Decimal(v)) for v in ("250.000000000000", "1562.5", "-93.75", "0E-12", "0.000000000001")] == [
        "250", "1,562.5", "-93.75", "0", "0.000000000001"]

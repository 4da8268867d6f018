"""HTTP endpoints for a contract's credit wallet (reference §10) and an invoice's credit usage
statement (§12.3)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from monk.credits import adjustments, service, statement
from monk.credits.schemas import Adjustment, CreditReport, GrantEntry, Ledger, PromotionalGrant, Wallet
from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, envelope

router = APIRouter(tags=["credits"])
WALLET = "/v1/contracts/{contract_id}/credits"
ContractsWrite = Annotated[Principal, Depends(require("contracts:write"))]
ContractsRead = Annotated[Principal, Depends(require("contracts:read"))]
InvoicesRead = Annotated[Principal, Depends(require("invoices:read"))]


@router.post(f"{WALLET}/promotional/grant", status_code=201, **typed(Data[GrantEntry], 404))
async def grant_promotional(session: deps.Session, contract_id: str, body: PromotionalGrant, clock: deps.Clock,
                            principal: ContractsWrite) -> dict[str, Any]:
    """Grant promotional credits → 201 ``{"data": LedgerEntry}`` with ``purchaseRateCents`` 0,
    ``balanceAfterCents``, ``creditBalanceAfter`` (reference §10.1). ``amountCents`` (dollars) or
    ``creditRateCents`` + ``creditAmount``; ``expiresAt`` required, in the future; a retry with the
    same ``externalId`` returns the original entry. 400: both modes, neither, an incomplete pair, a
    past ``expiresAt``; 404 unknown contract."""
    return envelope(await service.grant_promotional(session, principal, contract_id, body, now=clock.now()))


@router.post(f"{WALLET}/adjustments", status_code=201, **typed(Data[GrantEntry], 404, 409))
async def adjust(session: deps.Session, contract_id: str, body: Adjustment, clock: deps.Clock,
                 principal: ContractsWrite) -> dict[str, Any]:
    """Correct one block by hand (an extension) → 201 ``{"data": LedgerEntry}`` of type
    ``adjustment`` with ``balanceAfterCents``: ``grantEntryId``, a signed ``amountCents`` (or
    ``creditAmount``), ``description``; the block stays between 0 and its original amount (400
    otherwise); 404 unknown contract or block; 409 expired block."""
    return envelope(await adjustments.adjust(session, principal, contract_id, body, now=clock.now()))


@router.get(f"{WALLET}/balance", **typed(Data[Wallet], 404))
async def get_balance(session: deps.Session, contract_id: str, clock: deps.Clock,
                      principal: ContractsRead) -> dict[str, Any]:
    """The wallet's balance and blocks → ``{"data": {"balance", "blocks"}}`` (reference §10.2); zero and
    no blocks without a wallet; 404 unknown contract."""
    return envelope(await service.balance(session, principal, contract_id, now=clock.now()))


@router.get(f"{WALLET}/ledger", **typed(Data[Ledger], 404))
async def get_ledger(session: deps.Session, contract_id: str, page: deps.LongPage,
                     principal: ContractsRead) -> dict[str, Any]:
    """The ledger, newest first → ``{"data": {"totalCount", "entries"}}`` (reference §10.3; ``limit``
    default 50, ``offset``); empty without a wallet; 404 unknown contract."""
    return envelope(await service.ledger(session, principal, contract_id, page))


@router.get("/v1/invoices/{invoice_id}/credit-report", **typed(Data[CreditReport], 404))
async def get_credit_report(
    session: deps.Session,
    invoice_id: str,
    principal: InvoicesRead,
    fmt: Literal["pdf", "json"] = Query("pdf", alias="format", description="pdf (default): base64 PDF | json"),
) -> dict[str, Any]:
    """The invoice's credit usage statement (reference §12.3) → ``{"data": {"pdfBase64", "filename",
    "invoiceNumber", "summary"}}`` for ``format=pdf`` (the default), ``{"data": {"invoiceNumber",
    "summary", "invoice", "blocks", "entries", "walletMode"}}`` for ``format=json``; ``summary`` is
    ``{"totalCredits"`` (credits; null in a dollar wallet), ``"totalCents"`` (cents drawn, = the
    invoice's ``creditsAppliedCents``), ``"entryCount"}``. Zero totals when nothing was drawn; 400 for
    another ``format``; 404 unknown invoice (or another organization's)."""
    return envelope(await statement.report(session, principal, invoice_id, fmt))

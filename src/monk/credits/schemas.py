"""Credit request bodies, the balance, block and ledger-entry shapes (reference §10) and the credit
usage statement's (§12.3)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, StrictInt, model_validator

from monk.billing.bounds import MAX_AMOUNT_CENTS
from monk.kit.bounds import Id, InstantIn, JsonObject
from monk.kit.schemas import CamelModel, Day, Instant, ResponseModel

MAX_CREDIT_AMOUNT = Decimal(10) ** 12  # credits in one grant (exclusive)
RESERVED_METADATA = ("isPromotional", "deductionBatchId")
MODES = "Provide either amountCents (dollars) or creditRateCents with creditAmount (credits)"


class PromotionalGrant(CamelModel):
    """``POST /v1/contracts/{id}/credits/promotional/grant`` (reference §10.1): ``amountCents`` alone
    (dollar mode), or ``creditRateCents`` + ``creditAmount`` (rate mode; ``creditRateCents`` 0 = free
    credits). ``expiresAt`` is required and in the future; ``externalId`` makes it idempotent."""

    expires_at: InstantIn
    amount_cents: StrictInt | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)
    credit_rate_cents: StrictInt | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)
    credit_amount: Decimal | None = Field(None, gt=0, lt=MAX_CREDIT_AMOUNT, decimal_places=12)
    description: str | None = Field(None, max_length=500)
    external_id: Id | None = None
    metadata: JsonObject | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> PromotionalGrant:
        dollars = self.amount_cents is not None
        rate = self.credit_rate_cents is not None or self.credit_amount is not None
        if dollars and rate:
            raise ValueError(f"{MODES}, not both")
        if not dollars and not rate:
            raise ValueError(MODES)
        if rate and (self.credit_rate_cents is None or self.credit_amount is None):
            raise ValueError("creditRateCents and creditAmount go together: provide both")
        if rate and self.credit_rate_cents is not None and self.credit_amount is not None \
                and self.credit_rate_cents * self.credit_amount >= MAX_AMOUNT_CENTS:
            raise ValueError(f"creditRateCents × creditAmount must be below {MAX_AMOUNT_CENTS} cents")
        return self


class CreditSettings(CamelModel):
    """A contract's ``creditSettings`` (reference §9.1 leaves its fields open; decided here):

    - ``walletMode``: ``dollars`` (blocks hold cents) or ``credits`` (blocks hold credit units);
      default ``credits`` when ``creditRateCents`` is given, else ``dollars``.
    - ``creditRateCents``: cents per credit (integer > 0), required for a credit wallet.
    - ``expiresAt``: when the paid credits of ``creditGrantCents`` (and the bonus) expire; default the
      contract's end, or one year after creation for a rolling contract.
    - ``purchasePriceCents``: what the customer is invoiced for ``creditGrantCents`` of credits
      when it differs (the enterprise guide: 10000000 for 12500000 of credits); default the value.
    - ``bonusCredits`` (credit wallets) / ``bonusCents`` (dollar wallets): free promotional credits
      granted beside the paid ones, valued at the paid rate, never invoiced.
    - ``depletionBehavior``: ``auto_invoice`` (default: invoices finalize as usual) or
      ``alert_only`` (an invoice whose usage the wallet could not cover is held for review).
    - ``lowBalanceThresholdCents``: ``credit.threshold_crossed`` fires when the balance falls below it.
    """

    wallet_mode: Literal["dollars", "credits"] | None = None
    credit_rate_cents: StrictInt | None = Field(None, gt=0, lt=MAX_AMOUNT_CENTS)
    expires_at: InstantIn | None = None
    purchase_price_cents: StrictInt | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)
    bonus_credits: Decimal | None = Field(None, gt=0, lt=MAX_CREDIT_AMOUNT, decimal_places=12)
    bonus_cents: StrictInt | None = Field(None, gt=0, lt=MAX_AMOUNT_CENTS)
    depletion_behavior: Literal["auto_invoice", "alert_only"] = "auto_invoice"
    low_balance_threshold_cents: StrictInt | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)

    @model_validator(mode="after")
    def _consistent(self) -> CreditSettings:
        if self.wallet_mode is None:
            self.wallet_mode = "credits" if self.credit_rate_cents is not None else "dollars"
        credits = self.wallet_mode == "credits"
        if credits and self.credit_rate_cents is None:
            raise ValueError("creditRateCents is required for a credit wallet (walletMode 'credits')")
        if not credits and self.credit_rate_cents is not None:
            raise ValueError("creditRateCents applies to credit wallets only (walletMode 'credits')")
        if credits and self.bonus_cents is not None:
            raise ValueError("bonusCents is for dollar wallets; a credit wallet takes bonusCredits")
        if not credits and self.bonus_credits is not None:
            raise ValueError("bonusCredits is for credit wallets; a dollar wallet takes bonusCents")
        if self.bonus_credits is not None and self.credit_rate_cents is not None \
                and self.bonus_credits * self.credit_rate_cents >= MAX_AMOUNT_CENTS:
            raise ValueError(f"bonusCredits × creditRateCents must be below {MAX_AMOUNT_CENTS} cents")
        return self

    def stored(self) -> dict[str, Any]:
        """The stored (snake_case) form: the fields set, with the resolved ``walletMode``."""
        return self.model_dump(mode="json", exclude_none=True)


class CreditPurchase(CamelModel):
    """``POST /v1/contracts/{id}/credits/purchase`` (an extension: paid top-ups). The credits' value:
    ``amountCents`` (either wallet) or ``creditAmount`` (credit wallets, at the wallet's rate).
    ``priceCents`` is what is invoiced (default the value), on the contract's next invoice.
    ``expiresAt`` defaults to the contract's end, or one year from now for a rolling contract."""

    amount_cents: StrictInt | None = Field(None, gt=0, lt=MAX_AMOUNT_CENTS)
    credit_amount: Decimal | None = Field(None, gt=0, lt=MAX_CREDIT_AMOUNT, decimal_places=12)
    price_cents: StrictInt | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)
    expires_at: InstantIn | None = None
    description: str | None = Field(None, max_length=500)
    external_id: Id | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> CreditPurchase:
        if (self.amount_cents is None) == (self.credit_amount is None):
            raise ValueError("Provide either amountCents or creditAmount (credit wallets)")
        return self


class Adjustment(CamelModel):
    """``POST /v1/contracts/{id}/credits/adjustments`` (an extension: the ledger's ``adjustment``):
    ``grantEntryId`` the block, a signed non-zero ``amountCents`` or ``creditAmount`` (credit
    wallets), ``description`` (why; required), ``externalId`` for safe retries."""

    grant_entry_id: Id
    amount_cents: StrictInt | None = Field(None, gt=-MAX_AMOUNT_CENTS, lt=MAX_AMOUNT_CENTS)
    credit_amount: Decimal | None = Field(None, gt=-MAX_CREDIT_AMOUNT, lt=MAX_CREDIT_AMOUNT, decimal_places=12)
    description: str = Field(min_length=1, max_length=500)
    external_id: Id | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> Adjustment:
        if (self.amount_cents is None) == (self.credit_amount is None):
            raise ValueError("Provide either amountCents or creditAmount (credit wallets)")
        if self.amount_cents == 0 or self.credit_amount == 0:
            raise ValueError("an adjustment moves a non-zero amount")
        return self


class LedgerEntry(ResponseModel):
    """A ledger entry (reference §10.3); ``creditAmount``/``creditRateCents`` null in a dollar wallet."""

    id: str
    type: str
    amount_cents: int
    credit_amount: float | None
    credit_rate_cents: float | None
    currency: str
    description: str | None
    source_type: str
    invoice_id: str | None
    grant_entry_id: str | None
    expires_at: Instant | None
    is_promotional: bool
    created_at: Instant


class GrantEntry(LedgerEntry):
    """The grant's entry with the wallet's balance right after it (reference §10.1)."""

    purchase_rate_cents: float = Field(description="What one credit (one cent in a dollar wallet) cost, in "
                                                   "cents: 0 for promotional credits")
    balance_after_cents: int
    credit_balance_after: float | None
    metadata: dict[str, Any]


class Balance(ResponseModel):
    """The wallet's balance now: cents, credits (null in a dollar wallet), active blocks."""

    balance_cents: int
    credit_balance: float | None
    currency: str
    block_count: int
    as_of: Instant


class BlockOut(ResponseModel):
    """A block (one grant's credits) with its status and draw ``priority`` (1 = first; null unless active)."""

    id: str
    status: str
    priority: int | None
    days_until_expiry: int | None
    original_cents: int
    original_credits: float | None
    remaining_cents: int
    remaining_credits: float | None
    credit_rate_cents: float | None
    currency: str
    description: str | None
    is_promotional: bool
    expires_at: Instant | None
    created_at: Instant


class Wallet(ResponseModel):
    """``GET …/credits/balance``: the balance and every block."""

    balance: Balance
    blocks: list[BlockOut]


class Ledger(ResponseModel):
    """``GET …/credits/ledger``: entries newest first and how many there are."""

    total_count: int
    entries: list[LedgerEntry]


def days_until(expires_at: datetime | None, now: datetime) -> int | None:
    """Whole days until ``expires_at`` (0 when past; None without expiry)."""
    if expires_at is None:
        return None
    return max(0, (expires_at - now).days)


class ReportSummary(ResponseModel):
    """What an invoice drew from the wallet: ``totalCents`` (net cents, = the invoice's
    ``creditsAppliedCents``), ``totalCredits`` (the same in credits; null in a dollar wallet),
    ``entryCount`` (the invoice's ledger entries)."""

    total_credits: float | None
    total_cents: int
    entry_count: int


class ReportInvoice(ResponseModel):
    """The invoice a credit statement is about (cents as integers, dates ``YYYY-MM-DD``)."""

    id: str
    invoice_number: str | None
    status: str
    invoice_date: Day
    due_date: Day
    subtotal_cents: int
    credits_applied_cents: int
    total_cents: int
    customer_id: str
    customer_name: str
    contract_id: str
    contract_name: str | None


class ReportBlock(ResponseModel):
    """A block the invoice drew from: ``id`` is its grant entry's id (the entries' ``grantEntryId``);
    ``drawnCents``/``drawnCredits`` net of give-backs (credits and rate null in a dollar wallet)."""

    id: str
    description: str | None
    is_promotional: bool
    expires_at: Instant | None
    credit_rate_cents: float | None
    drawn_cents: int
    drawn_credits: float | None
    entry_count: int


class CreditReport(ResponseModel):
    """``GET /v1/invoices/{id}/credit-report`` (reference §12.3): ``pdfBase64`` and ``filename`` for
    ``format=pdf``; ``invoice``, ``blocks``, ``entries`` (oldest first) and ``walletMode`` for
    ``format=json``; ``invoiceNumber`` (null for a draft) and ``summary`` for both."""

    invoice_number: str | None
    summary: ReportSummary
    pdf_base64: str | None = None
    filename: str | None = None
    invoice: ReportInvoice | None = None
    blocks: list[ReportBlock] | None = None
    entries: list[LedgerEntry] | None = None
    wallet_mode: str | None = None

"""A contract's wallet terms, read from its ``creditSettings``, and the conversions between the
wallet's unit and cents.

Decided (the reference leaves it open): ``creditSettings.walletMode`` is ``dollars`` (the default:
blocks hold cents, no unit tracking) or ``credits`` (blocks hold credits, valued at
``creditSettings.creditRateCents`` cents each, required for a credit wallet). Credits are kept to
12 decimal places (the storage's precision); cents to the cent when shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from monk.billing.money import EXACT

DOLLARS = "dollars"
CREDITS = "credits"
UNIT_PLACES = Decimal("1e-12")


@dataclass(frozen=True)
class WalletTerms:
    """``mode`` (``dollars``/``credits``) and ``rate``: cents per unit (1 for a dollar wallet)."""

    mode: str
    rate: Decimal

    @property
    def tracks_credits(self) -> bool:
        """Whether the wallet counts credit units (a credit wallet)."""
        return self.mode == CREDITS

    def units(self, cents: Decimal) -> Decimal:
        """``cents`` in the wallet's unit (credits to 12 decimal places)."""
        if not self.tracks_credits:
            return cents
        return EXACT.divide(cents, self.rate).quantize(UNIT_PLACES, rounding=ROUND_HALF_UP)

    def cents(self, units: Decimal) -> Decimal:
        """The value of ``units`` in cents (exact)."""
        return EXACT.multiply(units, self.rate)


    def amount(self, amount_cents: int | None, credit_amount: Decimal | None) -> tuple[Decimal, Decimal]:
        """``(units, cents)`` of an amount given as ``amountCents`` (either wallet) or ``creditAmount``
        (credit wallets: valued at the wallet's rate). Raises ``ValueError`` for ``creditAmount`` in a
        dollar wallet or when neither is given."""
        if amount_cents is not None:
            return self.units(Decimal(amount_cents)), Decimal(amount_cents)
        if credit_amount is None:
            raise ValueError("provide amountCents or creditAmount")
        if not self.tracks_credits:
            raise ValueError("creditAmount: this contract's wallet counts dollars; send amountCents")
        return credit_amount, self.cents(credit_amount)


ALERT_ONLY = "alert_only"


def alert_only(credit_settings: Mapping[str, Any] | None) -> bool:
    """Whether the stored credit settings hold an invoice the empty wallet could not cover for review
    (``depletionBehavior: alert_only``) instead of finalizing it (``auto_invoice``, the default)."""
    return (credit_settings or {}).get("depletion_behavior") == ALERT_ONLY


def shown_cents(value: Decimal) -> int:
    """Cents as the API shows them: rounded half-up to a whole cent."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def terms(credit_settings: Mapping[str, Any] | None) -> WalletTerms:
    """The wallet terms of a contract's stored (snake_case) credit settings. A credit wallet without a
    positive ``credit_rate_cents`` counts as a dollar wallet (contract validation refuses it)."""
    settings = credit_settings or {}
    rate = settings.get("credit_rate_cents")
    if settings.get("wallet_mode") == CREDITS and isinstance(rate, int | float | str) and not isinstance(rate, bool):
        value = Decimal(str(rate))
        if value > 0:
            return WalletTerms(CREDITS, value)
    return WalletTerms(DOLLARS, Decimal(1))

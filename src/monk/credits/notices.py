"""Credit webhooks (reference §13.2): ``credit.balance_depleted`` when draws take the wallet to zero,
``credit.threshold_crossed`` when they take it below ``creditSettings.lowBalanceThresholdCents``.

Each fires once per crossing: it is read from the balance before and after the draws of one
settlement, so a grant that lifts the balance back above the threshold re-arms it without any stored
state. Expiry and give-backs never fire them. The payload is the wallet: ``id`` (the contract's),
``contractId``, ``customerId``, ``balanceCents``, ``creditBalance`` (null in a dollar wallet),
``thresholdCents``, ``currency``, ``createdAt``, ``updatedAt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.credits.wallet import WalletTerms, shown_cents
from monk.kit.clock import iso_ms
from monk.models import Contract
from monk.webhooks import outbox
from monk.webhooks.catalogue import CREDIT_BALANCE_DEPLETED, CREDIT_THRESHOLD_CROSSED


def threshold_cents(credit_settings: Mapping[str, Any] | None) -> int | None:
    """The low-balance alert threshold of stored credit settings (``low_balance_threshold_cents``), or None."""
    value = (credit_settings or {}).get("low_balance_threshold_cents")
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def crossings(before_cents: Decimal, after_cents: Decimal, threshold: int | None) -> list[str]:
    """The credit events a balance move from ``before_cents`` to ``after_cents`` fires (pure)."""
    out = []
    if threshold is not None and before_cents >= threshold > after_cents:
        out.append(CREDIT_THRESHOLD_CROSSED)
    if before_cents > 0 >= after_cents:
        out.append(CREDIT_BALANCE_DEPLETED)
    return out


async def announce(session: AsyncSession, contract: Contract, wallet: WalletTerms, *, before: Decimal,
                   after: Decimal, now: datetime) -> None:
    """Write the credit events that the draw from ``before`` to ``after`` units fires."""
    threshold = threshold_cents(contract.credit_settings)
    events = crossings(wallet.cents(before), wallet.cents(after), threshold)
    if not events:
        return
    payload = {"id": contract.id, "contractId": contract.id, "customerId": contract.customer_id,
               "balanceCents": shown_cents(wallet.cents(after)),
               "creditBalance": float(after) if wallet.tracks_credits else None,
               "thresholdCents": threshold, "currency": "USD", "createdAt": iso_ms(contract.created_at),
               "updatedAt": iso_ms(now)}
    for event_type in events:
        await outbox.emit(session, org_id=contract.org_id, mode=contract.mode, event_type=event_type,
                          resource_id=contract.id, payload=payload, now=now)

"""Manual corrections of a wallet (the ledger's ``adjustment`` type, reference §3.7): an operator
takes credits out of a block or puts back what a correction took, always within the block's bounds
(0 ≤ remaining, and remaining + what invoices drew ≤ original, so give-backs never overfill it), with a
description saying why. Never commits.

Decided (the reference names the type, not how it is made): ``POST …/credits/adjustments`` names the
block by its ``grantEntryId`` and a signed ``amountCents`` (or ``creditAmount`` in a credit wallet);
an expired block cannot be adjusted (409); a positive adjustment is drawn by the open invoices on the
worker's next pass, as a grant is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing import credits as core
from monk.credits import repository
from monk.credits.drawdown import as_block
from monk.credits.schemas import Adjustment
from monk.credits.service import contract_of, granted, replayed
from monk.credits.wallet import terms
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.models import CreditEntry
from monk.models.statuses import LedgerEntryType


async def adjust(session: AsyncSession, principal: Principal, contract_id: str, body: Adjustment, *,
                 now: datetime) -> dict[str, Any]:
    """Write an ``adjustment`` entry moving ``body``'s amount into (+) or out of (−) one block and
    return it with the balance after it (the grant's response shape, ``purchaseRateCents`` of the
    block). A retry with the same ``externalId`` returns the original entry. Raises ``NotFound``
    (404: contract or block), ``Conflict`` (409: the block has expired), ``ValidationFailed`` (400:
    ``creditAmount`` in a dollar wallet; a result below 0, or above the block's original amount less
    what invoices drew from it, which may all be given back)."""
    contract = await contract_of(session, principal, contract_id)
    wallet = terms(contract.credit_settings)
    if (original := await replayed(session, contract, wallet, body.external_id)) is not None:
        return original
    try:
        units, _ = wallet.amount(body.amount_cents, body.credit_amount)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    await repository.lock_wallet(session, contract.id)
    block = await repository.block(session, body.grant_entry_id)
    if block is None or block.contract_id != contract.id:
        raise NotFound(f"Credit block '{body.grant_entry_id}' not found on this contract")
    if core.status(as_block(block), now) == core.BlockStatus.EXPIRED or block.expired_at is not None:
        raise Conflict(f"Credit block '{block.id}' has expired; it cannot be adjusted")
    after = block.remaining + units
    room = block.original - await repository.drawn_from(session, block.id)  # draws may all come back
    if after < 0 or after > room:
        raise ValidationFailed(f"the adjustment would leave the block at {after}; it may hold between 0 and "
                               f"{room} (its original amount less what open and final invoices drew from it)")
    block.remaining = after
    block.updated_at = now
    block.settle_pending = block.settle_pending or units > 0
    entry = CreditEntry(id=new_id(), org_id=block.org_id, mode=block.mode, contract_id=block.contract_id,
                        type=LedgerEntryType.ADJUSTMENT, block_id=block.id, amount=units,
                        amount_cents=wallet.cents(units), credit_rate_cents=wallet.rate,
                        is_promotional=block.is_promotional, expires_at=block.expires_at, invoice_id=None,
                        external_id=body.external_id, description=body.description, metadata_={}, created_at=now)
    session.add(entry)
    await session.flush()
    return await granted(session, entry, wallet)

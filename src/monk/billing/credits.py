"""Prepaid credit blocks and their draw-down (reference §10.2–10.4, concepts §12), as pure functions.

A wallet is a set of blocks, one per grant. Amounts are ``Decimal`` in the wallet's unit (cents for
a dollar wallet, credits for a credit wallet); the caller converts. A block is ``active`` while it
has something left and has not expired, ``depleted`` at zero, ``expired`` from its ``expires_at``.

Draw order (``priority`` 1 = first), over active blocks: (1) soonest expiry (no expiry last),
(2) promotional before paid, (3) lowest cost basis, (4) oldest, (5) id — a total order, so the same
wallet always draws the same way. A block pays only for usage whose service period overlaps its
validity (``[starts_at, expires_at)``). Amounts given back (the usage they paid for fell) are
returned newest draw first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

__all__ = ["Block", "BlockStatus", "Draw", "Settlement", "allocate", "apply", "expiring", "give_back", "priorities",
           "priority_order", "settle", "status"]

_ZERO = Decimal(0)
_NEVER = datetime.max.replace(tzinfo=UTC)


class BlockStatus(StrEnum):
    """A block's state at an instant."""

    ACTIVE = "active"
    DEPLETED = "depleted"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Block:
    """One grant's credits. ``original`` and ``remaining`` in the wallet's unit (0 ≤ remaining ≤
    original); ``cost_basis`` what one unit cost (cents; 0 for promotional credits);
    ``starts_at``/``expires_at`` its validity (UTC; ``expires_at`` None = never)."""

    id: str
    original: Decimal
    remaining: Decimal
    is_promotional: bool
    cost_basis: Decimal
    created_at: datetime
    starts_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class Draw:
    """An amount taken from (or, as a give-back, returned to) block ``block_id``; always > 0."""

    block_id: str
    amount: Decimal


def status(block: Block, at: datetime) -> BlockStatus:
    """The block's state at ``at``: expired from ``expires_at`` on, else depleted at zero, else active."""
    if block.expires_at is not None and at >= block.expires_at:
        return BlockStatus.EXPIRED
    return BlockStatus.ACTIVE if block.remaining > 0 else BlockStatus.DEPLETED


def _key(block: Block) -> tuple[datetime, bool, Decimal, datetime, str]:
    return (block.expires_at or _NEVER, not block.is_promotional, block.cost_basis, block.created_at, block.id)


def priority_order(blocks: Iterable[Block], at: datetime) -> list[Block]:
    """The blocks active at ``at``, in draw order (first drawn first)."""
    return sorted((b for b in blocks if status(b, at) == BlockStatus.ACTIVE), key=_key)


def priorities(blocks: Iterable[Block], at: datetime) -> dict[str, int | None]:
    """Each block's ``priority`` at ``at``: 1..n over active blocks in draw order, None for the others."""
    blocks = list(blocks)
    out: dict[str, int | None] = {b.id: None for b in blocks}
    for n, block in enumerate(priority_order(blocks, at), start=1):
        out[block.id] = n
    return out


def _covers(block: Block, period: tuple[datetime, datetime] | None) -> bool:
    if period is None:
        return True
    start, end = period
    return block.starts_at < end and (block.expires_at is None or block.expires_at > start)


def allocate(blocks: Sequence[Block], amount: Decimal, *, at: datetime,
             period: tuple[datetime, datetime] | None = None) -> tuple[list[Draw], Decimal]:
    """Draw ``amount`` (≥ 0) from the blocks active at ``at`` whose validity overlaps the usage's
    service ``period`` (half-open; None = any), in priority order, each down to zero at most.
    Returns the draws and what is left uncovered (the overage): ``sum(draws) + uncovered == amount``.
    Raises ``ValueError`` for a negative amount."""
    if amount < 0:
        raise ValueError(f"cannot draw a negative amount ({amount})")
    draws: list[Draw] = []
    left = amount
    for block in priority_order(blocks, at):
        if left == 0:
            break
        if not _covers(block, period):
            continue
        take = min(block.remaining, left)
        draws.append(Draw(block.id, take))
        left -= take
    return draws, left


def give_back(draws_newest_first: Sequence[Draw], amount: Decimal) -> list[Draw]:
    """Return ``amount`` (≥ 0) of what was drawn, newest draw first (``draws_newest_first`` are the
    draws not yet given back, each net of earlier give-backs). Never returns more than was drawn:
    raises ``ValueError`` when ``amount`` exceeds their sum or is negative."""
    if amount < 0:
        raise ValueError(f"cannot give back a negative amount ({amount})")
    if amount > sum((d.amount for d in draws_newest_first), _ZERO):
        raise ValueError("cannot give back more than was drawn")
    out: list[Draw] = []
    left = amount
    for draw in draws_newest_first:
        if left == 0:
            break
        back = min(draw.amount, left)
        out.append(Draw(draw.block_id, back))
        left -= back
    return out


def expiring(blocks: Iterable[Block], at: datetime) -> list[Draw]:
    """What expires at ``at``: the remainder of every block whose ``expires_at`` has come and that
    still holds something (one ``expiration`` each)."""
    return [Draw(b.id, b.remaining) for b in blocks
            if b.expires_at is not None and at >= b.expires_at and b.remaining > 0]


def apply(blocks: Sequence[Block], draws: Iterable[Draw], *, sign: int = -1) -> list[Block]:
    """The blocks after ``draws`` are taken (``sign=-1``) or returned (``sign=+1``). Raises
    ``ValueError`` when a block would go below zero or above its original."""
    by_id = {b.id: b for b in blocks}
    for draw in draws:
        block = by_id[draw.block_id]
        remaining = block.remaining + sign * draw.amount
        if remaining < 0 or remaining > block.original:
            raise ValueError(f"block {block.id} would hold {remaining} of {block.original}")
        by_id[draw.block_id] = replace(block, remaining=remaining)
    return [by_id[b.id] for b in blocks]


@dataclass(frozen=True)
class Settlement:
    """How an invoice's credits move to match its metered charges: new ``draws``, ``give_backs``
    (newest draw first), ``expirations`` (given back to blocks already expired: written off at once)
    and the charges left ``uncovered`` (the overage)."""

    draws: list[Draw]
    give_backs: list[Draw]
    expirations: list[Draw]
    uncovered: Decimal


def settle(blocks: Sequence[Block], drawn_newest_first: Sequence[Draw], target: Decimal, *, at: datetime,
           period: tuple[datetime, datetime] | None = None) -> Settlement:
    """Bring what an open invoice has drawn (``drawn_newest_first``, net of give-backs) to its metered
    charges ``target`` (≥ 0, in the wallet's unit), at ``at``: draw more when they rose (as far as
    the blocks reach: a grant after depletion pays the overage at the next settlement), give back the
    excess when they fell. Settling twice with the same inputs changes nothing the second time."""
    if target < 0:
        raise ValueError(f"metered charges cannot be negative ({target})")
    current = sum((d.amount for d in drawn_newest_first), _ZERO)
    if target > current:
        draws, uncovered = allocate(blocks, target - current, at=at, period=period)
        return Settlement(draws=draws, give_backs=[], expirations=[], uncovered=uncovered)
    back = give_back(drawn_newest_first, current - target)
    expired = {b.id for b in blocks if status(b, at) == BlockStatus.EXPIRED}
    return Settlement(draws=[], give_backs=back, expirations=[d for d in back if d.block_id in expired],
                      uncovered=_ZERO)

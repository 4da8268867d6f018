"""The invoice state machine: which status may follow which, and who moves it there.

Every change of ``invoices.status`` goes through this table: the repository's compare-and-set
updates take their allowed source statuses from :func:`sources`, and services ask :func:`check`
before they move an invoice. A new invoice starts ``Drafted`` (:data:`INITIAL`).

    Drafted ─▶ In Progress ─▶ Sent ─▶ (In Transit ─▶) Paid ─▶ Refunded      (finalizer, api, payments)
    Drafted / In Progress ─▶ Cancelled                                      (calendar)

``In Transit`` and ``Refunded`` are set by nothing yet: the payments work moves a ``Sent`` invoice
to ``In Transit`` while the provider processes its charge (back to ``Sent`` when the charge fails,
on to ``Paid`` when it succeeds), and a ``Paid`` one to ``Refunded`` on the provider's refund
(Stripe ``charge.refunded``).
"""

from __future__ import annotations

from enum import StrEnum

from monk.kit.errors import Conflict
from monk.models.statuses import InvoiceStatus

S = InvoiceStatus
INITIAL = S.DRAFTED


class Mover(StrEnum):
    """Who changes an invoice's status."""

    FINALIZER = "finalizer"  # the worker's invoice job: usage periods begin, invoices are finalized
    CALENDAR = "calendar"  # a contract's calendar shrinking (cancellation) cancels its open invoices
    API = "api"  # an API call on the invoice (mark-paid)
    PAYMENTS = "payments"  # the payment provider's events (the coming payments work)


TRANSITIONS: dict[tuple[InvoiceStatus, InvoiceStatus], frozenset[Mover]] = {
    (S.DRAFTED, S.IN_PROGRESS): frozenset({Mover.FINALIZER}),  # its usage period has begun
    (S.DRAFTED, S.SENT): frozenset({Mover.FINALIZER}),  # finalized (fee-only invoices never start usage)
    (S.IN_PROGRESS, S.SENT): frozenset({Mover.FINALIZER}),
    (S.DRAFTED, S.CANCELLED): frozenset({Mover.CALENDAR}),
    (S.IN_PROGRESS, S.CANCELLED): frozenset({Mover.CALENDAR}),
    (S.SENT, S.PAID): frozenset({Mover.API, Mover.PAYMENTS}),  # paid outside Monk, or charged at once
    (S.SENT, S.IN_TRANSIT): frozenset({Mover.PAYMENTS}),  # the provider is processing the charge
    (S.IN_TRANSIT, S.PAID): frozenset({Mover.PAYMENTS}),  # the charge succeeded
    (S.IN_TRANSIT, S.SENT): frozenset({Mover.PAYMENTS}),  # the charge failed: due again
    (S.PAID, S.REFUNDED): frozenset({Mover.PAYMENTS}),  # charge.refunded
}
"""``(from, to)`` → the movers allowed to make that change; a pair not listed is illegal."""


class IllegalTransition(Conflict):
    """409: the invoice's status cannot change to ``target`` by ``mover`` (the envelope's code stays
    ``CONFLICT``). ``current``/``target``/``mover`` say which change was refused."""

    def __init__(self, current: str, target: InvoiceStatus, mover: Mover, message: str | None = None) -> None:
        allowed = " or ".join(sources(target, mover))
        super().__init__(message or (f"Invoice is {current}; only {allowed} invoices can become {target}" if allowed
                                     else f"Invoice is {current}; it cannot become {target}"))
        self.current, self.target, self.mover = current, target, mover


def is_allowed(current: str, target: InvoiceStatus, mover: Mover) -> bool:
    """Whether ``mover`` may change an invoice from ``current`` to ``target``."""
    return mover in TRANSITIONS.get((S(current), target), frozenset())


def check(current: str, target: InvoiceStatus, mover: Mover, message: str | None = None) -> None:
    """Raise :class:`IllegalTransition` (with ``message`` when given) unless the change is allowed."""
    if not is_allowed(current, target, mover):
        raise IllegalTransition(current, target, mover, message)


def sources(target: InvoiceStatus, mover: Mover) -> tuple[InvoiceStatus, ...]:
    """The statuses from which ``mover`` may move an invoice to ``target``, in declaration order
    (what a compare-and-set ``UPDATE … WHERE status IN (…)`` accepts)."""
    return tuple(s for s in S if mover in TRANSITIONS.get((s, target), frozenset()))

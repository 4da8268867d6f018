"""The invoice transition table: every (from, to, mover) triple is either listed or refused."""

from __future__ import annotations

import itertools

import pytest

from monk.invoices.transitions import INITIAL, TRANSITIONS, IllegalTransition, Mover, check, is_allowed, sources
from monk.kit.errors import Conflict
from monk.models.statuses import OPEN_INVOICE_STATUSES
from monk.models.statuses import InvoiceStatus as S

LEGAL = {
    (S.DRAFTED, S.IN_PROGRESS, Mover.FINALIZER),
    (S.DRAFTED, S.SENT, Mover.FINALIZER),
    (S.IN_PROGRESS, S.SENT, Mover.FINALIZER),
    (S.DRAFTED, S.CANCELLED, Mover.CALENDAR),
    (S.IN_PROGRESS, S.CANCELLED, Mover.CALENDAR),
    (S.SENT, S.PAID, Mover.API),
    (S.SENT, S.PAID, Mover.PAYMENTS),
    (S.SENT, S.IN_TRANSIT, Mover.PAYMENTS),
    (S.IN_TRANSIT, S.PAID, Mover.PAYMENTS),
    (S.IN_TRANSIT, S.SENT, Mover.PAYMENTS),
    (S.PAID, S.REFUNDED, Mover.PAYMENTS),
}
ALL = list(itertools.product(S, S, Mover))


def test_the_table_is_exactly_the_documented_transitions() -> None:
    assert {(a, b, m) for (a, b), movers in TRANSITIONS.items() for m in movers} == LEGAL
    assert INITIAL == S.DRAFTED


@pytest.mark.parametrize(("current", "target", "mover"), sorted(LEGAL))
def test_legal_transitions_pass(current: S, target: S, mover: Mover) -> None:
    assert is_allowed(current, target, mover)
    check(str(current), target, mover)  # stored text works as well as the member
    assert current in sources(target, mover)


@pytest.mark.parametrize(("current", "target", "mover"), [t for t in ALL if t not in LEGAL])
def test_illegal_transitions_raise_a_conflict(current: S, target: S, mover: Mover) -> None:
    assert not is_allowed(current, target, mover)
    with pytest.raises(IllegalTransition) as info:
        check(current, target, mover)
    err = info.value
    assert isinstance(err, Conflict) and err.status_code == 409 and err.code == "CONFLICT"
    assert (err.current, err.target, err.mover) == (current, target, mover)
    assert current not in sources(target, mover)


def test_every_status_is_reachable_and_terminal_ones_stay() -> None:
    reached = {INITIAL} | {b for (_, b) in TRANSITIONS}
    assert reached == set(S)
    for terminal in (S.CANCELLED, S.REFUNDED):
        assert not any(a == terminal for (a, _) in TRANSITIONS)
    assert sources(S.SENT, Mover.FINALIZER) == OPEN_INVOICE_STATUSES
    assert sources(S.CANCELLED, Mover.CALENDAR) == OPEN_INVOICE_STATUSES


def test_the_message_names_the_statuses() -> None:
    assert str(IllegalTransition("Drafted", S.PAID, Mover.API)) == (
        "Invoice is Drafted; only Sent invoices can become Paid")
    assert str(IllegalTransition("Paid", S.CANCELLED, Mover.API)) == "Invoice is Paid; it cannot become Cancelled"

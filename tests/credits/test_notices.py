"""When credit webhooks fire (credits.notices.crossings), worked by hand."""

from __future__ import annotations

from decimal import Decimal as D

from monk.credits.notices import crossings


def test_credit_event_crossings() -> None:
    assert crossings(D(5000), D(1000), 2000) == ["credit.threshold_crossed"]
    assert crossings(D(1000), D(0), 2000) == ["credit.balance_depleted"]  # already below: no second crossing
    assert crossings(D(5000), D(0), 2000) == ["credit.threshold_crossed", "credit.balance_depleted"]
    assert crossings(D(2000), D(1999), 2000) == ["credit.threshold_crossed"]
    assert crossings(D(1999), D(1500), 2000) == []
    assert crossings(D(5000), D(1000), None) == []
    assert crossings(D(0), D(0), 2000) == []

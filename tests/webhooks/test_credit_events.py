"""Credit webhooks through the outbox (reference §13.2): ``credit.threshold_crossed`` once per crossing
of ``creditSettings.lowBalanceThresholdCents``, re-armed by a grant; ``credit.balance_depleted`` when
draws take the wallet to zero. A real receiver verifies every signature."""

from __future__ import annotations

from typing import Any

from monk.kit.clock import FrozenClock
from monk.webhooks.dispatch import Dispatcher
from tests.conftest import Api
from tests.credits.test_drawdown import _calls, _grant, _setup
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver


async def test_threshold_and_depletion_fire_once_per_crossing(
        api: Api, worker: Any, clock: FrozenClock, receiver: Receiver, dispatcher: Dispatcher) -> None:
    c = await _setup(api, clock, creditSettings={"lowBalanceThresholdCents": 2000})
    await subscribe(api, receiver, "/credits", ["credit.threshold_crossed", "credit.balance_depleted"])
    await _grant(api, c["id"], 5000)
    await worker.drain()
    await _calls(api, 40, tag="a")  # $40: 5,000 → 1,000 cents, below the 2,000 threshold
    await worker.drain()
    await _calls(api, 5, tag="b")  # still below: no second crossing
    await worker.drain()
    await _calls(api, 20, tag="c")  # to zero (and $15 of overage)
    await worker.drain()
    await dispatcher.drain()
    got = [(r.event, r.json["balanceCents"]) for r in receiver.at("/credits")]
    assert sorted(got) == sorted([("credit.threshold_crossed", 1000), ("credit.balance_depleted", 0)])
    assert all(r.verified and r.json["contractId"] == c["id"] and r.json["thresholdCents"] == 2000
               for r in receiver.at("/credits"))
    # A grant lifts the balance above the threshold again (paying the overage first): re-armed.
    await _grant(api, c["id"], 10000)
    await worker.drain()
    await _calls(api, 75, tag="d")  # 10,000 - 1,500 overage - 7,500 = 1,000
    await worker.drain()
    await dispatcher.drain()
    assert [(r.event, r.json["balanceCents"]) for r in receiver.at("/credits")][2:] == [
        ("credit.threshold_crossed", 1000)]

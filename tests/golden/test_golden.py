"""The golden scenario matrix, end to end through the HTTP API on every backend (SQLite, PostgreSQL),
plus checks that the scenario data is consistent and that the runner really fails on a wrong amount."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from monk.invoices.schemas import CREDIT_LINE
from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.golden.runner import STEPS, expand_events, instant, run_scenario, setup_bodies
from tests.golden.scenarios import ALL

MAX_FUTURE = timedelta(hours=1)  # events may be at most this far ahead of the clock (reference §4.1)
CREDIT_STEPS = ("grant", "purchase", "wallet", "ledger")


def _param(scenario: dict[str, Any]) -> Any:
    marks = [pytest.mark.xfail(reason=scenario["xfail"], strict=True)] if "xfail" in scenario else []
    return pytest.param(scenario, id=scenario["name"], marks=marks)


@pytest.mark.parametrize("scenario", [_param(sc) for sc in ALL])
async def test_golden(scenario: dict[str, Any], api: Api, worker: Any, clock: FrozenClock) -> None:
    await run_scenario(scenario, api=api, worker=worker, clock=clock)


async def test_runner_fails_on_a_wrong_amount(api: Api, worker: Any, clock: FrozenClock) -> None:
    """A golden run that asserted nothing would pass silently: one cent off must fail, naming the invoice."""
    scenario = copy.deepcopy(next(sc for sc in ALL if sc["name"] == "issue-minimum-15-dollars"))
    expect = next(st["expect"] for st in reversed(scenario["steps"]) if "expect" in st)
    expect["invoices"][2]["total"] += 1
    expect["invoices"][2]["lines"][0][2] += 1
    with pytest.raises(AssertionError, match=r"invoices differ\n  invoice 2: expected"):
        await run_scenario(scenario, api=api, worker=worker, clock=clock)


@pytest.mark.parametrize("kind", ["wallet", "ledger"])
async def test_runner_fails_on_a_wrong_credit(kind: str, api: Api, worker: Any, clock: FrozenClock) -> None:
    """The credit expectations fail too: one cent off in a block or a ledger entry names the contract."""
    scenario = copy.deepcopy(next(sc for sc in ALL if sc["name"] == "credits-expiry-mid-period"))
    spec = next(st[kind] for st in reversed(scenario["steps"]) if kind in st)
    rows = spec["blocks"] if kind == "wallet" else spec["entries"]
    rows[-1][-1 if kind == "wallet" else 1] += 1
    with pytest.raises(AssertionError, match=rf"contract c1: {kind}"):
        await run_scenario(scenario, api=api, worker=worker, clock=clock)


@pytest.mark.parametrize("scenario", [pytest.param(sc, id=sc["name"]) for sc in ALL])
def test_scenario_is_well_formed(scenario: dict[str, Any]) -> None:
    """Pure checks of the data: known step kinds, local references that resolve, totals that add up,
    a clock that never runs backwards, events the API accepts at the time they are sent, and every
    contract checked by at least one ``expect``."""
    assert sum(sc["name"] == scenario["name"] for sc in ALL) == 1, "scenario names must be unique"
    assert scenario.get("doc"), "say why the scenario exists"
    bodies = setup_bodies(scenario)  # KeyError on an unknown local reference
    now = instant(scenario["now"])
    checked: set[str] = set()
    for index, st in enumerate(scenario["steps"]):
        assert len(st) == 1, f"step {index} must have exactly one kind: {st}"
        (kind, argument), = st.items()
        assert kind in STEPS, f"step {index}: unknown kind {kind!r}; known: {sorted(STEPS)}"
        if kind == "at":
            assert instant(argument) >= now, f"step {index}: the clock moves backwards"
            now = instant(argument)
        elif kind == "events":
            for ev in expand_events(argument, {"contracts": {k: k for k in bodies["contracts"]}}):
                assert instant(ev["timestamp"]) <= now + MAX_FUTURE, f"step {index}: {ev} is in the future"
        elif kind == "expect":
            assert argument["contract"] in bodies["contracts"], f"step {index}: unknown contract"
            checked.add(argument["contract"])
            for inv in argument["invoices"]:
                cents = sum(line[2] for line in inv["lines"])
                assert inv["total"] == cents, f"step {index}, {inv['date']}: total {inv['total']} != lines {cents}"
                _credits_add_up(inv, f"step {index}, {inv['date']}")
        elif kind in CREDIT_STEPS:
            assert argument["contract"] in bodies["contracts"], f"step {index}: unknown contract"
            if "expiresAt" in argument:
                assert instant(argument["expiresAt"]) > now, f"step {index}: the grant expires in the past"
            if kind == "wallet":
                active = sum(b[3] for b in argument["blocks"] if b[1] == "active")
                assert argument["balanceCents"] == active, f"step {index}: balance != active blocks {active}"
    assert checked == set(bodies["contracts"]), f"contracts never checked: {set(bodies['contracts']) - checked}"


def _credits_add_up(inv: dict[str, Any], where: str) -> None:
    """An expected invoice with credits: due = subtotal − credits; the "Credits applied" line is the last,
    −credits; the other lines sum to the subtotal."""
    if "creditsAppliedCents" not in inv:
        return
    credits = inv["creditsAppliedCents"]
    charges = [line for line in inv["lines"] if line[0] != CREDIT_LINE]
    assert inv["lines"][len(charges):] == ([[CREDIT_LINE, 1, -credits]] if credits else []), \
        f"{where}: the credit line must come last, as -creditsAppliedCents"
    assert inv.get("subtotalCents", sum(line[2] for line in charges)) == sum(line[2] for line in charges), \
        f"{where}: subtotalCents != the charge lines"
    assert inv["total"] == sum(line[2] for line in charges) - credits, f"{where}: total != subtotal - credits"

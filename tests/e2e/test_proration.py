"""Plan changes through the HTTP API bill exact shares: fixed fees, flat amounts and minimums are
prorated to the second, and every line's quantity x unit price is its amount or its description says why."""

from __future__ import annotations

from datetime import UTC, datetime

from monk.kit.clock import FrozenClock
from monk.worker.runner import Worker
from tests.conftest import Api
from tests.e2e import scenario as s


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def _fee_plan(api: Api, code: str, fee: str) -> dict:
    price = await s.flat_price(api, f"{code.title()} Fee", fee)
    return await s.plan(api, code, [price["id"]])


async def _change(api: Api, contract_id: str, plan_id: str) -> None:
    r = await api.post(f"/v1/contracts/{contract_id}/change-plan", {"planId": plan_id, "changeOption": "immediate"})
    assert r.status_code == 200, r.text


async def test_changes_minutes_and_a_second_apart_bill_their_exact_shares(
    api: Api, worker: Worker, clock: FrozenClock,
) -> None:
    clock.set(at(2026, 1, 1))
    small, double, triple = (await _fee_plan(api, "small", "31.00"), await _fee_plan(api, "double", "62.00"),
                             await _fee_plan(api, "triple", "93.00"))
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], small["id"], "2026-01-01")
    clock.set(at(2026, 1, 1, 0, 10))
    await _change(api, c["id"], double["id"])
    jan = (await s.invoices(api, c["id"]))[0]
    # January = 2,678,400 s. $31 for 600 s: 0.006944 -> 0.01 (was a whole day: 1.00);
    # $62 for the rest: 62.00 - round(62 x 600 / 2,678,400 = 0.0139) = 61.99 (was 62.00). Total 62.00.
    assert s.lines(jan) == [("Small Fee", 1, 1), ("Double Fee", 1, 6199)] and jan["totalCents"] == 6200
    assert jan["lineItems"][0]["description"] == (
        "Prorated: 10 minutes of 31 days (600 of 2,678,400 seconds) × $31.00 = $0.01")
    clock.set(at(2026, 1, 1, 0, 10, 1))
    await _change(api, c["id"], triple["id"])
    jan = (await s.invoices(api, c["id"]))[0]
    # The one-second phase: round(62 x 601 / T = 0.0139) - round(62 x 600 / T) = 0.00 (was a whole day: 2.00);
    # $93 for the rest: 93.00 - round(93 x 601 / T = 0.0209) = 92.98. Total 0.01 + 0.00 + 92.98 = 92.99.
    assert s.lines(jan) == [("Small Fee", 1, 1), ("Double Fee", 1, 0), ("Triple Fee", 1, 9298)]
    assert jan["totalCents"] == 9299
    assert all(s.line_explained(li) for li in jan["lineItems"])
    await worker.drain()


async def test_minimums_are_prorated_across_a_mid_period_change(api: Api, worker: Worker, clock: FrozenClock) -> None:
    clock.set(at(2026, 1, 1))
    units = await s.meter(api, "UNITS", "units", "SUM", key="quantity")
    a = await s.usage_price(api, "A usage", units["id"], "1.00", minimumAmount="100.00")
    b = await s.usage_price(api, "B usage", units["id"], "2.00", minimumAmount="100.00")
    plan_a, plan_b = await s.plan(api, "a", [a["id"]]), await s.plan(api, "b", [b["id"]])
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], plan_a["id"], "2026-01-01", "2026-03-01")
    event = {"eventName": "units", "externalCustomerId": "corp", "properties": {"quantity": 5}}
    clock.set(at(2026, 1, 16, 12))  # 15.5 of January's 31 days: exactly half
    await s.send(api, [{**event, "idempotencyKey": "before", "timestamp": "2026-01-10T00:00:00Z"}])
    await worker.drain()
    await _change(api, c["id"], plan_b["id"])
    clock.set(at(2026, 1, 25))
    await s.send(api, [{**event, "idempotencyKey": "after", "timestamp": "2026-01-20T00:00:00Z",
                        "properties": {"quantity": 3}}])
    await worker.drain()
    feb = (await s.invoices(api, c["id"]))[1]
    # $11 of usage (5 x 1.00 + 3 x 2.00); each phase's minimum is half of $100:
    # A max(5.00, 50.00) = 50.00, B max(6.00, 50.00) = 50.00; total 100.00 (was 200.00).
    assert s.lines(feb) == [("A usage", 5, 5000), ("B usage", 3, 5000)] and feb["totalCents"] == 10000
    half = "15 days 12 hours of 31 days (1,339,200 of 2,678,400 seconds)"
    assert [li["description"] for li in feb["lineItems"]] == [
        f"5 units × $1.00/unit = $5.00; minimum $50.00 applies (minimum $100.00 prorated: {half})",
        f"3 units × $2.00/unit = $6.00; minimum $50.00 applies (minimum $100.00 prorated: {half})"]
    # March's invoice bills February, wholly on plan B: its whole minimum.
    march = (await s.invoices(api, c["id"]))[2]
    assert s.lines(march) == [("B usage", 0, 10000)]
    assert all(s.line_explained(li) for inv in await s.invoices(api, c["id"]) for li in inv["lineItems"])

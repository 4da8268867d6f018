"""Manual corrections (the ledger's ``adjustment`` entries): a block is corrected within its bounds
(never below 0, never able to overfill when its draws come back), the ledger still sums to the
balance, a restored block is drawn again by the open invoice. Through the HTTP API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.e2e import scenario as s


async def _contract(api: Api, clock: FrozenClock) -> dict[str, Any]:
    clock.set(datetime(2026, 3, 3, tzinfo=UTC))
    m = await s.meter(api, "API_CALL", "call_count")
    plan = await s.plan(api, "payg", [(await s.usage_price(api, "API Calls", m["id"], "1.00"))["id"]])
    alice = await s.customer(api, "Alice Apps", "alice")
    return await s.contract(api, alice["id"], plan["id"], "2026-03-01", "2026-06-01")


async def _adjust(api: Api, contract_id: str, **body: Any) -> Any:
    return await api.post(f"/v1/contracts/{contract_id}/credits/adjustments", {"description": "correction", **body})


async def test_adjustments_stay_within_the_block_and_the_ledger_sums_to_the_balance(
        api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _contract(api, clock)
    r = await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant",
                       {"amountCents": 10000, "expiresAt": "2026-12-31T00:00:00Z"})
    block = r.json()["data"]["id"]
    await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"c{i}",
                        "timestamp": "2026-03-02T10:00:00Z"} for i in range(30)])
    await worker.drain()  # $30 drawn: $70 left
    taken = await _adjust(api, c["id"], grantEntryId=block, amountCents=-2000, externalId="fix-1")
    assert taken.status_code == 201, taken.text
    entry = taken.json()["data"]
    assert (entry["type"], entry["amountCents"], entry["grantEntryId"], entry["balanceAfterCents"]) == \
        ("adjustment", -2000, block, 5000)
    again = await _adjust(api, c["id"], grantEntryId=block, amountCents=-2000, externalId="fix-1")
    assert again.json()["data"]["id"] == entry["id"]  # a retry writes nothing
    # $50 left and $30 drawn: at most $20 may come back, or the $30 given back later would overfill it.
    assert (await _adjust(api, c["id"], grantEntryId=block, amountCents=2001)).status_code == 400
    assert (await _adjust(api, c["id"], grantEntryId=block, amountCents=-5001)).status_code == 400
    assert (await _adjust(api, c["id"], grantEntryId="nope", amountCents=1)).status_code == 404
    assert (await _adjust(api, c["id"], grantEntryId=block, amountCents=0)).status_code == 400
    assert (await _adjust(api, c["id"], grantEntryId=block, creditAmount=1)).status_code == 400  # dollar wallet
    assert (await _adjust(api, c["id"], grantEntryId=block, amountCents=2000)).status_code == 201
    data = (await api.get(f"/v1/contracts/{c['id']}/credits/ledger")).json()["data"]
    balance = (await api.get(f"/v1/contracts/{c['id']}/credits/balance")).json()["data"]["balance"]["balanceCents"]
    assert balance == 7000 == sum(e["amountCents"] for e in data["entries"])
    assert [e["type"] for e in reversed(data["entries"])] == ["grant", "usage", "adjustment", "adjustment"]


async def test_a_block_emptied_by_hand_is_drawn_again_once_restored(api: Api, worker: Any,
                                                                     clock: FrozenClock) -> None:
    c = await _contract(api, clock)
    r = await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant",
                       {"amountCents": 5000, "expiresAt": "2026-12-31T00:00:00Z"})
    block = r.json()["data"]["id"]
    await worker.drain()
    assert (await _adjust(api, c["id"], grantEntryId=block, amountCents=-5000)).status_code == 201
    await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"c{i}",
                        "timestamp": "2026-03-02T10:00:00Z"} for i in range(30)])
    await worker.drain()
    april = next(i for i in await s.invoices(api, c["id"]) if i["invoiceDate"] == "2026-04-01")
    assert (april["creditsAppliedCents"], april["totalCents"]) == (0, 3000)  # nothing left to draw
    assert (await _adjust(api, c["id"], grantEntryId=block, amountCents=5000)).status_code == 201
    await worker.drain()
    april = next(i for i in await s.invoices(api, c["id"]) if i["invoiceDate"] == "2026-04-01")
    assert (april["creditsAppliedCents"], april["totalCents"]) == (3000, 0)
    clock.set(datetime(2027, 1, 2, tzinfo=UTC))
    await worker.drain()
    r = await _adjust(api, c["id"], grantEntryId=block, amountCents=-1)
    assert r.status_code == 409, r.text  # expired


async def test_another_organizations_key_finds_nothing(api: Api, worker: Any, clock: FrozenClock) -> None:
    c = await _contract(api, clock)
    r = await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant",
                       {"amountCents": 5000, "expiresAt": "2026-12-31T00:00:00Z"})
    block = r.json()["data"]["id"]
    invoice = (await s.invoices(api, c["id"]))[0]["id"]
    other = await api.new_key(["*"], org="other")
    for path, body in ((f"/v1/contracts/{c['id']}/credits/adjustments",
                        {"grantEntryId": block, "amountCents": -1, "description": "x"}),
                       (f"/v1/contracts/{c['id']}/credits/purchase", {"amountCents": 100}),
                       (f"/v1/invoices/{invoice}/approve", {})):
        r = await api.post(path, body, key=other)
        assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND", (path, r.text)
    balance = (await api.get(f"/v1/contracts/{c['id']}/credits/balance")).json()["data"]["balance"]
    assert balance["balanceCents"] == 5000  # nothing changed

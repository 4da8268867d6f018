"""Races have one winner: concurrent writes to one contract or one external id, each request on its
own client, session and transaction (``asyncio.gather`` over the ASGI app). On PostgreSQL they truly
overlap; on SQLite ``BEGIN IMMEDIATE`` serializes them, and the answers must be the same."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s

PARALLEL = 20


@pytest.fixture
async def clients(app: Any, api: Api) -> AsyncIterator[list[Api]]:
    """``PARALLEL`` independent HTTP clients over the same app, all with ``api``'s key."""
    made = [httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://monk.test")
            for _ in range(PARALLEL)]
    try:
        yield [Api(c, api.key) for c in made]
    finally:
        await asyncio.gather(*(c.aclose() for c in made))


def _customer_body(i: int, external_id: str) -> dict[str, Any]:
    return {"name": f"Racer {i}", "externalCustomerId": external_id,
            "contacts": [{"email": f"r{i}@race.example", "roles": ["accounts_payable"]}]}


async def test_parallel_creates_with_one_external_id_have_one_winner(api: Api, clients: list[Api]) -> None:
    got = await asyncio.gather(*(c.post("/v1/customers", _customer_body(i, "same")) for i, c in enumerate(clients)))
    assert Counter(r.status_code for r in got) == {201: 1, 409: PARALLEL - 1}, [r.text for r in got]
    for r in got:
        if r.status_code == 409:
            err = assert_error(r, 409, "CONFLICT")
            assert "'same' already exists" in err["message"]
    listed = (await api.get("/v1/customers", externalCustomerId="same")).json()
    assert listed["total"] == 1


async def test_parallel_patches_onto_one_external_id_have_one_winner(api: Api, clients: list[Api]) -> None:
    ids = [(await s.customer(api, f"C{i}", f"own-{i}"))["id"] for i in range(PARALLEL)]
    got = await asyncio.gather(*(c.patch(f"/v1/customers/{cid}", {"externalCustomerId": "taken"})
                                 for c, cid in zip(clients, ids, strict=True)))
    assert Counter(r.status_code for r in got) == {200: 1, 409: PARALLEL - 1}, [r.text for r in got]
    for r in got:
        if r.status_code == 409:
            assert_error(r, 409, "CONFLICT")
    assert (await api.get("/v1/customers", externalCustomerId="taken")).json()["total"] == 1
    # A loser kept its own external id.
    own = [r.json()["data"] for r in got if r.status_code == 200]
    assert len(own) == 1 and own[0]["metadata"]["externalCustomerId"] == "taken"


async def test_create_and_patch_racing_for_one_external_id(api: Api, clients: list[Api]) -> None:
    ids = [(await s.customer(api, f"C{i}", f"own-{i}"))["id"] for i in range(PARALLEL // 2)]
    calls = [c.patch(f"/v1/customers/{cid}", {"externalCustomerId": "x"}) for c, cid in zip(clients, ids, strict=False)]
    calls += [c.post("/v1/customers", _customer_body(i, "x")) for i, c in enumerate(clients[len(ids):])]
    got = await asyncio.gather(*calls)
    codes = Counter(r.status_code for r in got)
    assert codes[409] == PARALLEL - 1 and codes[200] + codes[201] == 1, [r.text for r in got]


async def _plans(api: Api) -> tuple[dict, dict, dict]:
    calls = await s.meter(api, "CALLS", "call")
    out = []
    for code, fee, rate in (("basic", "10.00", "0.10"), ("pro", "50.00", "0.08"), ("max", "90.00", "0.05")):
        f = await s.flat_price(api, f"{code} fee", fee)
        u = await s.usage_price(api, f"{code} calls", calls["id"], rate)
        out.append(await s.plan(api, code, [f["id"], u["id"]]))
    return out[0], out[1], out[2]


async def test_concurrent_cancels_have_one_winner(api: Api, clients: list[Api], clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 15, tzinfo=UTC))
    basic, _, _ = await _plans(api)
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], basic["id"], "2026-03-01")
    path = f"/v1/contracts/{c['id']}/cancel"
    bodies = [{"cancelAt": "end_of_period" if i % 2 else "immediate"} for i in range(8)]
    got = await asyncio.gather(*(cl.post(path, b) for cl, b in zip(clients, bodies, strict=False)))
    assert Counter(r.status_code for r in got) == {200: 1, 409: len(bodies) - 1}, [r.text for r in got]
    won = next(r.json()["data"] for r in got if r.status_code == 200)
    for r in got:
        if r.status_code == 409:
            err = assert_error(r, 409, "CONFLICT")
            assert "already cancelled" in err["message"]
            assert err["details"] == {"effectiveCancellationDate": won["effectiveCancellationDate"]}
    contract = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert contract["isActive"] is False
    expected_end = {"2026-03-31": "2026-04-01", "2026-03-15": "2026-03-16"}[won["effectiveCancellationDate"]]
    assert contract["endDate"] == expected_end
    statuses = Counter(i["status"] for i in await s.invoices(api, c["id"]))
    assert statuses["Cancelled"] == won["cancelledInvoiceCount"]


async def test_concurrent_plan_changes_apply_one_after_another(api: Api, clients: list[Api],
                                                              clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    basic, pro, top = await _plans(api)
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], basic["id"], "2026-03-01")
    clock.set(datetime(2026, 3, 10, tzinfo=UTC))
    path = f"/v1/contracts/{c['id']}/change-plan"
    bodies = [{"planId": (pro if i % 2 else top)["id"], "changeOption": "end_of_period"} for i in range(8)]
    got = await asyncio.gather(*(cl.post(path, b) for cl, b in zip(clients, bodies, strict=False)))
    # Each one replaces the change scheduled before it (same start): all succeed, one phase stays.
    assert all(r.status_code == 200 for r in got), [r.text for r in got]
    contract = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    starts = [ph["startsAt"][:10] for ph in contract["phases"]]
    assert starts == ["2026-03-01", "2026-04-01"], contract["phases"]
    # The April invoice bills the fee of the plan that ends up scheduled, once.
    april = (await s.invoices(api, c["id"]))[1]
    fees = [x for x in s.lines(april) if x[0].endswith(" fee")]
    scheduled = {pro["id"]: ("pro fee", 1, 5000), top["id"]: ("max fee", 1, 9000)}[contract["phases"][1]["planId"]]
    assert fees == [scheduled]


async def test_concurrent_immediate_plan_changes_leave_one_phase(api: Api, clients: list[Api],
                                                                clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    basic, pro, top = await _plans(api)
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], basic["id"], "2026-03-01")
    clock.set(datetime(2026, 3, 10, tzinfo=UTC))
    path = f"/v1/contracts/{c['id']}/change-plan"
    bodies = [{"planId": (pro if i % 2 else top)["id"], "changeOption": "immediate"} for i in range(6)]
    got = await asyncio.gather(*(cl.post(path, b) for cl, b in zip(clients, bodies, strict=False)))
    for r in got:  # a change to the plan the contract is already on is refused, never duplicated
        assert r.status_code == 200 or assert_error(r, 400, "VALIDATION_ERROR"), r.text
    contract = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert [ph["startsAt"][:10] for ph in contract["phases"]] == ["2026-03-01", "2026-03-10"], contract["phases"]
    assert contract["planId"] == contract["phases"][1]["planId"]

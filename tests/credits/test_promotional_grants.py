"""Promotional grants, the balance and the ledger through the API (reference §10.1–10.3), with the
documentation's numbers, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s

LATER = "2026-12-31T00:00:00Z"


async def _contract(api: Api, **extra: Any) -> dict[str, Any]:
    m = await s.meter(api, "API_CALL", "call_count")
    plan = await s.plan(api, "payg", [(await s.usage_price(api, "API Calls", m["id"], "0.10"))["id"]])
    alice = await s.customer(api, "Alice Apps", "alice")
    return await s.contract(api, alice["id"], plan["id"], "2026-01-01", **extra)


async def _grant(api: Api, contract_id: str, body: dict[str, Any]) -> dict[str, Any]:
    r = await api.post(f"/v1/contracts/{contract_id}/credits/promotional/grant", {"expiresAt": LATER, **body})
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def _wallet(api: Api, contract_id: str) -> dict[str, Any]:
    r = await api.get(f"/v1/contracts/{contract_id}/credits/balance")
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_no_wallet_is_zero_and_empty_not_404(api: Api) -> None:
    c = await _contract(api)
    wallet = await _wallet(api, c["id"])
    assert wallet["balance"]["balanceCents"] == 0 and wallet["balance"]["blockCount"] == 0 and wallet["blocks"] == []
    assert (await api.get(f"/v1/contracts/{c['id']}/credits/ledger")).json()["data"] == {"totalCount": 0,
                                                                                        "entries": []}


async def test_the_three_documented_modes(api: Api) -> None:
    dollars = await _contract(api)
    entry = await _grant(api, dollars["id"], {"amountCents": 50000, "description": "Launch promo"})
    assert (entry["type"], entry["amountCents"], entry["isPromotional"], entry["purchaseRateCents"]) == (
        "grant", 50000, True, 0)
    assert (entry["balanceAfterCents"], entry["creditAmount"], entry["creditBalanceAfter"]) == (50000, None, None)
    rated = await _grant(api, dollars["id"], {"creditRateCents": 100, "creditAmount": 500})
    assert (rated["amountCents"], rated["balanceAfterCents"]) == (50000, 100000)  # 100 × 500 cents
    assert_error(await api.post(f"/v1/contracts/{dollars['id']}/credits/promotional/grant", {
        "expiresAt": LATER, "creditRateCents": 0, "creditAmount": 500}), 400, "VALIDATION_ERROR")  # free: credit wallet


async def test_a_credit_wallet_counts_credits_at_its_rate(api: Api) -> None:
    c = await _contract(api, creditSettings={"walletMode": "credits", "creditRateCents": 32})
    paid_like = await _grant(api, c["id"], {"amountCents": 50000})  # $500 as 1,562.5 credits at 32 cents
    assert (paid_like["creditAmount"], paid_like["creditRateCents"], paid_like["creditBalanceAfter"]) == (
        1562.5, 32, 1562.5)
    free = await _grant(api, c["id"], {"creditRateCents": 0, "creditAmount": 500})
    assert (free["amountCents"], free["creditAmount"], free["creditBalanceAfter"]) == (0, 500, 2062.5)
    wallet = await _wallet(api, c["id"])
    assert wallet["balance"]["creditBalance"] == 2062.5
    assert wallet["balance"]["balanceCents"] == 66000  # 2,062.5 credits × 32 cents


@pytest.mark.parametrize("body, says", [
    ({"amountCents": 100, "creditRateCents": 1, "creditAmount": 1}, "not both"),
    ({}, "Provide either"),
    ({"creditRateCents": 100}, "go together"),
    ({"creditAmount": 5}, "go together"),
    ({"amountCents": -1}, "amountCents"),
    ({"creditRateCents": 1, "creditAmount": 0}, "creditAmount"),
    ({"amountCents": 100, "isPromotional": False}, "isPromotional"),
    ({"amountCents": 100, "expiresAt": "2026-01-01T00:00:00Z"}, "future"),
    ({"amountCents": 100, "expiresAt": None}, "expiresAt"),
    ({"amountCents": 100, "externalId": "x" * 256}, "externalId"),
])
async def test_documented_errors(api: Api, body: dict[str, Any], says: str, clock: FrozenClock) -> None:
    c = await _contract(api)
    r = await api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant", {"expiresAt": LATER, **body})
    assert says in assert_error(r, 400, "VALIDATION_ERROR")["message"]
    assert (await _wallet(api, c["id"]))["blocks"] == []


async def test_external_id_makes_a_grant_idempotent_even_at_the_same_moment(api: Api) -> None:
    c = await _contract(api)
    body = {"amountCents": 2500, "externalId": "promo-42", "metadata": {"campaign": "spring",
                                                                        "isPromotional": False, "deductionBatchId": 1}}
    first = await _grant(api, c["id"], body)
    assert first["metadata"] == {"campaign": "spring"}  # reserved keys stripped
    again = await _grant(api, c["id"], body)
    assert again == first
    both = await asyncio.gather(*(api.post(f"/v1/contracts/{c['id']}/credits/promotional/grant",
                                           {"expiresAt": LATER, "amountCents": 100, "externalId": "race"})
                                  for _ in range(4)))
    assert all(r.status_code in (201, 409) for r in both)
    ids = {r.json()["data"]["id"] for r in both if r.status_code == 201}
    assert len(ids) == 1
    assert (await _wallet(api, c["id"]))["balance"]["balanceCents"] == 2600


async def test_blocks_and_ledger(api: Api) -> None:
    c = await _contract(api)
    late = await _grant(api, c["id"], {"amountCents": 1000, "expiresAt": "2026-12-31T00:00:00Z"})
    soon = await _grant(api, c["id"], {"amountCents": 2000, "expiresAt": "2026-06-30T00:00:00Z"})
    wallet = await _wallet(api, c["id"])
    by_id = {b["id"]: b for b in wallet["blocks"]}
    assert (by_id[soon["id"]]["priority"], by_id[late["id"]]["priority"]) == (1, 2)  # soonest expiry first
    assert by_id[soon["id"]]["status"] == "active" and by_id[soon["id"]]["remainingCents"] == 2000
    assert by_id[soon["id"]]["daysUntilExpiry"] == 165  # 165.5 days from 2026-01-15 12:00 UTC, whole days
    ledger = (await api.get(f"/v1/contracts/{c['id']}/credits/ledger")).json()["data"]
    assert ledger["totalCount"] == 2 and [e["id"] for e in ledger["entries"]] == [soon["id"], late["id"]]
    assert ledger["entries"][0]["grantEntryId"] is None and ledger["entries"][0]["sourceType"] == "contract"


async def test_tenancy_and_scopes(api: Api) -> None:
    c = await _contract(api)
    other = await api.new_key(["*"], org="Other Org")
    reader = await api.new_key(["contracts:read"])
    url = f"/v1/contracts/{c['id']}/credits/promotional/grant"
    assert_error(await api.post(url, {"expiresAt": LATER, "amountCents": 1}, key=other), 404, "NOT_FOUND")
    assert_error(await api.get(f"/v1/contracts/{c['id']}/credits/balance", key=other), 404, "NOT_FOUND")
    assert_error(await api.post(url, {"expiresAt": LATER, "amountCents": 1}, key=reader), 403, "FORBIDDEN")
    assert (await api.get(f"/v1/contracts/{c['id']}/credits/ledger", key=reader)).status_code == 200

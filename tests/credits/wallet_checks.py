"""Checks of a contract's wallet through the API, shared by the credit property and race tests: the
ledger sums to the balance and, replayed per block, to each block's remainder; blocks stay within
[0, original]; each invoice's credits are what its ledger entries drew, never above its metered charges."""

from __future__ import annotations

from typing import Any

from tests.conftest import Api
from tests.e2e import scenario as s


async def ledger(api: Api, contract_id: str) -> list[dict[str, Any]]:
    """Every ledger entry, in pages of 3 (pagination must neither miss nor repeat one)."""
    out: list[dict[str, Any]] = []
    while True:
        data = (await api.get(f"/v1/contracts/{contract_id}/credits/ledger", limit=3, offset=len(out))).json()["data"]
        out.extend(data["entries"])
        if not data["entries"]:
            assert len(out) == data["totalCount"] and len({e["id"] for e in out}) == len(out)
            return out


async def check_invariants(api: Api, contract_id: str) -> tuple[int, list[tuple[str, int, int, int]]]:
    """Assert the wallet's invariants; return its balance and (date, subtotal, credits, due) per invoice."""
    wallet = (await api.get(f"/v1/contracts/{contract_id}/credits/balance")).json()["data"]
    entries = await ledger(api, contract_id)
    balance = wallet["balance"]["balanceCents"]
    assert sum(e["amountCents"] for e in entries) == balance, (balance, entries)
    per_block: dict[str, int] = {}
    for e in entries:
        block = e["id"] if e["type"] == "grant" else e["grantEntryId"]
        per_block[block] = per_block.get(block, 0) + e["amountCents"]
    blocks = {b["id"]: b for b in wallet["blocks"]}
    assert set(per_block) == set(blocks)
    for b in blocks.values():
        assert 0 <= b["remainingCents"] <= b["originalCents"], b
        assert per_block[b["id"]] == b["remainingCents"], (b, entries)
    assert balance == sum(b["remainingCents"] for b in blocks.values() if b["status"] == "active")
    invoices = await s.invoices(api, contract_id)
    drawn: dict[str, int] = {}
    for e in entries:
        if e["type"] in ("usage", "reversal"):
            drawn[e["invoiceId"]] = drawn.get(e["invoiceId"], 0) - e["amountCents"]
    for inv in invoices:
        metered = sum(li["totalAmountCents"] for li in inv["lineItems"] if li["isMetered"])
        assert 0 <= inv["creditsAppliedCents"] <= metered, inv
        assert inv["creditsAppliedCents"] == drawn.pop(inv["id"], 0), (inv, entries)
        assert inv["totalCents"] == inv["subtotalCents"] - inv["creditsAppliedCents"], inv
    assert not drawn, f"entries drew for invoices the contract does not have: {drawn}"
    return balance, [(i["invoiceDate"], i["subtotalCents"], i["creditsAppliedCents"], i["totalCents"])
                     for i in invoices]

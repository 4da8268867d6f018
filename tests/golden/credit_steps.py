"""Golden step kinds for prepaid credits (reference §10, concepts §12): grants and purchases that change
a contract's wallet, and expectations on its blocks and its ledger. Imported by the runner, so the
kinds register with :data:`tests.golden.runner.STEPS` wherever scenarios run.

* ``{"grant": {"contract": "c1", "amountCents": 5000, "expiresAt": "2026-12-31T00:00:00Z",
  "description": "promo"}}`` → ``POST /v1/contracts/{id}/credits/promotional/grant`` (201), then the
  worker drains (the grant pays overage already on open invoices). Instead of ``amountCents``:
  ``"creditRateCents"`` + ``"creditAmount"``. Any other key is sent as is.
* ``{"purchase": {"contract": "c1", "amountCents": 20000, "priceCents": 15000, "expiresAt": ...}}``
  (or ``"creditAmount"`` in a credit wallet) → ``POST /v1/contracts/{id}/credits/purchase`` (201),
  then the worker drains. The purchase is billed as a "Prepaid credits" line on the next invoice.
* ``{"adjust": {"contract": "c1", "block": "promo", "amountCents": -2000, "description": "clawback"}}``
  → ``POST /v1/contracts/{id}/credits/adjustments`` (201) on the block described ``block``, then the
  worker drains.
* ``{"wallet": {"contract": "c1", "balanceCents": 3000, "creditBalance": 93.75,
  "blocks": [[description, status, priority, remainingCents], ...]}}``: ``GET …/credits/balance``
  must show that balance (``creditBalance`` only when given) and exactly these blocks, in the API's
  order (oldest first).
* ``{"ledger": {"contract": "c1", "entries": [[type, amountCents, block description or None], ...]}}``:
  ``GET …/credits/ledger`` (every page) read oldest first must be exactly these entries; the third
  item is the description of the block the entry belongs to (its own block for a ``grant``, the
  ``grantEntryId`` block otherwise; None when the entry names no block).
"""

from __future__ import annotations

import pprint
from typing import Any

from tests.golden.runner import Run, step

LEDGER_PAGE = 100


def _show(value: Any) -> str:
    return pprint.pformat(value, width=118, sort_dicts=False)


def _body(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != "contract"}


@step("grant")
async def step_grant(run: Run, spec: dict[str, Any]) -> None:
    """A promotional grant (reference §10.1) to the local contract ``spec["contract"]``; then the worker drains."""
    contract_id = run.id_of("contracts", spec["contract"])
    r = await run.api.post(f"/v1/contracts/{contract_id}/credits/promotional/grant", _body(spec))
    assert r.status_code == 201, f"{run.scenario['name']}: grant: {r.text}"
    await run.worker.drain()


@step("purchase")
async def step_purchase(run: Run, spec: dict[str, Any]) -> None:
    """A paid top-up of the local contract ``spec["contract"]``; then the worker drains."""
    contract_id = run.id_of("contracts", spec["contract"])
    r = await run.api.post(f"/v1/contracts/{contract_id}/credits/purchase", _body(spec))
    assert r.status_code == 201, f"{run.scenario['name']}: purchase: {r.text}"
    await run.worker.drain()


@step("adjust")
async def step_adjust(run: Run, spec: dict[str, Any]) -> None:
    """A manual adjustment of the block described ``spec["block"]``; then the worker drains."""
    contract_id = run.id_of("contracts", spec["contract"])
    block = next(b["id"] for b in (await wallet_of(run, spec["contract"]))["blocks"]
                 if b["description"] == spec["block"])
    body = {"grantEntryId": block, **{k: v for k, v in spec.items() if k not in ("contract", "block")}}
    r = await run.api.post(f"/v1/contracts/{contract_id}/credits/adjustments", body)
    assert r.status_code == 201, f"{run.scenario['name']}: adjust: {r.text}"
    await run.worker.drain()


async def wallet_of(run: Run, contract: str) -> dict[str, Any]:
    """``GET …/credits/balance`` of the local contract ``contract``: ``{"balance", "blocks"}``."""
    r = await run.api.get(f"/v1/contracts/{run.id_of('contracts', contract)}/credits/balance")
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


async def ledger_of(run: Run, contract: str) -> list[dict[str, Any]]:
    """Every ledger entry of the local contract ``contract``, oldest first (all pages)."""
    newest_first: list[dict[str, Any]] = []
    while True:
        r = await run.api.get(f"/v1/contracts/{run.id_of('contracts', contract)}/credits/ledger",
                              limit=LEDGER_PAGE, offset=len(newest_first))
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        newest_first.extend(data["entries"])
        if not data["entries"] or len(newest_first) >= data["totalCount"]:
            assert len(newest_first) == data["totalCount"], "the ledger's pages miss or repeat entries"
            return newest_first[::-1]


@step("wallet")
async def step_wallet(run: Run, spec: dict[str, Any]) -> None:
    """The wallet's balance and its blocks ``[description, status, priority, remainingCents]``."""
    data = await wallet_of(run, spec["contract"])
    actual: dict[str, Any] = {"balanceCents": data["balance"]["balanceCents"]}
    if "creditBalance" in spec:
        actual["creditBalance"] = data["balance"]["creditBalance"]
    actual["blocks"] = [[b["description"], b["status"], b["priority"], b["remainingCents"]] for b in data["blocks"]]
    expected = {k: v for k, v in spec.items() if k != "contract"}
    assert actual == expected, f"contract {spec['contract']}: wallet\n{_show(actual)}\nexpected\n{_show(expected)}"


@step("ledger")
async def step_ledger(run: Run, spec: dict[str, Any]) -> None:
    """The ledger, oldest first, as ``[type, amountCents, description of the entry's block]``."""
    blocks = {b["id"]: b["description"] for b in (await wallet_of(run, spec["contract"]))["blocks"]}
    actual = []
    for e in await ledger_of(run, spec["contract"]):
        block_id = e["id"] if e["type"] == "grant" else e["grantEntryId"]
        actual.append([e["type"], e["amountCents"], blocks[block_id] if block_id is not None else None])
    assert actual == spec["entries"], \
        f"contract {spec['contract']}: ledger (oldest first)\n{_show(actual)}\nexpected\n{_show(spec['entries'])}"

"""Stored JSON shapes: the value-object loaders, and migration 0010 rewriting rows of the old
(camelCase) shape and back, on SQLite and PostgreSQL, with the API answering the same throughout."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command

from monk.app import create_app
from monk.billing.rating import Tier
from monk.kit.clock import FrozenClock
from monk.kit.columns import JSONType
from monk.kit.migrate import alembic_config
from monk.models.shapes import (
    CreditSettings,
    Override,
    RateEntry,
    dump_credit_settings,
    dump_overrides,
    dump_rate_entries,
    dump_tiers,
    load_credit_settings,
    load_overrides,
    load_rate_entries,
    load_tiers,
)
from monk.settings import Settings
from tests.conftest import Api
from tests.e2e import scenario as s

D = Decimal


def test_tiers_round_trip_as_canonical_strings() -> None:
    tiers = (Tier(D("0"), D("1000"), D("0.10"), D("0")), Tier(D("1000"), None, D("0.0500"), D("25")))
    stored = dump_tiers(tiers)
    assert stored == [{"min_qty": "0", "max_qty": "1000", "unit_amount": "0.10", "flat_amount": "0.00"},
                      {"min_qty": "1000", "max_qty": None, "unit_amount": "0.05", "flat_amount": "25.00"}]
    assert load_tiers(stored) == tiers
    assert load_tiers([{"min_qty": "0", "max_qty": "", "unit_amount": "1"}]) == (Tier(D(0), None, D(1), D(0)),)
    assert load_tiers(None) == ()
    with pytest.raises(KeyError):
        load_tiers([{"minQty": "0", "unitAmount": "1"}])  # the wire's shape is not a stored shape


def test_rate_entries_and_overrides_round_trip() -> None:
    entries = (RateEntry((("region", "US"), ("callOutcome", "ok")), D("2.5")),)
    stored = dump_rate_entries(entries)
    assert stored == [{"dimensions": {"region": "US", "callOutcome": "ok"}, "unit_amount": "2.50"}]
    assert load_rate_entries(stored) == (RateEntry((("region", "US"), ("callOutcome", "ok")), D("2.50")),)
    overrides = (Override("p1", "0.0080"), Override("p1", "0.0000001", (("model", "gpt-4"),)), Override("p2", "1", ()))
    stored = dump_overrides(overrides)
    assert stored == [{"base_pricing_id": "p1", "unit_amount": "0.0080"},
                      {"base_pricing_id": "p1", "unit_amount": "0.0000001", "dimensions": {"model": "gpt-4"}},
                      {"base_pricing_id": "p2", "unit_amount": "1", "dimensions": {}}]
    assert load_overrides(stored) == overrides
    assert overrides[1].unit_amount == D("1E-7") and overrides[1].unit_amount_text == "0.0000001"
    with pytest.raises(KeyError):
        load_overrides([{"basePricingId": "p1", "unitAmount": "1"}])


def test_credit_settings_keys_are_snake_case_at_the_top() -> None:
    stored = dump_credit_settings({"creditRateCents": 750, "lowBalance": {"notifyAt": 5, "LLM_TOKENS": 1}})
    assert stored == {"credit_rate_cents": 750, "low_balance": {"notifyAt": 5, "LLM_TOKENS": 1}}
    assert load_credit_settings(stored) == CreditSettings(750, {"low_balance": {"notifyAt": 5, "LLM_TOKENS": 1}})
    assert dump_credit_settings(None) is None and load_credit_settings(None) is None


# --- migration 0010 --------------------------------------------------------------------------------

COLUMNS = [("pricing", "tiers"), ("rate_cards", "entries"), ("contracts", "overrides"),
           ("contracts", "credit_settings")]


async def _stored(engine: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    async with engine.connect() as conn:
        for table, column in COLUMNS:
            t = sa.table(table, sa.column("id", sa.String()), sa.column("created_at"), sa.column(column, JSONType))
            rows = (await conn.execute(sa.select(t.c[column]).order_by(t.c.created_at, t.c.id))).scalars().all()
            out[f"{table}.{column}"] = [r for r in rows if r]
    return out


async def _answers(api: Api, ids: dict[str, str]) -> list[Any]:
    got = [(await api.get(f"/v1/pricing/{ids['pricing']}")).json(),
           (await api.get(f"/v1/meters/{ids['meter']}/rate-card")).json(),
           (await api.get(f"/v1/contracts/{ids['contract']}")).json(),
           (await api.get("/v1/invoices", contractId=ids["contract"], include="lineItems", limit=100)).json()]
    assert all("error" not in g for g in got), got
    return got


OLD = {
    "pricing.tiers": [[{"minQty": "0", "maxQty": "100", "unitAmount": "0.10", "flatAmount": "0.00"},
                       {"minQty": "100", "maxQty": None, "unitAmount": "0.05", "flatAmount": "5.00"}]],
    "rate_cards.entries": [[{"dimensions": {"region": "US", "call_outcome": "resolved"}, "unitAmount": "2.00"}]],
    "contracts.overrides": [[
        {"basePricingId": "<usage>", "unitAmount": "0.0080"},
        {"basePricingId": "<usage>", "unitAmount": "1.50", "dimensions": {"region": "EU", "call_outcome": "resolved"}},
    ]],
    "contracts.credit_settings": [{"walletMode": "credits", "creditRateCents": 750, "depletionBehavior": "auto_invoice",
                                   "lowBalanceThresholdCents": 500}],
}
NEW = {
    "pricing.tiers": [[{"min_qty": "0", "max_qty": "100", "unit_amount": "0.10", "flat_amount": "0.00"},
                       {"min_qty": "100", "max_qty": None, "unit_amount": "0.05", "flat_amount": "5.00"}]],
    "rate_cards.entries": [[{"dimensions": {"region": "US", "call_outcome": "resolved"}, "unit_amount": "2.00"}]],
    "contracts.overrides": [[
        {"base_pricing_id": "<usage>", "unit_amount": "0.0080"},
        {"base_pricing_id": "<usage>", "unit_amount": "1.50",
         "dimensions": {"region": "EU", "call_outcome": "resolved"}},
    ]],
    "contracts.credit_settings": [{"wallet_mode": "credits", "credit_rate_cents": 750,
                                   "depletion_behavior": "auto_invoice", "low_balance_threshold_cents": 500}],
}


def _with(shapes: dict[str, list[Any]], usage_id: str) -> dict[str, list[Any]]:
    def fill(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fill(x) for x in v]
        return usage_id if v == "<usage>" else v
    return fill(shapes)


async def test_migration_0010_rewrites_old_rows_and_back(database_url: str, clock: FrozenClock) -> None:
    config = alembic_config(database_url)
    application = create_app(Settings(database_url=database_url), clock=clock, run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://monk.test") as c:
        api = Api(c, "")
        api.key = await api.new_key(["*"])
        m = await s.meter(api, "AI_CALL", "ai_call", groupKeys=["region", "call_outcome"])
        tiered = await s.created(await api.post("/v1/pricing", {
            "productName": "Calls", "name": "Tiered", "model": "TIER", "billingMode": "RECURRING",
            "priceInterval": "MONTH", "tiering": "VOLUME", "meterId": m["id"], "pricingTiers": [
                {"minQty": "0", "maxQty": "100", "unitAmount": "0.10"},
                {"minQty": "100", "unitAmount": "0.05", "flatAmount": "5"}]}))
        usage = await s.usage_price(api, "Calls", m["id"], "3.00")
        r = await api.put(f"/v1/meters/{m['id']}/rate-card", {
            "rates": [{"dimensions": {"region": "US", "call_outcome": "resolved"}, "unitAmount": "2"}]})
        assert r.status_code == 200, r.text
        cust = await s.customer(api, "Corp", "corp")
        c_ = await s.contract(api, cust["id"], (await s.plan(api, "calls", [tiered["id"], usage["id"]]))["id"],
                              "2026-01-01", "2026-03-01",
                              overrides=[{"basePricingId": usage["id"], "unitAmount": "0.0080"}],
                              rateOverrides={"AI_CALL": {"region=EU,call_outcome=resolved": "1.5"}},
                              creditSettings={"creditRateCents": 750, "lowBalanceThresholdCents": 500})
        ids = {"pricing": tiered["id"], "meter": m["id"], "contract": c_["id"]}
        before = await _answers(api, ids)
        assert before[2]["data"]["overrides"] == [
            {"basePricingId": usage["id"], "unitAmount": "0.0080"},
            {"basePricingId": usage["id"], "unitAmount": "1.50",
             "dimensions": {"region": "EU", "call_outcome": "resolved"}}]
        engine = application.state.engine
        assert await _stored(engine) == _with(NEW, usage["id"])

        try:
            await asyncio.to_thread(command.downgrade, config, "0009")
            assert await _stored(engine) == _with(OLD, usage["id"])  # exactly what 0009's code wrote
            await asyncio.to_thread(command.upgrade, config, "head")
            assert await _stored(engine) == _with(NEW, usage["id"])
            assert await _answers(api, ids) == before
            # Rows written after the upgrade by the new code and rows rewritten by it read the same.
            r = await api.put(f"/v1/meters/{m['id']}/rate-card", {
                "rates": [{"dimensions": {"region": "US", "call_outcome": "resolved"}, "unitAmount": "2"}]})
            assert r.status_code == 200 and (await _answers(api, ids))[1]["data"]["rates"] == before[1]["data"]["rates"]
        finally:
            await asyncio.to_thread(command.upgrade, config, "head")  # leave the shared test database at head
    await application.state.engine.dispose()


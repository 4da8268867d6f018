"""Contract overrides on dimensional pricing (concepts §15): per-combination and plain overrides beat
the rate card; the enterprise guide's ``rateOverrides`` form; flat amounts and minimums of split usage."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from monk.kit.clock import FrozenClock
from monk.ratecards.service import normalize_rate_overrides, validate_overrides
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s
from tests.e2e.test_ratecards import CARD, calls, march_usage


async def _worked_example_usage(api: Api, worker, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    await s.send(api, calls(60, "US", "resolved", prefix="a") + calls(30, "US", "transferred", prefix="b")
                 + calls(10, "US", "escalated", prefix="c") + calls(50, "EU", "resolved", prefix="d")
                 + calls(5, "LATAM", "resolved", prefix="e"))
    await worker.drain()


async def test_per_combination_override_beats_the_card(api: Api, worker, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 2, 20, tzinfo=UTC))
    m = await s.meter(api, "AI_CALL", "ai_call", groupKeys=["region", "call_outcome"])
    assert (await api.put(f"/v1/meters/{m['id']}/rate-card", CARD)).status_code == 200
    p = await s.usage_price(api, "AI Calls", m["id"], "5.00")
    plan = await s.plan(api, "ai", [p["id"]])
    cust = await s.customer(api, "Acme", "acme")
    overrides = [
        {"basePricingId": p["id"], "unitAmount": "1.50", "dimensions": {"region": "US", "call_outcome": "resolved"}},
        {"basePricingId": p["id"], "unitAmount": "3.00", "dimensions": {"region": "LATAM", "call_outcome": "resolved"}},
    ]
    c = await s.contract(api, cust["id"], plan["id"], "2026-03-01", "2026-06-01", overrides=overrides)
    await _worked_example_usage(api, worker, clock)
    inv = await march_usage(api, c["id"])
    # US/resolved 60 x 1.50 (override) = 90; LATAM 5 x 3.00 (override beats the fallback) = 15; the rest card rates.
    assert sorted(s.lines(inv)) == [
        ("AI Calls - EU / resolved", 50, 12500),
        ("AI Calls - LATAM / resolved", 5, 1500),
        ("AI Calls - US / escalated", 10, 6000),
        ("AI Calls - US / resolved", 60, 9000),
        ("AI Calls - US / transferred", 30, 12000),
    ]
    assert inv["totalCents"] == 41000


async def test_plain_override_beats_the_card_for_every_combination(api: Api, worker, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 2, 20, tzinfo=UTC))
    m = await s.meter(api, "AI_CALL", "ai_call", groupKeys=["region", "call_outcome"])
    assert (await api.put(f"/v1/meters/{m['id']}/rate-card", CARD)).status_code == 200
    p = await s.usage_price(api, "AI Calls", m["id"], "5.00")
    plan = await s.plan(api, "ai", [p["id"]])
    cust = await s.customer(api, "Acme", "acme")
    overrides = [
        {"basePricingId": p["id"], "unitAmount": "1.00"},
        {"basePricingId": p["id"], "unitAmount": "0.50", "dimensions": {"region": "EU", "call_outcome": "resolved"}},
    ]
    c = await s.contract(api, cust["id"], plan["id"], "2026-03-01", "2026-06-01", overrides=overrides)
    await _worked_example_usage(api, worker, clock)
    inv = await march_usage(api, c["id"])
    # Every combination at 1.00, except EU/resolved whose own override (0.50) beats the plain one.
    assert sorted(s.lines(inv)) == [
        ("AI Calls - EU / resolved", 50, 2500),
        ("AI Calls - LATAM / resolved", 5, 500),
        ("AI Calls - US / escalated", 10, 1000),
        ("AI Calls - US / resolved", 60, 6000),
        ("AI Calls - US / transferred", 30, 3000),
    ]
    assert inv["totalCents"] == 13000
    assert {li["unitPrice"] for li in inv["lineItems"]} == {"1.00", "0.50"}


async def test_plain_override_on_a_meter_without_group_keys(api: Api, worker, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 2, 20, tzinfo=UTC))
    sms = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    p = await s.usage_price(api, "SMS", sms["id"], "0.045")
    plan = await s.plan(api, "sms", [p["id"]])
    a = await s.customer(api, "A", "a")
    b = await s.customer(api, "B", "b")
    ca = await s.contract(api, a["id"], plan["id"], "2026-03-01", "2026-05-01",
                          overrides=[{"basePricingId": p["id"], "unitAmount": "0.008"}])
    cb = await s.contract(api, b["id"], plan["id"], "2026-03-01", "2026-05-01")
    clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    await s.send(api, [{"eventName": "sms_sent", "externalCustomerId": x, "idempotencyKey": f"{x}-1",
                        "timestamp": "2026-03-05T00:00:00Z", "properties": {"quantity": 1000}} for x in ("a", "b")])
    await worker.drain()
    assert s.lines(await march_usage(api, ca["id"])) == [("SMS", 1000, 800)]
    assert s.lines(await march_usage(api, cb["id"])) == [("SMS", 1000, 4500)]


def _ns_meter(m: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(id=m["id"], group_keys=m["groupKeys"])


def _ns_pricing(p: dict[str, Any]) -> SimpleNamespace:
    return SimpleNamespace(id=p["id"], meter_id=p["meterId"], model=p["model"], tiering=p["tiering"])


async def test_enterprise_example_one_plan_three_deals(api: Api, worker, clock: FrozenClock) -> None:
    """Startup Inc keeps the defaults (gpt-4 0.03, gpt-3.5 0.002), Acme Corp gets gpt-4 at 0.02, Mega
    Enterprise gpt-4 at 0.015 and gpt-3.5 at 0.001 — all on the same Pro plan."""
    clock.set(datetime(2026, 2, 20, tzinfo=UTC))
    tokens = await s.meter(api, "LLM_TOKENS", "llm_call", "SUM", key="tokens", groupKeys=["model"])
    card = {"rates": [{"dimensions": {"model": "gpt-4"}, "unitAmount": "0.03"},
                      {"dimensions": {"model": "gpt-3.5"}, "unitAmount": "0.002"}]}
    assert (await api.put(f"/v1/meters/{tokens['id']}/rate-card", card)).status_code == 200
    fee = await s.flat_price(api, "Pro Platform Fee", "50.00")
    per_token = await s.usage_price(api, "LLM Tokens", tokens["id"], "0.05")
    pro = await s.plan(api, "pro", [fee["id"], per_token["id"]])
    deals = {
        "startup": None,
        "acme": {"LLM_TOKENS": {"model=gpt-4": 0.02}},
        "mega": {"LLM_TOKENS": {"model=gpt-4": "0.015", "model=gpt-3.5": "0.001"}},
    }
    contracts = {}
    for ext, rate_overrides in deals.items():
        cust = await s.customer(api, ext.title(), ext)
        extra = {"rateOverrides": rate_overrides} if rate_overrides else {}
        contracts[ext] = await s.contract(api, cust["id"], pro["id"], "2026-03-01", "2027-03-01", **extra)
    assert contracts["acme"]["overrides"] == [
        {"basePricingId": per_token["id"], "unitAmount": "0.02", "dimensions": {"model": "gpt-4"}}]

    clock.set(datetime(2026, 3, 20, tzinfo=UTC))
    events = []
    for ext in deals:
        for model, n in (("gpt-4", 1000), ("gpt-3.5", 10_000)):
            events.append({"eventName": "llm_call", "externalCustomerId": ext, "idempotencyKey": f"{ext}-{model}",
                           "timestamp": "2026-03-10T00:00:00Z", "properties": {"model": model, "tokens": n}})
    await s.send(api, events)
    await worker.drain()
    expected = {
        "startup": [("LLM Tokens - gpt-3.5", 10_000, 2000), ("LLM Tokens - gpt-4", 1000, 3000)],
        "acme": [("LLM Tokens - gpt-3.5", 10_000, 2000), ("LLM Tokens - gpt-4", 1000, 2000)],
        "mega": [("LLM Tokens - gpt-3.5", 10_000, 1000), ("LLM Tokens - gpt-4", 1000, 1500)],
    }
    bad = {"customerId": contracts["acme"]["customerId"], "planId": pro["id"], "startDate": "2026-03-01"}
    for rate_overrides in ({"NOPE": {"model=gpt-4": 0.02}}, {"LLM_TOKENS": {"modelgpt-4": 0.02}},
                           {"LLM_TOKENS": {"region=US": 0.02}}, {"LLM_TOKENS": {"model=gpt-4": "cheap"}}):
        assert_error(await api.post("/v1/contracts", {**bad, "rateOverrides": rate_overrides}), 400, "VALIDATION_ERROR")
    for ext, usage in expected.items():
        inv = await march_usage(api, contracts[ext]["id"])
        assert s.lines(inv) == [("Pro Platform Fee", 1, 5000), *usage], ext
        assert inv["totalCents"] == 5000 + sum(c for _, _, c in usage)
    by_name = {li["name"]: li for li in (await march_usage(api, contracts["mega"]["id"]))["lineItems"]}
    assert by_name["LLM Tokens - gpt-4"]["unitPrice"] == "0.015"
    assert by_name["LLM Tokens - gpt-3.5"]["unitPrice"] == "0.001"


# --- normalize_rate_overrides (pure) ---------------------------------------------------------------

TOKENS = SimpleNamespace(id="m-tokens", group_keys=["model"])
CALLS = SimpleNamespace(id="m-calls", group_keys=["region", "call_outcome"])
PLAIN = SimpleNamespace(id="m-plain", group_keys=[])
METERS = {"LLM_TOKENS": TOKENS, "AI_CALL": CALLS, "PLAIN": PLAIN,
          "UNPRICED": SimpleNamespace(id="m-x", group_keys=["k"])}
PLAN = [
    SimpleNamespace(id="p-fee", meter_id=None, model="FLAT", tiering="NONE"),
    SimpleNamespace(id="p-tokens", meter_id="m-tokens", model="USAGE", tiering="NONE"),
    SimpleNamespace(id="p-calls", meter_id="m-calls", model="USAGE", tiering="NONE"),
    SimpleNamespace(id="p-calls-2", meter_id="m-calls", model="USAGE", tiering="NONE"),
    SimpleNamespace(id="p-calls-tiered", meter_id="m-calls", model="TIER", tiering="VOLUME"),
    SimpleNamespace(id="p-plain", meter_id="m-plain", model="USAGE", tiering="NONE"),
]


def test_normalize_rate_overrides_output() -> None:
    out = normalize_rate_overrides(
        {"LLM_TOKENS": {"model=gpt-4": 0.02, "model=o1": 1, "model=tiny": 1e-05},
         "AI_CALL": {"call_outcome=resolved, region=US": "1.5000"}},
        METERS, PLAN)
    assert out == [
        {"basePricingId": "p-tokens", "unitAmount": "0.02", "dimensions": {"model": "gpt-4"}},
        {"basePricingId": "p-tokens", "unitAmount": "1.00", "dimensions": {"model": "o1"}},
        {"basePricingId": "p-tokens", "unitAmount": "0.00001", "dimensions": {"model": "tiny"}},
        # one per untiered pricing of the plan on the meter, dimensions in groupKeys order
        {"basePricingId": "p-calls", "unitAmount": "1.50", "dimensions": {"region": "US", "call_outcome": "resolved"}},
        {"basePricingId": "p-calls-2", "unitAmount": "1.50",
         "dimensions": {"region": "US", "call_outcome": "resolved"}},
    ]
    assert normalize_rate_overrides({}, METERS, PLAN) == []


@pytest.mark.parametrize(("rate_overrides", "message"), [
    ({"NOPE": {"model=gpt-4": "0.02"}}, "rateOverrides.NOPE: unknown meter code 'NOPE'"),
    ({"LLM_TOKENS": {}}, "rateOverrides.LLM_TOKENS: must be a non-empty object"),
    ({"LLM_TOKENS": "0.02"}, "rateOverrides.LLM_TOKENS: must be a non-empty object"),
    ({"LLM_TOKENS": {"model": "0.02"}}, "rateOverrides.LLM_TOKENS['model']: malformed dimension 'model'"),
    ({"LLM_TOKENS": {"model=": "0.02"}}, "malformed dimension"),
    ({"LLM_TOKENS": {"=gpt-4": "0.02"}}, "malformed dimension"),
    ({"LLM_TOKENS": {"model=a,model=b": "0.02"}}, "appears twice"),
    ({"LLM_TOKENS": {"engine=gpt-4": "0.02"}}, "must name exactly the meter's groupKeys (model)"),
    ({"AI_CALL": {"region=US": "0.02"}}, "must name exactly the meter's groupKeys (region, call_outcome)"),
    ({"LLM_TOKENS": {"model=gpt-4": "-0.02"}}, "is not a non-negative decimal"),
    ({"LLM_TOKENS": {"model=gpt-4": "abc"}}, "is not a non-negative decimal"),
    ({"LLM_TOKENS": {"model=gpt-4": "1e-3"}}, "is not a non-negative decimal"),
    ({"LLM_TOKENS": {"model=gpt-4": -1}}, "must not be negative"),
    ({"LLM_TOKENS": {"model=gpt-4": float("nan")}}, "finite"),
    ({"LLM_TOKENS": {"model=gpt-4": True}}, "must be a decimal string or a number"),
    ({"LLM_TOKENS": {"model=gpt-4": None}}, "must be a decimal string or a number"),
    ({"LLM_TOKENS": {"model=gpt-4": "0.0000000000001"}}, "at most 12 decimal places"),
    ({"PLAIN": {"a=b": "1"}}, "meter 'PLAIN' has no groupKeys"),
    ({"UNPRICED": {"k=v": "1"}}, "the plan has no usage pricing on meter 'UNPRICED'"),
    ([("LLM_TOKENS", {})], "rateOverrides: must be an object"),
])
def test_normalize_rate_overrides_errors(rate_overrides: Any, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        normalize_rate_overrides(rate_overrides, METERS, PLAN)
    assert message in str(exc.value)


def test_normalize_rate_overrides_refuses_tier_only_meters() -> None:
    plan = [SimpleNamespace(id="p", meter_id="m-calls", model="TIER", tiering="GRADUATED")]
    with pytest.raises(ValueError, match="tiers only"):
        normalize_rate_overrides({"AI_CALL": {"region=US,call_outcome=x": "1"}}, METERS, plan)


# --- validate_overrides (pure) ----------------------------------------------------------------------

METERS_BY_ID = {"m-tokens": TOKENS, "m-calls": CALLS, "m-plain": PLAIN}


def test_validate_overrides_accepts_what_can_take_effect() -> None:
    ok = [{"basePricingId": "p-tokens", "unitAmount": "0.02", "dimensions": {"model": "gpt-4"}},
          {"basePricingId": "p-tokens", "unitAmount": "0.01"},
          {"basePricingId": "p-calls", "unitAmount": "1", "dimensions": {"call_outcome": "x", "region": "US"}},
          {"basePricingId": "p-plain", "unitAmount": "0.008", "dimensions": {}}]
    assert validate_overrides(ok, PLAN, METERS_BY_ID) is None
    assert validate_overrides([], PLAN, METERS_BY_ID) is None


@pytest.mark.parametrize(("overrides", "message"), [
    ([{"basePricingId": "nope", "unitAmount": "1"}], "overrides[0]: basePricingId 'nope' is not a pricing of the plan"),
    ([{"basePricingId": "p-fee", "unitAmount": "1"}], "overrides[0]: pricing 'p-fee' is FLAT/NONE"),
    ([{"basePricingId": "p-calls-tiered", "unitAmount": "1"}], "is TIER/VOLUME"),
    ([{"basePricingId": "p-plain", "unitAmount": "1", "dimensions": {"a": "b"}}], "has no groupKeys"),
    ([{"basePricingId": "p-calls", "unitAmount": "1", "dimensions": {"region": "US"}}],
     "overrides[0].dimensions: keys must be exactly the meter's groupKeys (region, call_outcome)"),
    ([{"basePricingId": "p-tokens", "unitAmount": "1", "dimensions": {"model": ""}}], "non-empty strings"),
    ([{"basePricingId": "p-tokens", "unitAmount": "1"}, {"basePricingId": "p-tokens", "unitAmount": "2"}],
     "overrides[1]: repeats overrides[0]"),
])
def test_validate_overrides_errors(overrides: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError) as exc:
        validate_overrides(overrides, PLAN, METERS_BY_ID)
    assert message in str(exc.value)

"""Dimensions, rate cards and contract overrides (concepts §9, reference §9.1).

A meter with group keys bills one line per value combination ("<pricing> - <value> / <value>", ordered
by the combination's values in groupKeys order). The unit price of a combination line is, first that
applies: a contract override for the combination, a contract override for the whole pricing, the
meter's rate-card entry, the rate card's fallback, the pricing's unitAmount. With dimensions, the
pricing's flatAmount and the shortfall below its minimumAmount go on one more line named like the
pricing: one charge, quantity 1 at that amount.
"""

from __future__ import annotations

from typing import Any

SMS_METER = {"aggregationType": "SUM", "aggregationKey": "quantity", "eventTypeFilter": {"include": ["sms_sent"]}}


def _ai(key: str, region: str, outcome: str, minutes: int) -> dict[str, Any]:
    return {"eventName": "ai_call", "customer": "acme", "idempotencyKey": key, "timestamp": "2026-01-20T00:00:00Z",
            "properties": {"region": region, "call_outcome": outcome, "duration_minutes": minutes}}


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "group-keys-one-line-per-combination",
        "doc": "A meter grouped by region and outcome: one usage line per combination (no rate card: the "
               "pricing's unit rate), ordered by dimension values; a period without usage has one zero line.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"ai": {"code": "AI_CALL", "aggregationType": "SUM", "aggregationKey": "duration_minutes",
                          "groupKeys": ["region", "call_outcome"], "eventTypeFilter": {"include": ["ai_call"]}}},
        "pricing": {"ai": {"name": "AI Calls", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.20",
                           "meter": "ai"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["ai"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-03-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_ai("a", "US", "resolved", 10), _ai("b", "US", "resolved", 5),
                        _ai("c", "US", "escalated", 3), _ai("d", "EU", "resolved", 7)]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 0, "lines": []},
                # EU/resolved 7 min x 0.20 = 1.40; US/escalated 3 x 0.20 = 0.60; US/resolved (10 + 5) x 0.20 = 3.00
                # total 5.00
                {"date": "2026-02-01", "total": 500, "lines": [
                    ["AI Calls - EU / resolved", 7, 140, {"dimensions": {"region": "EU", "call_outcome": "resolved"}}],
                    ["AI Calls - US / escalated", 3, 60],
                    ["AI Calls - US / resolved", 15, 300]]},
                {"date": "2026-03-01", "total": 0, "lines": [["AI Calls", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "contract-override-unit-amount",
        "doc": "Reference §9.1 overrides {basePricingId, unitAmount}: the contract's usage is rated at the "
               "override; another contract on the same plan keeps the list price.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"sms": {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.045",
                            "meter": "sms"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme", "beta"],
        "contracts": {
            "list": {"customer": "beta", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-02-01"},
            "negotiated": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-02-01",
                           "overrides": [{"basePricingId": "sms", "unitAmount": "0.030"}]},
        },
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": "a",
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"quantity": 400}},
                {"eventName": "sms_sent", "customer": "beta", "idempotencyKey": "b",
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"quantity": 400}},
            ]},
            # list price: 400 x 0.045 = 18.00
            {"expect": {"contract": "list", "invoices": [
                {"date": "2026-01-01", "total": 0, "lines": []},
                {"date": "2026-02-01", "total": 1800, "lines": [["SMS", 400, 1800]]}]}},
            # override: 400 x 0.030 = 12.00
            {"expect": {"contract": "negotiated", "invoices": [
                {"date": "2026-01-01", "total": 0, "lines": []},
                {"date": "2026-02-01", "total": 1200, "lines": [["SMS", 400, 1200, {"unitPrice": "0.03"}]]}]}},
        ],
    },
    {
        "name": "rate-card-worked-example-and-overrides",
        "doc": "Concepts §9's worked example ($425.00) on the list price; a negotiated contract with an "
               "override for one combination, a combination only the fallback rate covers, and a minimum.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"ai": {"code": "AI_CALL", "aggregationType": "COUNT", "groupKeys": ["region", "call_outcome"],
                          "eventTypeFilter": {"include": ["ai_call"]}}},
        "rateCards": {"ai": {"fallbackRate": "4.00", "rates": [
            {"dimensions": {"region": "US", "call_outcome": "resolved"}, "unitAmount": "2.00"},
            {"dimensions": {"region": "US", "call_outcome": "transferred"}, "unitAmount": "4.00"},
            {"dimensions": {"region": "US", "call_outcome": "escalated"}, "unitAmount": "6.00"},
            {"dimensions": {"region": "EU", "call_outcome": "resolved"}, "unitAmount": "2.50"},
            {"dimensions": {"region": "EU", "call_outcome": "transferred"}, "unitAmount": "5.00"},
            {"dimensions": {"region": "EU", "call_outcome": "escalated"}, "unitAmount": "7.50"},
            {"dimensions": {"region": "APAC", "call_outcome": "resolved"}, "unitAmount": "3.00"},
            {"dimensions": {"region": "APAC", "call_outcome": "transferred"}, "unitAmount": "6.00"},
            {"dimensions": {"region": "APAC", "call_outcome": "escalated"}, "unitAmount": "9.00"}]}},
        # unitAmount 9.99 is the last resort only: every combination here has an entry or the fallback
        "pricing": {"ai": {"name": "AI Calls", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "9.99",
                           "minimumAmount": "400.00", "meter": "ai"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["ai"]}},
        "customers": ["acme", "beta"],
        "contracts": {
            "list": {"customer": "beta", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-02-01"},
            "negotiated": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-02-01",
                           "overrides": [{"basePricingId": "ai", "unitAmount": "1.50",
                                          "dimensions": {"region": "US", "call_outcome": "resolved"}}]},
        },
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "ai_call", "customer": "beta", "idempotencyKey": "b-us-res", "repeat": 60,
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"region": "US", "call_outcome": "resolved"}},
                {"eventName": "ai_call", "customer": "beta", "idempotencyKey": "b-us-tra", "repeat": 30,
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"region": "US", "call_outcome": "transferred"}},
                {"eventName": "ai_call", "customer": "beta", "idempotencyKey": "b-us-esc", "repeat": 10,
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"region": "US", "call_outcome": "escalated"}},
                {"eventName": "ai_call", "customer": "beta", "idempotencyKey": "b-eu-res", "repeat": 50,
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"region": "EU", "call_outcome": "resolved"}},
                {"eventName": "ai_call", "customer": "acme", "idempotencyKey": "a-us-res", "repeat": 60,
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"region": "US", "call_outcome": "resolved"}},
                {"eventName": "ai_call", "customer": "acme", "idempotencyKey": "a-eu-esc", "repeat": 10,
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"region": "EU", "call_outcome": "escalated"}},
                {"eventName": "ai_call", "customer": "acme", "idempotencyKey": "a-apac-cb", "repeat": 5,
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"region": "APAC", "call_outcome": "callback"}},
            ]},
            {"at": "2026-02-01T02:00:00Z"},
            # EU/resolved 50 x 2.50 = 125.00; US/escalated 10 x 6.00 = 60.00; US/resolved 60 x 2.00 = 120.00;
            # US/transferred 30 x 4.00 = 120.00 -> 425.00 >= minimum 400.00, no top-up line
            {"expect": {"contract": "list", "invoices": [
                {"date": "2026-01-01", "total": 0, "lines": []},
                {"date": "2026-02-01", "total": 42500, "lines": [
                    ["AI Calls - EU / resolved", 50, 12500, {"unitPrice": "2.50"}],
                    ["AI Calls - US / escalated", 10, 6000],
                    ["AI Calls - US / resolved", 60, 12000],
                    ["AI Calls - US / transferred", 30, 12000]]}]}},
            # APAC/callback has no entry -> fallback 5 x 4.00 = 20.00; EU/escalated 10 x 7.50 = 75.00;
            # US/resolved at the override 60 x 1.50 = 90.00; usage 185.00 < 400.00 -> top-up 215.00
            {"expect": {"contract": "negotiated", "invoices": [
                {"date": "2026-01-01", "total": 0, "lines": []},
                {"date": "2026-02-01", "total": 40000, "lines": [
                    ["AI Calls - APAC / callback", 5, 2000, {"unitPrice": "4.00"}],
                    ["AI Calls - EU / escalated", 10, 7500],
                    ["AI Calls - US / resolved", 60, 9000, {"unitPrice": "1.50"}],
                    # the top-up is one charge: 1 x 215.00 (not 0 units at the fallback rate)
                    ["AI Calls", 1, 21500, {"unitPrice": "215.00"}]]}]}},
        ],
    },
]

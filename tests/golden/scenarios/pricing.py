"""Pricing models x tiering x aggregation, flat amounts, and rounding once per line.

Tier semantics (Stripe's inclusive "up to"): a tier covers minQty < q <= maxQty, the first tier also
q = 0. VOLUME prices all units at the tier holding the total and adds that tier's flatAmount; GRADUATED
prices every slice at its own tier and adds the flatAmount of every tier touched. A pricing's own
flatAmount is added on top; each line is rounded once to cents, half-up.

Every contract here bills usage only, so the first invoice (no usage period yet) is empty.
"""

from __future__ import annotations

from typing import Any

# The issue's ladder: 0-1000 at $0.10, above 1000 at $0.05.
ISSUE_TIERS = [
    {"minQty": "0", "maxQty": "1000", "unitAmount": "0.10"},
    {"minQty": "1000", "unitAmount": "0.05"},
]

# The matrix ladder, with tier flat amounts so VOLUME and GRADUATED differ everywhere:
#   VOLUME    q <= 10: q x 1.00 | 10 < q <= 20: q x 0.50 + 2.00 | q > 20: q x 0.25 + 3.00
#   GRADUATED q <= 10: q x 1.00 | 10 < q <= 20: 10 + (q-10) x 0.50 + 2.00 | q > 20: 17 + (q-20) x 0.25 + 3.00
LADDER = [
    {"minQty": "0", "maxQty": "10", "unitAmount": "1.00"},
    {"minQty": "10", "maxQty": "20", "unitAmount": "0.50", "flatAmount": "2.00"},
    {"minQty": "20", "unitAmount": "0.25", "flatAmount": "3.00"},
]


def _matrix_pricing(meter: str, *, tier_volume_explicit: bool = True) -> dict[str, dict[str, Any]]:
    """The five metered pricings of the matrix, all on ``meter``: USAGE x {NONE, VOLUME, GRADUATED} and
    TIER x {VOLUME, GRADUATED} (TIER's tiering defaults to VOLUME when omitted)."""
    tier_volume: dict[str, Any] = {"name": "Tier volume", "model": "TIER", "billingMode": "RECURRING",
                                   "pricingTiers": LADDER, "meter": meter}
    if tier_volume_explicit:
        tier_volume["tiering"] = "VOLUME"
    return {
        "per-unit": {"name": "Per unit", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.40",
                     "meter": meter},
        "usage-volume": {"name": "Usage volume", "model": "USAGE", "billingMode": "RECURRING", "tiering": "VOLUME",
                         "pricingTiers": LADDER, "meter": meter},
        "usage-graduated": {"name": "Usage graduated", "model": "USAGE", "billingMode": "RECURRING",
                            "tiering": "GRADUATED", "pricingTiers": LADDER, "meter": meter},
        "tier-volume": tier_volume,
        "tier-graduated": {"name": "Tier graduated", "model": "TIER", "billingMode": "RECURRING",
                           "tiering": "GRADUATED", "pricingTiers": LADDER, "meter": meter},
    }


MATRIX_PLAN = {"billingFrequency": "MONTHLY",
               "pricing": ["per-unit", "usage-volume", "usage-graduated", "tier-volume", "tier-graduated"]}
MATRIX_CONTRACT = {"c1": {"customer": "acme", "plan": "matrix", "startDate": "2026-01-01", "endDate": "2026-03-01"}}
EMPTY_FIRST = {"date": "2026-01-01", "total": 0, "lines": []}


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "issue-tiers-volume-vs-graduated-1500",
        "doc": "The issue's worked tier numbers at Q = 1500, and the inclusive boundary Q = 1000.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"units": {"aggregationType": "SUM", "aggregationKey": "quantity",
                             "eventTypeFilter": {"include": ["api_units"]}}},
        "pricing": {
            "vol": {"name": "Units (volume)", "model": "USAGE", "billingMode": "RECURRING", "tiering": "VOLUME",
                    "pricingTiers": ISSUE_TIERS, "meter": "units"},
            "grad": {"name": "Units (graduated)", "model": "USAGE", "billingMode": "RECURRING",
                     "tiering": "GRADUATED", "pricingTiers": ISSUE_TIERS, "meter": "units"},
        },
        "plans": {"tiers": {"billingFrequency": "MONTHLY", "pricing": ["vol", "grad"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "tiers", "startDate": "2026-01-01",
                             "endDate": "2026-03-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "api_units", "customer": "acme", "idempotencyKey": "jan-1",
                 "timestamp": "2026-01-05T10:00:00Z", "properties": {"quantity": 500}},
                {"eventName": "api_units", "customer": "acme", "idempotencyKey": "jan-2",
                 "timestamp": "2026-01-10T10:00:00Z", "properties": {"quantity": 500}},
                {"eventName": "api_units", "customer": "acme", "idempotencyKey": "jan-3",
                 "timestamp": "2026-01-15T10:00:00Z", "properties": {"quantity": 500}},
            ]},
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [{"eventName": "api_units", "customer": "acme", "idempotencyKey": "feb-1",
                         "timestamp": "2026-02-20T10:00:00Z", "properties": {"quantity": 1000}}]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                # January Q = 1500:
                # VOLUME: 1500 is in tier 2 (1000 < q) -> 1500 x 0.05 = 75.00 (effective unit price 0.05)
                # GRADUATED: 1000 x 0.10 + 500 x 0.05 = 100.00 + 25.00 = 125.00
                {"date": "2026-02-01", "total": 20000, "lines": [
                    ["Units (volume)", 1500, 7500, {"unitPrice": "0.05", "period": "2026-01-01..2026-01-31"}],
                    ["Units (graduated)", 1500, 12500]]},
                # February Q = 1000 (inclusive upper bound of tier 1):
                # VOLUME 1000 x 0.10 = 100.00; GRADUATED 1000 x 0.10 = 100.00 (tier 2 not touched)
                {"date": "2026-03-01", "total": 20000, "lines": [
                    ["Units (volume)", 1000, 10000], ["Units (graduated)", 1000, 10000]]},
            ]}},
        ],
    },
    {
        "name": "matrix-count",
        "doc": "COUNT meter through the five metered pricings; an event of another name is not counted.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"req": {"aggregationType": "COUNT", "eventTypeFilter": {"include": ["request"]}}},
        "pricing": _matrix_pricing("req", tier_volume_explicit=False),
        "plans": {"matrix": MATRIX_PLAN},
        "customers": ["acme"],
        "contracts": MATRIX_CONTRACT,
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "request", "customer": "acme", "idempotencyKey": "jan", "repeat": 25,
                 "timestamp": "2026-01-20T08:00:00Z"},
                {"eventName": "page_view", "customer": "acme", "idempotencyKey": "noise",
                 "timestamp": "2026-01-20T08:00:00Z"},
            ]},
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [{"eventName": "request", "customer": "acme", "idempotencyKey": "feb", "repeat": 10,
                         "timestamp": "2026-02-27T08:00:00Z"}]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                # January Q = 25 events:
                # per unit 25 x 0.40 = 10.00
                # VOLUME tier 3: 25 x 0.25 + 3.00 = 9.25
                # GRADUATED 10 x 1.00 + 10 x 0.50 + 2.00 + 5 x 0.25 + 3.00 = 10 + 5 + 2 + 1.25 + 3 = 21.25
                # total 10.00 + 9.25 + 21.25 + 9.25 + 21.25 = 71.00
                {"date": "2026-02-01", "total": 7100, "lines": [
                    ["Per unit", 25, 1000], ["Usage volume", 25, 925], ["Usage graduated", 25, 2125],
                    ["Tier volume", 25, 925], ["Tier graduated", 25, 2125]]},
                # February Q = 10 (tier 1's inclusive max): per unit 4.00; VOLUME 10 x 1.00 = 10.00;
                # GRADUATED 10 x 1.00 = 10.00 (tier 2 untouched, no flat); total 4 + 10 x 4 = 44.00
                {"date": "2026-03-01", "total": 4400, "lines": [
                    ["Per unit", 10, 400], ["Usage volume", 10, 1000], ["Usage graduated", 10, 1000],
                    ["Tier volume", 10, 1000], ["Tier graduated", 10, 1000]]},
            ]}},
            {"unmatched": {"noise": "NO_MATCHING_METER"}},
        ],
    },
    {
        "name": "matrix-sum",
        "doc": "SUM meter (int, float and string values) through the five metered pricings.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"gb": {"aggregationType": "SUM", "aggregationKey": "gb",
                          "eventTypeFilter": {"include": ["storage"]}}},
        "pricing": _matrix_pricing("gb"),
        "plans": {"matrix": MATRIX_PLAN},
        "customers": ["acme"],
        "contracts": MATRIX_CONTRACT,
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "storage", "customer": "acme", "idempotencyKey": "a",
                 "timestamp": "2026-01-02T00:00:00Z", "properties": {"gb": 12.5}},
                {"eventName": "storage", "customer": "acme", "idempotencyKey": "b",
                 "timestamp": "2026-01-03T00:00:00Z", "properties": {"gb": "7.5"}},
                {"eventName": "storage", "customer": "acme", "idempotencyKey": "c",
                 "timestamp": "2026-01-04T00:00:00Z", "properties": {"gb": 5}},
            ]},
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [
                {"eventName": "storage", "customer": "acme", "idempotencyKey": "d",
                 "timestamp": "2026-02-04T00:00:00Z", "properties": {"gb": "10.5"}},
            ]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                # January Q = 12.5 + 7.5 + 5 = 25: same as matrix-count's 25 -> 71.00
                {"date": "2026-02-01", "total": 7100, "lines": [
                    ["Per unit", 25, 1000], ["Usage volume", 25, 925], ["Usage graduated", 25, 2125],
                    ["Tier volume", 25, 925], ["Tier graduated", 25, 2125]]},
                # February Q = 10.5 (tier 2):
                # per unit 10.5 x 0.40 = 4.20
                # VOLUME 10.5 x 0.50 + 2.00 = 5.25 + 2.00 = 7.25
                # GRADUATED 10 x 1.00 + 0.5 x 0.50 + 2.00 = 10 + 0.25 + 2 = 12.25
                # total 4.20 + 7.25 + 12.25 + 7.25 + 12.25 = 43.20
                {"date": "2026-03-01", "total": 4320, "lines": [
                    ["Per unit", 10.5, 420], ["Usage volume", 10.5, 725], ["Usage graduated", 10.5, 1225],
                    ["Tier volume", 10.5, 725], ["Tier graduated", 10.5, 1225]]},
            ]}},
        ],
    },
    {
        "name": "matrix-max",
        "doc": "MAX meter through the five metered pricings; the peak resets every period.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"seats": {"aggregationType": "MAX", "aggregationKey": "seats",
                             "eventTypeFilter": {"include": ["seat_count"]}}},
        "pricing": _matrix_pricing("seats"),
        "plans": {"matrix": MATRIX_PLAN},
        "customers": ["acme"],
        "contracts": MATRIX_CONTRACT,
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "seat_count", "customer": "acme", "idempotencyKey": "j1",
                 "timestamp": "2026-01-02T00:00:00Z", "properties": {"seats": 3}},
                {"eventName": "seat_count", "customer": "acme", "idempotencyKey": "j2",
                 "timestamp": "2026-01-12T00:00:00Z", "properties": {"seats": 25}},
                {"eventName": "seat_count", "customer": "acme", "idempotencyKey": "j3",
                 "timestamp": "2026-01-22T00:00:00Z", "properties": {"seats": 7}},
            ]},
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [
                {"eventName": "seat_count", "customer": "acme", "idempotencyKey": "f1",
                 "timestamp": "2026-02-02T00:00:00Z", "properties": {"seats": 11}},
                {"eventName": "seat_count", "customer": "acme", "idempotencyKey": "f2",
                 "timestamp": "2026-02-12T00:00:00Z", "properties": {"seats": 2}},
            ]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                # January Q = max(3, 25, 7) = 25 -> 71.00 (see matrix-count)
                {"date": "2026-02-01", "total": 7100, "lines": [
                    ["Per unit", 25, 1000], ["Usage volume", 25, 925], ["Usage graduated", 25, 2125],
                    ["Tier volume", 25, 925], ["Tier graduated", 25, 2125]]},
                # February Q = max(11, 2) = 11:
                # per unit 11 x 0.40 = 4.40; VOLUME 11 x 0.50 + 2.00 = 7.50;
                # GRADUATED 10 + 1 x 0.50 + 2.00 = 12.50; total 4.40 + 7.50 + 12.50 + 7.50 + 12.50 = 44.40
                {"date": "2026-03-01", "total": 4440, "lines": [
                    ["Per unit", 11, 440], ["Usage volume", 11, 750], ["Usage graduated", 11, 1250],
                    ["Tier volume", 11, 750], ["Tier graduated", 11, 1250]]},
            ]}},
        ],
    },
    {
        "name": "matrix-min",
        "doc": "MIN meter through the five metered pricings; a fractional minimum rounds half-up once.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"latency": {"aggregationType": "MIN", "aggregationKey": "ms",
                               "eventTypeFilter": {"include": ["probe"]}}},
        "pricing": _matrix_pricing("latency"),
        "plans": {"matrix": MATRIX_PLAN},
        "customers": ["acme"],
        "contracts": MATRIX_CONTRACT,
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "probe", "customer": "acme", "idempotencyKey": "j1",
                 "timestamp": "2026-01-02T00:00:00Z", "properties": {"ms": 30}},
                {"eventName": "probe", "customer": "acme", "idempotencyKey": "j2",
                 "timestamp": "2026-01-12T00:00:00Z", "properties": {"ms": 25}},
                {"eventName": "probe", "customer": "acme", "idempotencyKey": "j3",
                 "timestamp": "2026-01-22T00:00:00Z", "properties": {"ms": 40}},
            ]},
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [
                {"eventName": "probe", "customer": "acme", "idempotencyKey": "f1",
                 "timestamp": "2026-02-02T00:00:00Z", "properties": {"ms": 21}},
                {"eventName": "probe", "customer": "acme", "idempotencyKey": "f2",
                 "timestamp": "2026-02-12T00:00:00Z", "properties": {"ms": "20.5"}},
            ]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                # January Q = min(30, 25, 40) = 25 -> 71.00 (see matrix-count)
                {"date": "2026-02-01", "total": 7100, "lines": [
                    ["Per unit", 25, 1000], ["Usage volume", 25, 925], ["Usage graduated", 25, 2125],
                    ["Tier volume", 25, 925], ["Tier graduated", 25, 2125]]},
                # February Q = min(21, 20.5) = 20.5 (tier 3):
                # per unit 20.5 x 0.40 = 8.20
                # VOLUME 20.5 x 0.25 + 3.00 = 5.125 + 3 = 8.125 -> 8.13 (half-up)
                # GRADUATED 10 + 10 x 0.50 + 2.00 + 0.5 x 0.25 + 3.00 = 20.125 -> 20.13
                # total 8.20 + 8.13 + 20.13 + 8.13 + 20.13 = 64.72
                {"date": "2026-03-01", "total": 6472, "lines": [
                    ["Per unit", 20.5, 820], ["Usage volume", 20.5, 813], ["Usage graduated", 20.5, 2013],
                    ["Tier volume", 20.5, 813], ["Tier graduated", 20.5, 2013]]},
            ]}},
        ],
    },
    {
        "name": "matrix-unique-count",
        "doc": "UNIQUE_COUNT meter (distinct users) through the five metered pricings.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"mau": {"aggregationType": "UNIQUE_COUNT", "aggregationKey": "user",
                           "eventTypeFilter": {"include": ["login"]}}},
        "pricing": _matrix_pricing("mau"),
        "plans": {"matrix": MATRIX_PLAN},
        "customers": ["acme"],
        "contracts": MATRIX_CONTRACT,
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                # January: users u0..u24, then u0..u14 log in again -> 40 events, 25 distinct users
                {"eventName": "login", "customer": "acme", "idempotencyKey": "jan-a", "repeat": 25,
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"user": "u{i}"}},
                {"eventName": "login", "customer": "acme", "idempotencyKey": "jan-b", "repeat": 15,
                 "timestamp": "2026-01-20T00:00:00Z", "properties": {"user": "u{i}"}},
            ]},
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [
                # February: u0..u19 and again u0..u4 -> 25 events, 20 distinct users
                {"eventName": "login", "customer": "acme", "idempotencyKey": "feb-a", "repeat": 20,
                 "timestamp": "2026-02-10T00:00:00Z", "properties": {"user": "u{i}"}},
                {"eventName": "login", "customer": "acme", "idempotencyKey": "feb-b", "repeat": 5,
                 "timestamp": "2026-02-20T00:00:00Z", "properties": {"user": "u{i}"}},
            ]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                # January Q = 25 distinct -> 71.00 (see matrix-count)
                {"date": "2026-02-01", "total": 7100, "lines": [
                    ["Per unit", 25, 1000], ["Usage volume", 25, 925], ["Usage graduated", 25, 2125],
                    ["Tier volume", 25, 925], ["Tier graduated", 25, 2125]]},
                # February Q = 20 (tier 2's inclusive max):
                # per unit 20 x 0.40 = 8.00; VOLUME 20 x 0.50 + 2.00 = 12.00;
                # GRADUATED 10 + 10 x 0.50 + 2.00 = 17.00 (tier 3 untouched); total 8 + 12 + 17 + 12 + 17 = 66.00
                {"date": "2026-03-01", "total": 6600, "lines": [
                    ["Per unit", 20, 800], ["Usage volume", 20, 1200], ["Usage graduated", 20, 1700],
                    ["Tier volume", 20, 1200], ["Tier graduated", 20, 1700]]},
            ]}},
        ],
    },
    {
        "name": "flat-amounts-on-usage-and-tiers",
        "doc": "A pricing's flatAmount is added on top of usage; the first tier's flatAmount applies at q = 0.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"gb": {"aggregationType": "SUM", "aggregationKey": "gb",
                          "eventTypeFilter": {"include": ["transfer"]}}},
        "pricing": {
            "access": {"name": "Access", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.01",
                       "flatAmount": "20.00", "meter": "gb"},
            "grad-base": {"name": "Graduated base", "model": "USAGE", "billingMode": "RECURRING",
                          "tiering": "GRADUATED", "meter": "gb", "pricingTiers": [
                              {"minQty": "0", "maxQty": "100", "unitAmount": "0", "flatAmount": "5.00"},
                              {"minQty": "100", "unitAmount": "0.02", "flatAmount": "1.00"}]},
            "vol-base": {"name": "Volume base", "model": "TIER", "billingMode": "RECURRING", "tiering": "VOLUME",
                         "flatAmount": "1.00", "meter": "gb", "pricingTiers": [
                             {"minQty": "0", "maxQty": "100", "unitAmount": "0.05", "flatAmount": "5.00"},
                             {"minQty": "100", "unitAmount": "0.03", "flatAmount": "2.00"}]},
        },
        "plans": {"flat": {"billingFrequency": "MONTHLY", "pricing": ["access", "grad-base", "vol-base"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "flat", "startDate": "2026-01-01",
                             "endDate": "2026-03-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [{"eventName": "transfer", "customer": "acme", "idempotencyKey": "t1",
                         "timestamp": "2026-01-15T00:00:00Z", "properties": {"gb": 1234}}]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                # January Q = 1234:
                # Access 1234 x 0.01 + 20.00 = 12.34 + 20.00 = 32.34
                # Graduated base: tier 1 100 x 0 + 5.00, tier 2 1134 x 0.02 + 1.00 = 22.68 + 1.00 -> 28.68
                # Volume base: tier 2 1234 x 0.03 + 2.00, + pricing flat 1.00 = 37.02 + 3.00 = 40.02
                # total 32.34 + 28.68 + 40.02 = 101.04
                {"date": "2026-02-01", "total": 10104, "lines": [
                    ["Access", 1234, 3234], ["Graduated base", 1234, 2868], ["Volume base", 1234, 4002]]},
                # February Q = 0 (no events): Access 0 + 20.00 = 20.00; Graduated base: first tier touched
                # at q = 0 -> 5.00; Volume base: tier 1 0 x 0.05 + 5.00 + pricing flat 1.00 = 6.00; total 31.00
                {"date": "2026-03-01", "total": 3100, "lines": [
                    ["Access", 0, 2000], ["Graduated base", 0, 500], ["Volume base", 0, 600]]},
            ]}},
        ],
    },
    {
        "name": "sub-cent-prices-round-once-half-up",
        "doc": "Sub-cent unit prices; each line is rounded once (half-up), never per tier slice.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"calls": {"aggregationType": "SUM", "aggregationKey": "n",
                             "eventTypeFilter": {"include": ["calls"]}}},
        "pricing": {
            "micro": {"name": "Micro", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.0125",
                      "meter": "calls"},
            "half": {"name": "Half cent", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.005",
                     "meter": "calls"},
            "sms": {"name": "SMS rate", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.045",
                    "meter": "calls"},
            "slices": {"name": "Slices", "model": "TIER", "billingMode": "RECURRING", "tiering": "GRADUATED",
                       "meter": "calls", "pricingTiers": [
                           {"minQty": "0", "maxQty": "3", "unitAmount": "0.0155"},
                           {"minQty": "3", "unitAmount": "0.0035"}]},
        },
        "plans": {"micro": {"billingFrequency": "MONTHLY", "pricing": ["micro", "half", "sms", "slices"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "micro", "startDate": "2026-01-01",
                             "endDate": "2026-03-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "calls", "customer": "acme", "idempotencyKey": "j",
                 "timestamp": "2026-01-15T00:00:00Z", "properties": {"n": 5}},
            ]},
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [
                {"eventName": "calls", "customer": "acme", "idempotencyKey": "f",
                 "timestamp": "2026-02-15T00:00:00Z", "properties": {"n": 333}},
            ]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                # January Q = 5:
                # Micro 5 x 0.0125 = 0.0625 -> 0.06
                # Half cent 5 x 0.005 = 0.025 -> 0.03 (half-up; banker's rounding would give 0.02)
                # SMS rate 5 x 0.045 = 0.225 -> 0.23 (half-up; banker's would give 0.22)
                # Slices 3 x 0.0155 + 2 x 0.0035 = 0.0465 + 0.007 = 0.0535 -> 0.05
                #   (rounding each slice first would give 0.05 + 0.01 = 0.06)
                # total 6 + 3 + 23 + 5 = 37 cents
                {"date": "2026-02-01", "total": 37, "lines": [
                    ["Micro", 5, 6, {"unitPrice": "0.0125"}], ["Half cent", 5, 3], ["SMS rate", 5, 23],
                    ["Slices", 5, 5]]},
                # February Q = 333:
                # Micro 333 x 0.0125 = 4.1625 -> 4.16; Half cent 333 x 0.005 = 1.665 -> 1.67
                # SMS rate 333 x 0.045 = 14.985 -> 14.99; Slices 0.0465 + 330 x 0.0035 = 0.0465 + 1.155 = 1.2015 -> 1.20
                # total 416 + 167 + 1499 + 120 = 2202
                {"date": "2026-03-01", "total": 2202, "lines": [
                    ["Micro", 333, 416], ["Half cent", 333, 167], ["SMS rate", 333, 1499], ["Slices", 333, 120]]},
            ]}},
        ],
    },
]

"""Minimum amounts: a metered line bills max(charge, minimumAmount), rounded once to cents."""

from __future__ import annotations

from typing import Any

ISSUE_TIERS = [
    {"minQty": "0", "maxQty": "1000", "unitAmount": "0.10"},
    {"minQty": "1000", "unitAmount": "0.05"},
]

SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "issue-minimum-15-dollars",
        "doc": "The issue's minimum: $0.045 per SMS with a $15.00 minimum; 0 SMS -> 15.00, 400 SMS -> 18.00.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": {"aggregationType": "SUM", "aggregationKey": "quantity",
                           "eventTypeFilter": {"include": ["sms_sent"]}}},
        "pricing": {"sms": {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.045",
                            "minimumAmount": "15.00", "meter": "sms"}},
        "plans": {"sms": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "sms", "startDate": "2026-01-01",
                             "endDate": "2026-04-01"}},
        "steps": [
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [{"eventName": "sms_sent", "customer": "acme", "idempotencyKey": "feb",
                         "timestamp": "2026-02-10T00:00:00Z", "properties": {"quantity": 400}}]},
            {"at": "2026-03-31T12:00:00Z"},
            {"events": [{"eventName": "sms_sent", "customer": "acme", "idempotencyKey": "mar",
                         "timestamp": "2026-03-10T00:00:00Z", "properties": {"quantity": 300}}]},
            {"at": "2026-04-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 0, "lines": []},
                # January: 0 SMS -> 0 x 0.045 = 0.00 < 15.00 -> 15.00
                {"date": "2026-02-01", "total": 1500, "lines": [["SMS", 0, 1500]]},
                # February: 400 x 0.045 = 18.00 >= 15.00 -> 18.00
                {"date": "2026-03-01", "total": 1800, "lines": [["SMS", 400, 1800]]},
                # March: 300 x 0.045 = 13.50 < 15.00 -> 15.00
                {"date": "2026-04-01", "total": 1500, "lines": [["SMS", 300, 1500]]},
            ]}},
        ],
    },
    {
        "name": "minimums-on-tiers-and-flat-amounts",
        "doc": "Minimums compared with the whole tiered charge, flat amounts included.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"units": {"aggregationType": "SUM", "aggregationKey": "quantity",
                             "eventTypeFilter": {"include": ["units"]}}},
        "pricing": {
            "grad": {"name": "Graduated min 50", "model": "USAGE", "billingMode": "RECURRING",
                     "tiering": "GRADUATED", "pricingTiers": ISSUE_TIERS, "minimumAmount": "50.00", "meter": "units"},
            "vol": {"name": "Volume min 80", "model": "TIER", "billingMode": "RECURRING", "tiering": "VOLUME",
                    "pricingTiers": ISSUE_TIERS, "minimumAmount": "80", "meter": "units"},
            "base": {"name": "Unit plus base min 5", "model": "USAGE", "billingMode": "RECURRING",
                     "unitAmount": "0.10", "flatAmount": "2.00", "minimumAmount": "5.00", "meter": "units"},
        },
        "plans": {"mins": {"billingFrequency": "MONTHLY", "pricing": ["grad", "vol", "base"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "mins", "startDate": "2026-01-01",
                             "endDate": "2026-03-01"}},
        "steps": [
            {"at": "2026-01-31T23:30:00Z"},
            {"events": [{"eventName": "units", "customer": "acme", "idempotencyKey": "jan",
                         "timestamp": "2026-01-31T23:00:00Z", "properties": {"quantity": 1500}}]},
            {"at": "2026-02-28T12:00:00Z"},
            {"events": [{"eventName": "units", "customer": "acme", "idempotencyKey": "feb",
                         "timestamp": "2026-02-14T00:00:00Z", "properties": {"quantity": 20}}]},
            {"at": "2026-03-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 0, "lines": []},
                # January Q = 1500:
                # Graduated 1000 x 0.10 + 500 x 0.05 = 125.00 >= 50 -> 125.00
                # Volume 1500 x 0.05 = 75.00 < 80 -> 80.00
                # Unit plus base 1500 x 0.10 + 2.00 = 152.00 >= 5 -> 152.00
                # total 125 + 80 + 152 = 357.00
                {"date": "2026-02-01", "total": 35700, "lines": [
                    ["Graduated min 50", 1500, 12500], ["Volume min 80", 1500, 8000],
                    ["Unit plus base min 5", 1500, 15200]]},
                # February Q = 20: Graduated 20 x 0.10 = 2.00 -> 50.00; Volume 2.00 -> 80.00;
                # Unit plus base 20 x 0.10 + 2.00 = 4.00 -> 5.00; total 135.00
                {"date": "2026-03-01", "total": 13500, "lines": [
                    ["Graduated min 50", 20, 5000], ["Volume min 80", 20, 8000], ["Unit plus base min 5", 20, 500]]},
            ]}},
        ],
    },
]

"""Late usage: a finalized invoice never changes. An invoice is finalized once its date is one hour (the
grace period) in the past; usage of its period that arrives or changes later is billed on the
contract's earliest open invoice as "<name> (late usage, <first> to <last day>)" lines carrying the
difference between what the period should bill now and what finalized invoices billed for it (quantity
and amount, either may be negative), with servicePeriod = the original period. When the contract has
no open invoice left, an adjustment invoice dated today carries them.
"""

from __future__ import annotations

from typing import Any

SMS_METER = {"aggregationType": "SUM", "aggregationKey": "quantity", "eventTypeFilter": {"include": ["sms_sent"]}}
BASE = {"name": "Base", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "100.00", "priceInterval": "MONTH"}
SMS = {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.045", "meter": "sms"}
JAN = "2026-01-01..2026-01-31"
ISSUE_TIERS = [
    {"minQty": "0", "maxQty": "1000", "unitAmount": "0.10"},
    {"minQty": "1000", "unitAmount": "0.05"},
]


def _sms(key: str, at: str, quantity: int) -> dict[str, Any]:
    return {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": key, "timestamp": at,
            "properties": {"quantity": quantity}}


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "late-usage-after-finalization",
        "doc": "Late events and late resends of January bill their difference on the next open invoice; "
               "the finalized invoices keep their amounts.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"base": BASE, "sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-04-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("jan-1", "2026-01-10T00:00:00Z", 400)]},
            {"at": "2026-02-10T00:00:00Z"},  # INV 2026-02-01 (January's 400 SMS) is final since Feb 1 01:00
            {"events": [_sms("feb-1", "2026-02-05T00:00:00Z", 40), _sms("jan-late", "2026-01-20T00:00:00Z", 100)]},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 10000, "status": "Sent", "lines": [["Base", 1, 10000]]},
                # 100.00 + 400 x 0.045 = 18.00 -> 118.00, unchanged by the late event
                {"date": "2026-02-01", "total": 11800, "status": "Sent", "lines": [
                    ["Base", 1, 10000], ["SMS", 400, 1800]]},
                # 100.00 + February 40 x 0.045 = 1.80 + January late: (500 - 400) x 0.045 = 4.50 -> 106.30
                {"date": "2026-03-01", "total": 10630, "lines": [
                    ["Base", 1, 10000], ["SMS", 40, 180],
                    ["SMS (late usage, 2026-01-01 to 2026-01-31)", 100, 450, {"period": JAN, "isMetered": True}]]},
                {"date": "2026-04-01", "total": 0, "lines": [["SMS", 0, 0]]},
            ]}},
            # jan-1 resent as 100: January should bill 100 + 100 = 200 x 0.045 = 9.00; finalized: 400, 18.00
            # -> late line -200, -9.00; 100.00 + 1.80 - 9.00 = 92.80
            {"events": [_sms("jan-1", "2026-01-10T00:00:00Z", 100)]},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 10000, "lines": [["Base", 1, 10000]]},
                {"date": "2026-02-01", "total": 11800, "lines": [["Base", 1, 10000], ["SMS", 400, 1800]]},
                {"date": "2026-03-01", "total": 9280, "lines": [
                    ["Base", 1, 10000], ["SMS", 40, 180], ["SMS (late usage, 2026-01-01 to 2026-01-31)", -200, -900]]},
                {"date": "2026-04-01", "total": 0, "lines": [["SMS", 0, 0]]},
            ]}},
            {"at": "2026-03-01T02:00:00Z"},  # INV 2026-03-01 final, with its -9.00 January correction
            # another January event: should bill 250 x 0.045 = 11.25; finalized: 18.00 - 9.00 = 9.00 for 200
            # -> +50, +2.25 on the closing invoice
            {"events": [_sms("jan-late-2", "2026-01-25T00:00:00Z", 50)]},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 10000, "lines": [["Base", 1, 10000]]},
                {"date": "2026-02-01", "total": 11800, "lines": [["Base", 1, 10000], ["SMS", 400, 1800]]},
                {"date": "2026-03-01", "total": 9280, "status": "Sent", "lines": [
                    ["Base", 1, 10000], ["SMS", 40, 180], ["SMS (late usage, 2026-01-01 to 2026-01-31)", -200, -900]]},
                {"date": "2026-04-01", "total": 225, "lines": [
                    ["SMS", 0, 0], ["SMS (late usage, 2026-01-01 to 2026-01-31)", 50, 225, {"period": JAN}]]},
            ]}},
        ],
    },
    {
        "name": "late-usage-difference-with-minimum-and-volume",
        "doc": "Late usage bills the difference of the whole line: a minimum already billed is not billed "
               "twice, and late units that move VOLUME pricing to a cheaper tier give a negative amount.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER,
                   "units": {"aggregationType": "SUM", "aggregationKey": "quantity",
                             "eventTypeFilter": {"include": ["units"]}}},
        "pricing": {"base": BASE, "sms": {**SMS, "minimumAmount": "15.00"},
                    "vol": {"name": "Units", "model": "USAGE", "billingMode": "RECURRING", "tiering": "VOLUME",
                            "pricingTiers": ISSUE_TIERS, "meter": "units"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "sms", "vol"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-04-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("s1", "2026-01-10T00:00:00Z", 200),
                        {"eventName": "units", "customer": "acme", "idempotencyKey": "u1",
                         "timestamp": "2026-01-10T00:00:00Z", "properties": {"quantity": 1000}}]},
            {"at": "2026-02-10T00:00:00Z"},
            {"events": [_sms("s2", "2026-01-20T00:00:00Z", 200),
                        {"eventName": "units", "customer": "acme", "idempotencyKey": "u2",
                         "timestamp": "2026-01-20T00:00:00Z", "properties": {"quantity": 200}}]},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 10000, "lines": [["Base", 1, 10000]]},
                # SMS 200 x 0.045 = 9.00 -> minimum 15.00; Units VOLUME 1000 x 0.10 = 100.00 (tier 1, inclusive)
                # 100.00 + 15.00 + 100.00 = 215.00
                {"date": "2026-02-01", "total": 21500, "lines": [
                    ["Base", 1, 10000], ["SMS", 200, 1500], ["Units", 1000, 10000]]},
                # own lines: Base 100.00; February SMS 0 -> minimum 15.00; Units 0 -> 0
                # January late: SMS 400 x 0.045 = 18.00 - 15.00 billed = +3.00 for +200;
                #               Units 1200 x 0.05 = 60.00 (tier 2) - 100.00 billed = -40.00 for +200
                # 100.00 + 15.00 + 0 + 3.00 - 40.00 = 78.00
                {"date": "2026-03-01", "total": 7800, "lines": [
                    ["Base", 1, 10000], ["SMS", 0, 1500], ["Units", 0, 0],
                    ["SMS (late usage, 2026-01-01 to 2026-01-31)", 200, 300],
                    ["Units (late usage, 2026-01-01 to 2026-01-31)", 200, -4000]]},
                # closing: March SMS 0 -> minimum 15.00; Units 0
                {"date": "2026-04-01", "total": 1500, "lines": [["SMS", 0, 1500], ["Units", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "rolling-backdated-start-late-usage",
        "doc": "A rolling contract created on 2026-03-10 that started 2026-01-01: its past invoices are "
               "final at the first worker run; January and February usage sent afterwards is late usage.",
        "now": "2026-03-10T00:00:00Z",
        "meters": {"calls": {"aggregationType": "COUNT", "eventTypeFilter": {"include": ["api_call"]}}},
        "pricing": {"base": BASE, "calls": {"name": "Calls", "model": "USAGE", "billingMode": "RECURRING",
                                            "unitAmount": "1.00", "meter": "calls"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "calls"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01"}},
        "steps": [
            {"at": "2026-03-10T00:00:00Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "jan", "repeat": 5,
                 "timestamp": "2026-01-15T00:00:00Z"},
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "feb", "repeat": 2,
                 "timestamp": "2026-02-15T00:00:00Z"},
            ]},
            # Horizon: 2026-03-10 + 12 months = 2027-03-10 -> drafts 2026-01-01 .. 2027-03-01 (15).
            {"expect": {"contract": "c1", "dates": [
                "2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01",
                "2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01",
                "2027-03-01"],
             "invoices": [
                {"date": "2026-01-01", "total": 10000, "status": "Sent", "lines": [["Base", 1, 10000]]},
                {"date": "2026-02-01", "total": 10000, "status": "Sent",
                 "lines": [["Base", 1, 10000], ["Calls", 0, 0]]},
                {"date": "2026-03-01", "total": 10000, "status": "Sent",
                 "lines": [["Base", 1, 10000], ["Calls", 0, 0]]},
                # 100.00 + March 0 calls + late January 5 x 1.00 + late February 2 x 1.00 -> 107.00
                {"date": "2026-04-01", "total": 10700, "lines": [
                    ["Base", 1, 10000], ["Calls", 0, 0],
                    ["Calls (late usage, 2026-01-01 to 2026-01-31)", 5, 500, {"period": JAN}],
                    ["Calls (late usage, 2026-02-01 to 2026-02-28)", 2, 200, {"period": "2026-02-01..2026-02-28"}]]},
            ]}},
        ],
    },
    {
        "name": "late-usage-after-contract-end",
        "doc": "Late usage of a fixed term whose invoices are all final goes on an adjustment invoice dated today.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-02-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("jan-1", "2026-01-10T00:00:00Z", 100)]},
            {"at": "2026-02-10T09:00:00Z"},
            {"events": [_sms("jan-late", "2026-01-20T00:00:00Z", 100)]},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 0, "lines": []},
                # closing: 100 x 0.045 = 4.50
                {"date": "2026-02-01", "total": 450, "status": "Sent", "lines": [["SMS", 100, 450]]},
                # adjustment invoice dated today: late 100 x 0.045 = 4.50
                {"date": "2026-02-10", "total": 450, "lines": [
                    ["SMS (late usage, 2026-01-01 to 2026-01-31)", 100, 450, {"period": JAN}]]},
            ]}},
        ],
    },
]

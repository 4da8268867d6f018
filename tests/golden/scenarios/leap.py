"""Leap years (2028): Feb 29 as a clamped month end, as a start date, and inside quarterly anchors."""

from __future__ import annotations

from typing import Any

BASE = {"name": "Base", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "100.00", "priceInterval": "MONTH"}
CALLS_METER = {"calls": {"aggregationType": "COUNT", "eventTypeFilter": {"include": ["api_call"]}}}
CALLS = {"name": "Calls", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "1.00", "meter": "calls"}


def _calls(key: str, at: str, n: int = 1) -> dict[str, Any]:
    event: dict[str, Any] = {"eventName": "api_call", "customer": "acme", "idempotencyKey": key, "timestamp": at}
    return {**event, "repeat": n} if n > 1 else event


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "leap-2028-month-end",
        "doc": "Anchor Jan 31 in 2028: Jan 31 -> Feb 29 -> Mar 31 -> Apr 30.",
        "now": "2028-01-31T00:00:00Z",
        "meters": {"sms": {"aggregationType": "SUM", "aggregationKey": "quantity",
                           "eventTypeFilter": {"include": ["sms_sent"]}}},
        "pricing": {"base": BASE, "sms": {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING",
                                          "unitAmount": "0.045", "meter": "sms"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2028-01-31", "endDate": "2028-04-30"}},
        "steps": [
            {"at": "2028-02-29T00:30:00Z"},
            {"events": [
                {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": "feb28",
                 "timestamp": "2028-02-28T23:00:00Z", "properties": {"quantity": 100}},
                {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": "feb29-start",
                 "timestamp": "2028-02-29T00:00:00Z", "properties": {"quantity": 200}},
            ]},
            {"at": "2028-03-31T00:30:00Z"},
            {"events": [
                {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": "feb29-end",
                 "timestamp": "2028-02-29T23:59:59Z", "properties": {"quantity": 300}},
                {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": "mar31",
                 "timestamp": "2028-03-31T00:00:00Z", "properties": {"quantity": 20}},
            ]},
            {"at": "2028-04-30T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2028-01-31", "total": 10000, "lines": [
                    ["Base", 1, 10000, {"period": "2028-01-31..2028-02-28"}]]},
                # 100.00 + 100 SMS x 0.045 = 4.50 -> 104.50
                {"date": "2028-02-29", "total": 10450, "lines": [
                    ["Base", 1, 10000, {"period": "2028-02-29..2028-03-30"}],
                    ["SMS", 100, 450, {"period": "2028-01-31..2028-02-28"}]]},
                # 100.00 + (200 + 300) x 0.045 = 22.50 -> 122.50
                {"date": "2028-03-31", "total": 12250, "lines": [
                    ["Base", 1, 10000, {"period": "2028-03-31..2028-04-29"}],
                    ["SMS", 500, 2250, {"period": "2028-02-29..2028-03-30"}]]},
                # closing: 20 x 0.045 = 0.90
                {"date": "2028-04-30", "total": 90, "lines": [["SMS", 20, 90, {"period": "2028-03-31..2028-04-29"}]]},
            ]}},
        ],
    },
    {
        "name": "leap-day-annual-start",
        "doc": "ANNUALLY from 2028-02-29: periods end on Feb 28 in common years; YEAR and MONTH fees on it.",
        "now": "2028-02-29T00:00:00Z",
        "meters": CALLS_METER,
        "pricing": {
            "yearly": {"name": "Yearly", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "1200.00",
                       "priceInterval": "YEAR"},
            "monthly": {**BASE, "name": "Monthly"},
            "calls": CALLS,
        },
        "plans": {"p": {"billingFrequency": "ANNUALLY", "pricing": ["yearly", "monthly", "calls"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2028-02-29", "endDate": "2031-02-28"}},
        "steps": [
            {"at": "2029-02-28T00:30:00Z"},
            {"events": [_calls("p1", "2029-02-27T23:00:00Z", 3), _calls("p2a", "2029-02-28T00:00:00Z", 2)]},
            {"at": "2030-02-28T00:30:00Z"},
            {"events": [_calls("p2b", "2030-02-27T23:59:59Z"), _calls("p3a", "2030-02-28T00:00:00Z")]},
            {"at": "2031-02-27T12:30:00Z"},
            {"events": [_calls("p3b", "2031-02-27T12:00:00Z", 4)]},
            {"at": "2031-02-28T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                # Yearly: one start per period (2028-02-29, 2029-02-28, 2030-02-28) -> 1200.00
                # Monthly: from 2028-02-29, starts on the 29th (28th in Feb of common years) -> 12 per year
                #   x 100.00 = 1200.00; total 2400.00
                {"date": "2028-02-29", "total": 240000, "lines": [
                    ["Yearly", 1, 120000, {"period": "2028-02-29..2029-02-27"}], ["Monthly", 12, 120000]]},
                # 2400.00 + 3 calls x 1.00 -> 2403.00
                {"date": "2029-02-28", "total": 240300, "lines": [
                    ["Yearly", 1, 120000, {"period": "2029-02-28..2030-02-27"}], ["Monthly", 12, 120000],
                    ["Calls", 3, 300, {"period": "2028-02-29..2029-02-27"}]]},
                # 2400.00 + (2 + 1) calls -> 2403.00
                {"date": "2030-02-28", "total": 240300, "lines": [
                    ["Yearly", 1, 120000], ["Monthly", 12, 120000],
                    ["Calls", 3, 300, {"period": "2029-02-28..2030-02-27"}]]},
                # closing: (1 + 4) calls -> 5.00
                {"date": "2031-02-28", "total": 500, "lines": [
                    ["Calls", 5, 500, {"period": "2030-02-28..2031-02-27"}]]},
            ]}},
        ],
    },
    {
        "name": "leap-quarterly-anchor-nov-30",
        "doc": "QUARTERLY from 2027-11-30: Feb 29 (clamped), then back to May 30 and Aug 30 from the anchor.",
        "now": "2027-11-30T00:00:00Z",
        "meters": CALLS_METER,
        "pricing": {"base": BASE, "calls": CALLS},
        "plans": {"p": {"billingFrequency": "QUARTERLY", "pricing": ["base", "calls"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2027-11-30", "endDate": "2028-08-30"}},
        "steps": [
            {"at": "2028-02-29T00:30:00Z"},
            {"events": [
                _calls("a", "2028-02-28T12:00:00Z"),           # [Nov 30, Feb 29)
                _calls("b", "2028-02-29T00:00:00Z", 2),        # [Feb 29, May 30)
            ]},
            {"at": "2028-05-30T00:30:00Z"},
            {"events": [
                _calls("c", "2028-05-29T23:59:59.999Z"),       # [Feb 29, May 30)
                _calls("d", "2028-05-30T00:00:00Z", 4),        # [May 30, Aug 30)
            ]},
            {"at": "2028-08-30T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                # Base MONTH starts from Nov 30: Nov 30, Dec 30, Jan 30 -> 3 x 100.00
                {"date": "2027-11-30", "total": 30000, "lines": [
                    ["Base", 3, 30000, {"period": "2027-11-30..2028-02-28"}]]},
                # Feb 29, Mar 30, Apr 30 -> 300.00; + 1 call -> 301.00
                {"date": "2028-02-29", "total": 30100, "lines": [
                    ["Base", 3, 30000, {"period": "2028-02-29..2028-05-29"}],
                    ["Calls", 1, 100, {"period": "2027-11-30..2028-02-28"}]]},
                # May 30, Jun 30, Jul 30 -> 300.00; + (2 + 1) calls -> 303.00
                {"date": "2028-05-30", "total": 30300, "lines": [
                    ["Base", 3, 30000, {"period": "2028-05-30..2028-08-29"}],
                    ["Calls", 3, 300, {"period": "2028-02-29..2028-05-29"}]]},
                # closing: 4 calls -> 4.00
                {"date": "2028-08-30", "total": 400, "lines": [
                    ["Calls", 4, 400, {"period": "2028-05-30..2028-08-29"}]]},
            ]}},
        ],
    },
]

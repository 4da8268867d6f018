"""Month-end anchors: periods are computed from the anchor (Jan 31 -> Feb 28 -> Mar 31), never by adding
a month to the previous period; an anchor after the start date gives a short first ("stub") period.

Monthly fees count the starts of the fee's own interval from the contract start (not from the anchor),
so a stub period still bills the fee that starts on the contract's first day.
"""

from __future__ import annotations

from typing import Any

SMS_METER = {"sms": {"aggregationType": "SUM", "aggregationKey": "quantity",
                     "eventTypeFilter": {"include": ["sms_sent"]}}}
BASE = {"name": "Base", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "100.00", "priceInterval": "MONTH"}
SMS = {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.045", "meter": "sms"}


def _sms(key: str, at: str, quantity: int) -> dict[str, Any]:
    return {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": key, "timestamp": at,
            "properties": {"quantity": quantity}}


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "month-end-start-jan-31",
        "doc": "Start and anchor on Jan 31: periods Jan 31, Feb 28, Mar 31, Apr 30 (to the endDate May 31).",
        "now": "2026-01-31T00:00:00Z",
        "meters": SMS_METER,
        "pricing": {"base": BASE, "sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-31", "endDate": "2026-05-31"}},
        "steps": [
            {"at": "2026-02-28T00:30:00Z"},
            {"events": [
                _sms("e1", "2026-02-27T23:59:59Z", 100),  # last second of [Jan 31, Feb 28)
                _sms("e2", "2026-02-28T00:00:00Z", 200),  # first instant of [Feb 28, Mar 31)
            ]},
            {"at": "2026-03-31T00:30:00Z"},
            {"events": [
                _sms("e3", "2026-03-30T12:00:00Z", 300),  # still [Feb 28, Mar 31)
                _sms("e4", "2026-03-31T00:00:00Z", 400),  # [Mar 31, Apr 30)
            ]},
            {"at": "2026-05-30T23:30:00Z"},
            {"events": [_sms("e5", "2026-05-30T23:00:00Z", 10)]},  # [Apr 30, May 31)
            {"at": "2026-05-31T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-31", "total": 10000, "lines": [
                    ["Base", 1, 10000, {"period": "2026-01-31..2026-02-27"}]]},
                # 100.00 + 100 SMS x 0.045 = 4.50 -> 104.50
                {"date": "2026-02-28", "total": 10450, "lines": [
                    ["Base", 1, 10000, {"period": "2026-02-28..2026-03-30"}],
                    ["SMS", 100, 450, {"period": "2026-01-31..2026-02-27"}]]},
                # 100.00 + (200 + 300) x 0.045 = 22.50 -> 122.50
                {"date": "2026-03-31", "total": 12250, "lines": [
                    ["Base", 1, 10000, {"period": "2026-03-31..2026-04-29"}],
                    ["SMS", 500, 2250, {"period": "2026-02-28..2026-03-30"}]]},
                # 100.00 + 400 x 0.045 = 18.00 -> 118.00
                {"date": "2026-04-30", "total": 11800, "lines": [
                    ["Base", 1, 10000, {"period": "2026-04-30..2026-05-30"}],
                    ["SMS", 400, 1800, {"period": "2026-03-31..2026-04-29"}]]},
                # closing: 10 x 0.045 = 0.45
                {"date": "2026-05-31", "total": 45, "lines": [["SMS", 10, 45, {"period": "2026-04-30..2026-05-30"}]]},
            ]}},
        ],
    },
    {
        "name": "anchor-31-after-mid-month-start",
        "doc": "Start Jan 15 with billingCycleAnchor Jan 31: stub [Jan 15, Jan 31), then Jan 31 -> Feb 28 -> Mar 31.",
        "now": "2026-01-15T00:00:00Z",
        "meters": SMS_METER,
        "pricing": {"base": BASE, "sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-15",
                             "billingCycleAnchor": "2026-01-31", "endDate": "2026-03-31"}},
        "steps": [
            {"at": "2026-01-31T00:30:00Z"},
            {"events": [
                _sms("s1", "2026-01-30T23:59:00Z", 50),   # stub
                _sms("s2", "2026-01-31T00:00:00Z", 60),   # [Jan 31, Feb 28)
            ]},
            {"at": "2026-03-30T23:30:00Z"},
            {"events": [
                _sms("s3", "2026-02-28T10:00:00Z", 70),   # [Feb 28, Mar 31)
                _sms("s4", "2026-03-30T23:00:00Z", 80),   # [Feb 28, Mar 31)
            ]},
            {"at": "2026-03-31T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                # Base: MONTH starts counted from the start Jan 15: Jan 15 in the stub, Feb 15 in
                # [Jan 31, Feb 28), Mar 15 in [Feb 28, Mar 31) -> 1 x 100.00 each, not prorated
                {"date": "2026-01-15", "total": 10000, "lines": [
                    ["Base", 1, 10000, {"period": "2026-01-15..2026-01-30"}]]},
                # 100.00 + stub's 50 x 0.045 = 2.25 -> 102.25
                {"date": "2026-01-31", "total": 10225, "lines": [
                    ["Base", 1, 10000, {"period": "2026-01-31..2026-02-27"}],
                    ["SMS", 50, 225, {"period": "2026-01-15..2026-01-30"}]]},
                # 100.00 + 60 x 0.045 = 2.70 -> 102.70
                {"date": "2026-02-28", "total": 10270, "lines": [
                    ["Base", 1, 10000, {"period": "2026-02-28..2026-03-30"}],
                    ["SMS", 60, 270, {"period": "2026-01-31..2026-02-27"}]]},
                # closing: (70 + 80) x 0.045 = 6.75
                {"date": "2026-03-31", "total": 675, "lines": [
                    ["SMS", 150, 675, {"period": "2026-02-28..2026-03-30"}]]},
            ]}},
        ],
    },
    {
        "name": "month-end-quarterly-rolling",
        "doc": "Rolling QUARTERLY from Jan 31: Apr 30, Jul 31, Oct 31, Jan 31 ... with no drift over three years.",
        "now": "2026-01-31T00:00:00Z",
        "meters": {"calls": {"aggregationType": "COUNT", "eventTypeFilter": {"include": ["api_call"]}}},
        "pricing": {"base": BASE, "calls": {"name": "Calls", "model": "USAGE", "billingMode": "RECURRING",
                                            "unitAmount": "0.50", "meter": "calls"}},
        "plans": {"p": {"billingFrequency": "QUARTERLY", "pricing": ["base", "calls"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-31"}},
        "steps": [
            {"at": "2026-04-30T00:30:00Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "q1",
                 "timestamp": "2026-04-29T23:59:59Z"},
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "q2", "repeat": 2,
                 "timestamp": "2026-04-30T00:00:00Z"},
            ]},
            # Horizon on 2026-04-30: + 36 months = 2029-04-30 -> drafts through the period starting then (14).
            {"expect": {"contract": "c1", "dates": [
                "2026-01-31", "2026-04-30", "2026-07-31", "2026-10-31", "2027-01-31", "2027-04-30", "2027-07-31",
                "2027-10-31", "2028-01-31", "2028-04-30", "2028-07-31", "2028-10-31", "2029-01-31", "2029-04-30"],
             "invoices": [
                # Base MONTH starts from Jan 31: Jan 31, Feb 28, Mar 31 -> 3 x 100.00 = 300.00
                {"date": "2026-01-31", "total": 30000, "lines": [
                    ["Base", 3, 30000, {"period": "2026-01-31..2026-04-29"}]]},
                # Apr 30, May 31, Jun 30 -> 300.00; + 1 call x 0.50 -> 300.50
                {"date": "2026-04-30", "total": 30050, "lines": [
                    ["Base", 3, 30000, {"period": "2026-04-30..2026-07-30"}],
                    ["Calls", 1, 50, {"period": "2026-01-31..2026-04-29"}]]},
                # 300.00 + 2 calls x 0.50 = 1.00 -> 301.00
                {"date": "2026-07-31", "total": 30100, "lines": [
                    ["Base", 3, 30000], ["Calls", 2, 100, {"period": "2026-04-30..2026-07-30"}]]},
                # [2028-04-30, 2028-07-31): Base starts Apr 30, May 31, Jun 30 -> 300.00
                {"date": "2028-04-30", "total": 30000, "lines": [
                    ["Base", 3, 30000, {"period": "2028-04-30..2028-07-30"}], ["Calls", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "anchor-31-stub-with-weekly-fee",
        "doc": "Start Mar 15 (a Sunday), anchor Mar 31: a WEEK fee counts its Sundays in each period.",
        "now": "2026-03-15T00:00:00Z",
        "pricing": {"weekly": {"name": "Weekly", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "10.00",
                               "priceInterval": "WEEK"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["weekly"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-03-15",
                             "billingCycleAnchor": "2026-03-31", "endDate": "2026-06-30"}},
        "steps": [
            {"expect": {"contract": "c1", "invoices": [
                # stub [Mar 15, Mar 31): Mar 15, 22, 29 -> 3 x 10.00
                {"date": "2026-03-15", "total": 3000, "lines": [
                    ["Weekly", 3, 3000, {"period": "2026-03-15..2026-03-30"}]]},
                # [Mar 31, Apr 30): Apr 5, 12, 19, 26 -> 4
                {"date": "2026-03-31", "total": 4000, "lines": [
                    ["Weekly", 4, 4000, {"period": "2026-03-31..2026-04-29"}]]},
                # [Apr 30, May 31): May 3, 10, 17, 24 -> 4 (May 31 belongs to the next period)
                {"date": "2026-04-30", "total": 4000, "lines": [
                    ["Weekly", 4, 4000, {"period": "2026-04-30..2026-05-30"}]]},
                # [May 31, Jun 30): May 31, Jun 7, 14, 21, 28 -> 5
                {"date": "2026-05-31", "total": 5000, "lines": [
                    ["Weekly", 5, 5000, {"period": "2026-05-31..2026-06-29"}]]},
                {"date": "2026-06-30", "total": 0, "lines": []},
            ]}},
        ],
    },
]

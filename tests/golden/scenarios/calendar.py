"""The billing calendar: the issue's Jan-Apr contract, all four frequencies as fixed terms and rolling
contracts, and a clipped final period.

One invoice per period dated at its start: fees of that period in advance, usage of the previous period
in arrears (servicePeriod = the measured period). A fixed term (endDate exclusive) ends with a closing
usage-only invoice dated endDate. A rolling contract keeps drafts for 12 periods past
max(today, startDate) (the period containing that day included) and extends them as the clock moves.

Events are sent while the invoice billing their period is still open: an invoice is finalized once
its date is one hour (the grace period for late events) in the past. Usage that arrives later is the
subject of ``late.py``.
"""

from __future__ import annotations

from typing import Any

CALLS_METER = {"calls": {"aggregationType": "COUNT", "eventTypeFilter": {"include": ["api_call"]}}}
CALLS = {"name": "Calls", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.10", "meter": "calls"}


def _base(interval: str, amount: str) -> dict[str, Any]:
    return {"name": "Base", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": amount,
            "priceInterval": interval}


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "issue-fixed-term-jan-apr",
        "doc": "The issue's contract: Jan-Apr fixed term, $350/month + SMS at $0.045 -> 5 invoices, INV-2 = $368.00.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": {"aggregationType": "SUM", "aggregationKey": "quantity",
                           "eventTypeFilter": {"include": ["sms_sent"]}}},
        "pricing": {"fee": {"name": "Platform Fee", "model": "FLAT", "billingMode": "RECURRING",
                            "unitAmount": "350.00", "priceInterval": "MONTH", "priceIntervalCount": 1},
                    "sms": {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.045",
                            "meter": "sms"}},
        "plans": {"business": {"billingFrequency": "MONTHLY", "pricing": ["fee", "sms"], "netTerms": 30}},
        "customers": ["corp"],
        "contracts": {"c1": {"customer": "corp", "plan": "business", "startDate": "2026-01-01",
                             "endDate": "2026-05-01"}},
        "steps": [
            # Right after creation: four fee invoices (usage lines at 0) and the closing usage-only one.
            # dueDate = invoiceDate + 30 days.
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 35000, "dueDate": "2026-01-31", "status": "Drafted",
                 "lines": [["Platform Fee", 1, 35000]]},
                {"date": "2026-02-01", "total": 35000, "dueDate": "2026-03-03",
                 "lines": [["Platform Fee", 1, 35000], ["SMS", 0, 0]]},
                {"date": "2026-03-01", "total": 35000, "dueDate": "2026-03-31",
                 "lines": [["Platform Fee", 1, 35000], ["SMS", 0, 0]]},
                {"date": "2026-04-01", "total": 35000, "dueDate": "2026-05-01",
                 "lines": [["Platform Fee", 1, 35000], ["SMS", 0, 0]]},
                {"date": "2026-05-01", "total": 0, "dueDate": "2026-05-31", "lines": [["SMS", 0, 0]]},
            ]}},
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "sms_sent", "customer": "corp", "idempotencyKey": "jan-1",
                 "timestamp": "2026-01-10T08:00:00Z", "properties": {"quantity": 100}},
                {"eventName": "sms_sent", "customer": "corp", "idempotencyKey": "jan-2",
                 "timestamp": "2026-01-11T08:00:00Z", "properties": {"quantity": 100}},
                {"eventName": "sms_sent", "customer": "corp", "idempotencyKey": "jan-3",
                 "timestamp": "2026-01-12T08:00:00Z", "properties": {"quantity": 100}},
                {"eventName": "sms_sent", "customer": "corp", "idempotencyKey": "jan-4",
                 "timestamp": "2026-01-13T08:00:00Z", "properties": {"quantity": 100}},
            ]},
            # sent in the grace hour after March closed (its invoice is finalized from 01:00)
            {"at": "2026-04-01T00:30:00Z"},
            {"events": [
                {"eventName": "sms_sent", "customer": "corp", "idempotencyKey": "mar-1",
                 "timestamp": "2026-03-03T08:00:00Z", "properties": {"quantity": 600}},
                {"eventName": "sms_sent", "customer": "corp", "idempotencyKey": "mar-2",
                 "timestamp": "2026-03-31T23:59:59Z", "properties": {"quantity": "400"}},
            ]},
            {"at": "2026-04-30T12:00:00Z"},
            {"events": [{"eventName": "sms_sent", "customer": "corp", "idempotencyKey": "apr-1",
                         "timestamp": "2026-04-15T08:00:00Z", "properties": {"quantity": 10}}]},
            # every invoice is finalized from 2026-05-01T01:00; finalizing changes no amount
            {"at": "2026-05-01T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                # INV-1: January's fee in advance: 1 x 350.00
                {"date": "2026-01-01", "total": 35000, "lines": [
                    ["Platform Fee", 1, 35000, {"period": "2026-01-01..2026-01-31", "isMetered": False}]]},
                # INV-2: February's fee + January's 400 SMS x 0.045 = 18.00 -> 350.00 + 18.00 = 368.00
                {"date": "2026-02-01", "total": 36800, "lines": [
                    ["Platform Fee", 1, 35000, {"period": "2026-02-01..2026-02-28"}],
                    ["SMS", 400, 1800, {"period": "2026-01-01..2026-01-31", "unitPrice": "0.045",
                                        "totalAmount": "18.00", "isMetered": True}]]},
                # INV-3: March's fee + February's 0 SMS = 350.00
                {"date": "2026-03-01", "total": 35000, "lines": [["Platform Fee", 1, 35000], ["SMS", 0, 0]]},
                # INV-4: April's fee + March's 600 + 400 = 1000 SMS x 0.045 = 45.00 -> 395.00
                {"date": "2026-04-01", "total": 39500, "lines": [["Platform Fee", 1, 35000], ["SMS", 1000, 4500]]},
                # INV-5 (closing, dated endDate): April's 10 SMS x 0.045 = 0.45, no fee
                {"date": "2026-05-01", "total": 45, "lines": [["SMS", 10, 45, {"period": "2026-04-01..2026-04-30"}]]},
            ]}},
        ],
    },
    {
        "name": "monthly-fixed-and-rolling",
        "doc": "MONTHLY plan: a Jan-Mar fixed term next to a rolling contract whose horizon grows.",
        "now": "2026-01-01T00:00:00Z",
        "meters": CALLS_METER,
        "pricing": {"base": _base("MONTH", "100.00"), "calls": CALLS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "calls"]}},
        "customers": ["acme", "beta"],
        "contracts": {"fixed": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-04-01"},
                      "rolling": {"customer": "beta", "plan": "p", "startDate": "2026-01-01"}},
        "steps": [
            {"at": "2026-01-31T23:59:59Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "a-jan", "repeat": 30,
                 "timestamp": "2026-01-20T00:00:00Z"},
                {"eventName": "api_call", "customer": "beta", "idempotencyKey": "b-jan", "repeat": 50,
                 "timestamp": "2026-01-31T23:59:59Z"},
            ]},
            {"at": "2026-02-15T00:00:00Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "a-feb", "repeat": 20,
                 "timestamp": "2026-02-10T00:00:00Z"},
                {"eventName": "api_call", "customer": "beta", "idempotencyKey": "b-feb",
                 "timestamp": "2026-02-14T23:59:00Z"},
            ]},
            {"expect": {"contract": "fixed", "invoices": [
                {"date": "2026-01-01", "total": 10000, "lines": [["Base", 1, 10000]]},
                # Base 100.00 + January 30 calls x 0.10 = 3.00 -> 103.00
                {"date": "2026-02-01", "total": 10300, "lines": [["Base", 1, 10000], ["Calls", 30, 300]]},
                # Base 100.00 + February 20 calls x 0.10 = 2.00 -> 102.00
                {"date": "2026-03-01", "total": 10200, "lines": [["Base", 1, 10000], ["Calls", 20, 200]]},
                # closing: March had no calls
                {"date": "2026-04-01", "total": 0, "lines": [["Calls", 0, 0]]},
            ]}},
            # Horizon on 2026-02-15: 2027-02-15 -> drafts 2026-01-01 .. 2027-02-01 (14).
            {"expect": {"contract": "rolling", "dates": [
                "2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01", "2026-07-01",
                "2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01"],
             "invoices": [
                {"date": "2026-01-01", "total": 10000, "lines": [["Base", 1, 10000]]},
                # Base 100.00 + 50 calls x 0.10 = 5.00 -> 105.00
                {"date": "2026-02-01", "total": 10500, "lines": [["Base", 1, 10000], ["Calls", 50, 500]]},
                # Base 100.00 + 1 call x 0.10 = 0.10 -> 100.10
                {"date": "2026-03-01", "total": 10010, "lines": [["Base", 1, 10000], ["Calls", 1, 10]]},
                {"date": "2027-02-01", "total": 10000, "lines": [["Base", 1, 10000], ["Calls", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "quarterly-fixed-and-rolling",
        "doc": "QUARTERLY plan: a two-quarter fixed term next to a rolling contract whose horizon grows.",
        "now": "2026-01-01T00:00:00Z",
        "meters": CALLS_METER,
        "pricing": {"base": _base("MONTH", "100.00"), "calls": CALLS},
        "plans": {"p": {"billingFrequency": "QUARTERLY", "pricing": ["base", "calls"]}},
        "customers": ["acme", "beta"],
        "contracts": {"fixed": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-07-01"},
                      "rolling": {"customer": "beta", "plan": "p", "startDate": "2026-01-01"}},
        "steps": [
            # At creation (2026-01-01): horizon 2029-01-01 -> 13 quarterly drafts.
            {"expect": {"contract": "rolling", "dates": [
                "2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01", "2027-01-01", "2027-04-01", "2027-07-01",
                "2027-10-01", "2028-01-01", "2028-04-01", "2028-07-01", "2028-10-01", "2029-01-01"],
             "invoices": [
                # Base: MONTH fee on a quarterly plan -> 3 x 100.00 = 300.00
                {"date": "2026-01-01", "total": 30000, "lines": [["Base", 3, 30000]]},
                {"date": "2029-01-01", "total": 30000, "lines": [["Base", 3, 30000], ["Calls", 0, 0]]},
            ]}},
            {"at": "2026-03-31T23:30:00Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "a-q1", "repeat": 40,
                 "timestamp": "2026-02-10T00:00:00Z"},
                {"eventName": "api_call", "customer": "beta", "idempotencyKey": "b-q1", "repeat": 12,
                 "timestamp": "2026-03-31T23:00:00Z"},
            ]},
            {"at": "2026-04-10T00:00:00Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "a-q2", "repeat": 5,
                 "timestamp": "2026-04-05T00:00:00Z"},
                {"eventName": "api_call", "customer": "beta", "idempotencyKey": "b-q2", "repeat": 3,
                 "timestamp": "2026-04-01T00:00:00Z"},
            ]},
            {"expect": {"contract": "fixed", "invoices": [
                {"date": "2026-01-01", "total": 30000, "lines": [["Base", 3, 30000]]},
                # 300.00 + Q1 40 calls x 0.10 = 4.00 -> 304.00
                {"date": "2026-04-01", "total": 30400, "lines": [
                    ["Base", 3, 30000, {"period": "2026-04-01..2026-06-30"}],
                    ["Calls", 40, 400, {"period": "2026-01-01..2026-03-31"}]]},
                # closing: Q2 5 calls x 0.10 = 0.50
                {"date": "2026-07-01", "total": 50, "lines": [["Calls", 5, 50, {"period": "2026-04-01..2026-06-30"}]]},
            ]}},
            # Horizon on 2026-04-10: 2029-04-10 -> one more draft, 2029-04-01 (14).
            {"expect": {"contract": "rolling", "dates": [
                "2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01", "2027-01-01", "2027-04-01", "2027-07-01",
                "2027-10-01", "2028-01-01", "2028-04-01", "2028-07-01", "2028-10-01", "2029-01-01", "2029-04-01"],
             "invoices": [
                # 300.00 + Q1 12 calls x 0.10 = 1.20 -> 301.20
                {"date": "2026-04-01", "total": 30120, "lines": [["Base", 3, 30000], ["Calls", 12, 120]]},
                # 300.00 + Q2 3 calls x 0.10 = 0.30 -> 300.30
                {"date": "2026-07-01", "total": 30030, "lines": [["Base", 3, 30000], ["Calls", 3, 30]]},
                {"date": "2029-04-01", "total": 30000, "lines": [["Base", 3, 30000], ["Calls", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "semi-annual-fixed-and-rolling",
        "doc": "SEMI_ANNUALLY plan: a one-year fixed term next to a rolling contract whose horizon grows.",
        "now": "2026-01-01T00:00:00Z",
        "meters": CALLS_METER,
        "pricing": {"base": _base("MONTH", "100.00"), "calls": CALLS},
        "plans": {"p": {"billingFrequency": "SEMI_ANNUALLY", "pricing": ["base", "calls"]}},
        "customers": ["acme", "beta"],
        "contracts": {"fixed": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2027-01-01"},
                      "rolling": {"customer": "beta", "plan": "p", "startDate": "2026-01-01"}},
        "steps": [
            # At creation: horizon 2026-01-01 + 72 months = 2032-01-01 -> 13 half-yearly drafts.
            {"expect": {"contract": "rolling", "dates": [
                "2026-01-01", "2026-07-01", "2027-01-01", "2027-07-01", "2028-01-01", "2028-07-01", "2029-01-01",
                "2029-07-01", "2030-01-01", "2030-07-01", "2031-01-01", "2031-07-01", "2032-01-01"],
             "invoices": [
                # Base: 6 MONTH starts x 100.00 = 600.00
                {"date": "2026-01-01", "total": 60000, "lines": [["Base", 6, 60000]]},
            ]}},
            {"at": "2026-06-30T23:59:59Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "a-h1", "repeat": 100,
                 "timestamp": "2026-06-30T23:59:59Z"},
                {"eventName": "api_call", "customer": "beta", "idempotencyKey": "b-h1",
                 "timestamp": "2026-01-01T00:00:00Z"},
            ]},
            {"at": "2026-07-15T00:00:00Z"},
            {"events": [{"eventName": "api_call", "customer": "acme", "idempotencyKey": "a-h2", "repeat": 7,
                         "timestamp": "2026-07-10T00:00:00Z"}]},
            {"expect": {"contract": "fixed", "invoices": [
                {"date": "2026-01-01", "total": 60000, "lines": [["Base", 6, 60000]]},
                # 600.00 + H1 100 calls x 0.10 = 10.00 -> 610.00
                {"date": "2026-07-01", "total": 61000, "lines": [["Base", 6, 60000], ["Calls", 100, 1000]]},
                # closing: H2 7 calls x 0.10 = 0.70
                {"date": "2027-01-01", "total": 70, "lines": [["Calls", 7, 70, {"period": "2026-07-01..2026-12-31"}]]},
            ]}},
            # Horizon on 2026-07-15: 2032-07-15 -> one more draft, 2032-07-01 (14).
            {"expect": {"contract": "rolling", "dates": [
                "2026-01-01", "2026-07-01", "2027-01-01", "2027-07-01", "2028-01-01", "2028-07-01", "2029-01-01",
                "2029-07-01", "2030-01-01", "2030-07-01", "2031-01-01", "2031-07-01", "2032-01-01", "2032-07-01"],
             "invoices": [
                # 600.00 + 1 call x 0.10 -> 600.10
                {"date": "2026-07-01", "total": 60010, "lines": [["Base", 6, 60000], ["Calls", 1, 10]]},
                {"date": "2032-07-01", "total": 60000, "lines": [["Base", 6, 60000], ["Calls", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "annual-fixed-and-rolling",
        "doc": "ANNUALLY plan: a two-year fixed term next to a rolling contract whose horizon grows.",
        "now": "2026-01-01T00:00:00Z",
        "meters": CALLS_METER,
        "pricing": {"base": _base("YEAR", "1200.00"), "calls": CALLS},
        "plans": {"p": {"billingFrequency": "ANNUALLY", "pricing": ["base", "calls"]}},
        "customers": ["acme", "beta"],
        "contracts": {"fixed": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2028-01-01"},
                      "rolling": {"customer": "beta", "plan": "p", "startDate": "2026-01-01"}},
        "steps": [
            # At creation: horizon 2026-01-01 + 144 months = 2038-01-01 -> 13 yearly drafts.
            {"expect": {"contract": "rolling", "dates": [
                "2026-01-01", "2027-01-01", "2028-01-01", "2029-01-01", "2030-01-01", "2031-01-01", "2032-01-01",
                "2033-01-01", "2034-01-01", "2035-01-01", "2036-01-01", "2037-01-01", "2038-01-01"],
             "invoices": [{"date": "2026-01-01", "total": 120000, "lines": [["Base", 1, 120000]]}]}},
            {"at": "2026-12-31T23:59:59Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "a-2026", "repeat": 250,
                 "timestamp": "2026-12-31T23:59:59Z"},
                {"eventName": "api_call", "customer": "beta", "idempotencyKey": "b-2026", "repeat": 10,
                 "timestamp": "2026-06-01T00:00:00Z"},
            ]},
            {"at": "2027-01-10T00:00:00Z"},
            {"events": [{"eventName": "api_call", "customer": "acme", "idempotencyKey": "a-2027", "repeat": 3,
                         "timestamp": "2027-01-05T00:00:00Z"}]},
            {"expect": {"contract": "fixed", "invoices": [
                {"date": "2026-01-01", "total": 120000, "lines": [["Base", 1, 120000]]},
                # 1200.00 + 2026's 250 calls x 0.10 = 25.00 -> 1225.00
                {"date": "2027-01-01", "total": 122500, "lines": [
                    ["Base", 1, 120000], ["Calls", 250, 2500, {"period": "2026-01-01..2026-12-31"}]]},
                # closing: 2027's 3 calls x 0.10 = 0.30
                {"date": "2028-01-01", "total": 30, "lines": [["Calls", 3, 30]]},
            ]}},
            # Horizon on 2027-01-10: 2039-01-10 -> one more draft, 2039-01-01 (14).
            {"expect": {"contract": "rolling", "dates": [
                "2026-01-01", "2027-01-01", "2028-01-01", "2029-01-01", "2030-01-01", "2031-01-01", "2032-01-01",
                "2033-01-01", "2034-01-01", "2035-01-01", "2036-01-01", "2037-01-01", "2038-01-01", "2039-01-01"],
             "invoices": [
                # 1200.00 + 10 calls x 0.10 = 1.00 -> 1201.00
                {"date": "2027-01-01", "total": 120100, "lines": [["Base", 1, 120000], ["Calls", 10, 100]]},
                {"date": "2039-01-01", "total": 120000, "lines": [["Base", 1, 120000], ["Calls", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "fixed-term-clipped-final-period",
        "doc": "endDate mid-period: the last period is clipped to [Feb 1, Feb 15); events outside are unmatched.",
        "now": "2026-01-01T00:00:00Z",
        "meters": CALLS_METER,
        "pricing": {"base": _base("MONTH", "100.00"),
                    "calls": {**CALLS, "unitAmount": "1.00"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "calls"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-02-15"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "before-start",
                 "timestamp": "2025-12-31T23:59:59Z"},
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "jan",
                 "timestamp": "2026-01-10T00:00:00Z"},
            ]},
            {"at": "2026-02-15T00:30:00Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "last-instant",
                 "timestamp": "2026-02-14T23:59:59.999Z"},
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "on-end-date",
                 "timestamp": "2026-02-15T00:00:00Z"},
            ]},
            {"at": "2026-02-15T02:00:00Z"},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 10000, "lines": [["Base", 1, 10000]]},
                # The clipped period [Feb 1, Feb 15) holds one MONTH start (Feb 1) -> Base 100.00, not prorated;
                # January: 1 call x 1.00 -> 101.00
                {"date": "2026-02-01", "total": 10100, "lines": [
                    ["Base", 1, 10000, {"period": "2026-02-01..2026-02-14"}],
                    ["Calls", 1, 100, {"period": "2026-01-01..2026-01-31"}]]},
                # closing, dated endDate: the clipped period's 1 call -> 1.00
                {"date": "2026-02-15", "total": 100, "lines": [
                    ["Calls", 1, 100, {"period": "2026-02-01..2026-02-14"}]]},
            ]}},
            {"unmatched": {"before-start": "NO_CONTRACT_COVERS_TIMESTAMP",
                           "on-end-date": "NO_CONTRACT_COVERS_TIMESTAMP"}},
        ],
    },
]

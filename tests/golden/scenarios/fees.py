"""Fixed fees: one-time fees, and WEEK / MONTH / YEAR pricing intervals on every plan frequency.

Recurring FLAT fees are billed in advance on their period's invoice, once per start of the pricing's own
interval (counted from the contract start) inside the billing period; a fee with no start in a period
has no line there. ONE_TIME fees bill on the first invoice only. A fixed-term contract's closing
invoice carries usage only (none here, so it is empty).

Calendar facts used below: 2026-01-01 is a Thursday, so weekly fees start on Thursdays. Thursdays per
month in 2026: Jan 5, Feb 4, Mar 4, Apr 5, May 4, Jun 4, Jul 5, Aug 4, Sep 4, Oct 5, Nov 4, Dec 5 (53);
2027 has 52 Thursdays (it starts on a Friday).
"""

from __future__ import annotations

from typing import Any

FEES: dict[str, dict[str, Any]] = {
    "weekly": {"name": "Weekly", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "10.00",
               "priceInterval": "WEEK"},
    "monthly": {"name": "Monthly", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "100.00",
                "priceInterval": "MONTH", "priceIntervalCount": 1},
    "yearly": {"name": "Yearly", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "1200.00",
               "priceInterval": "YEAR"},
    "biweekly": {"name": "Biweekly", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "15.00",
                 "priceInterval": "WEEK", "priceIntervalCount": 2},
    "bimonthly": {"name": "Bimonthly", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "50.00",
                  "priceInterval": "MONTH", "priceIntervalCount": 2},
}
THREE = {k: FEES[k] for k in ("weekly", "monthly", "yearly")}

SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "one-time-setup-fee",
        "doc": "A ONE_TIME fee bills on the first invoice only, also on rolling drafts created later.",
        "now": "2026-01-01T00:00:00Z",
        "pricing": {
            "platform": {"name": "Platform", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "99.00",
                         "priceInterval": "MONTH"},
            "setup": {"name": "Setup", "model": "FLAT", "billingMode": "ONE_TIME", "unitAmount": "500.00"},
        },
        "plans": {"monthly": {"billingFrequency": "MONTHLY", "pricing": ["platform", "setup"]},
                  "quarterly": {"billingFrequency": "QUARTERLY", "pricing": ["platform", "setup"]}},
        "customers": ["acme", "beta"],
        "contracts": {
            "c1": {"customer": "acme", "plan": "monthly", "startDate": "2026-01-01", "endDate": "2026-04-01"},
            "c2": {"customer": "beta", "plan": "quarterly", "startDate": "2026-02-01"},
        },
        "steps": [
            {"expect": {"contract": "c1", "invoices": [
                # Platform 1 x 99.00 + Setup 1 x 500.00 = 599.00
                {"date": "2026-01-01", "total": 59900, "lines": [["Platform", 1, 9900], ["Setup", 1, 50000]]},
                {"date": "2026-02-01", "total": 9900, "lines": [["Platform", 1, 9900]]},
                {"date": "2026-03-01", "total": 9900, "lines": [["Platform", 1, 9900]]},
                {"date": "2026-04-01", "total": 0, "lines": []},
            ]}},
            # Rolling quarterly from 2026-02-01, created on 2026-01-01: drafts reach 12 periods (36 months)
            # past max(today, start) = 2029-02-01, the period starting then included -> 13 invoices.
            {"expect": {"contract": "c2", "dates": [
                "2026-02-01", "2026-05-01", "2026-08-01", "2026-11-01", "2027-02-01", "2027-05-01", "2027-08-01",
                "2027-11-01", "2028-02-01", "2028-05-01", "2028-08-01", "2028-11-01", "2029-02-01"],
             "invoices": [
                # Platform: MONTH fee on a quarterly plan -> 3 starts x 99.00 = 297.00; + Setup 500.00 = 797.00
                {"date": "2026-02-01", "total": 79700, "lines": [["Platform", 3, 29700], ["Setup", 1, 50000]]},
                {"date": "2026-05-01", "total": 29700, "lines": [["Platform", 3, 29700]]},
                {"date": "2029-02-01", "total": 29700, "lines": [["Platform", 3, 29700]]},
            ]}},
            # On 2026-06-15 the horizon reaches 2029-06-15: one more draft (2029-05-01), without the setup fee.
            {"at": "2026-06-15T00:00:00Z"},
            {"expect": {"contract": "c2", "dates": [
                "2026-02-01", "2026-05-01", "2026-08-01", "2026-11-01", "2027-02-01", "2027-05-01", "2027-08-01",
                "2027-11-01", "2028-02-01", "2028-05-01", "2028-08-01", "2028-11-01", "2029-02-01", "2029-05-01"],
             "invoices": [
                {"date": "2026-02-01", "total": 79700, "lines": [["Platform", 3, 29700], ["Setup", 1, 50000]]},
                {"date": "2029-05-01", "total": 29700, "lines": [["Platform", 3, 29700]]},
            ]}},
        ],
    },
    {
        "name": "intervals-on-monthly-plan",
        "doc": "WEEK, MONTH, YEAR and multi-count intervals on a MONTHLY plan, Jan-Apr 2026.",
        "now": "2026-01-01T00:00:00Z",
        "pricing": FEES,
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": list(FEES)}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-05-01"}},
        "steps": [
            {"expect": {"contract": "c1", "invoices": [
                # January: Weekly 5 x 10 = 50; Monthly 100; Yearly 1200; Biweekly (Jan 1, 15, 29) 3 x 15 = 45;
                # Bimonthly (Jan 1) 50 -> 1445.00
                {"date": "2026-01-01", "total": 144500, "lines": [
                    ["Weekly", 5, 5000, {"period": "2026-01-01..2026-01-31", "unitPrice": "10.00",
                                         "isMetered": False}],
                    ["Monthly", 1, 10000], ["Yearly", 1, 120000], ["Biweekly", 3, 4500], ["Bimonthly", 1, 5000]]},
                # February: Weekly 4 x 10 = 40; Monthly 100; no Yearly start; Biweekly (Feb 12, 26) 2 x 15 = 30;
                # no Bimonthly start (Jan 1, Mar 1, May 1) -> 170.00
                {"date": "2026-02-01", "total": 17000, "lines": [
                    ["Weekly", 4, 4000, {"period": "2026-02-01..2026-02-28"}], ["Monthly", 1, 10000],
                    ["Biweekly", 2, 3000]]},
                # March: Weekly 4 = 40; Monthly 100; Biweekly (Mar 12, 26) 30; Bimonthly (Mar 1) 50 -> 220.00
                {"date": "2026-03-01", "total": 22000, "lines": [
                    ["Weekly", 4, 4000], ["Monthly", 1, 10000], ["Biweekly", 2, 3000], ["Bimonthly", 1, 5000]]},
                # April: Weekly 5 = 50; Monthly 100; Biweekly (Apr 9, 23) 30 -> 180.00
                {"date": "2026-04-01", "total": 18000, "lines": [
                    ["Weekly", 5, 5000], ["Monthly", 1, 10000], ["Biweekly", 2, 3000]]},
                {"date": "2026-05-01", "total": 0, "lines": []},
            ]}},
        ],
    },
    {
        "name": "intervals-on-quarterly-plan",
        "doc": "WEEK, MONTH and YEAR fees on a QUARTERLY plan for 2026.",
        "now": "2026-01-01T00:00:00Z",
        "pricing": THREE,
        "plans": {"p": {"billingFrequency": "QUARTERLY", "pricing": list(THREE)}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2027-01-01"}},
        "steps": [
            {"expect": {"contract": "c1", "invoices": [
                # Q1: Weekly 5+4+4 = 13 x 10 = 130; Monthly 3 x 100 = 300; Yearly 1200 -> 1630.00
                {"date": "2026-01-01", "total": 163000, "lines": [
                    ["Weekly", 13, 13000], ["Monthly", 3, 30000], ["Yearly", 1, 120000]]},
                # Q2: Weekly 5+4+4 = 13 -> 130 + 300 = 430.00
                {"date": "2026-04-01", "total": 43000, "lines": [["Weekly", 13, 13000], ["Monthly", 3, 30000]]},
                # Q3: Weekly 5+4+4 = 13 -> 430.00
                {"date": "2026-07-01", "total": 43000, "lines": [["Weekly", 13, 13000], ["Monthly", 3, 30000]]},
                # Q4: Weekly 5+4+5 = 14 -> 140 + 300 = 440.00
                {"date": "2026-10-01", "total": 44000, "lines": [
                    ["Weekly", 14, 14000, {"period": "2026-10-01..2026-12-31"}], ["Monthly", 3, 30000]]},
                {"date": "2027-01-01", "total": 0, "lines": []},
            ]}},
        ],
    },
    {
        "name": "intervals-on-semi-annual-plan",
        "doc": "WEEK, MONTH and YEAR fees on a SEMI_ANNUALLY plan for 2026.",
        "now": "2026-01-01T00:00:00Z",
        "pricing": THREE,
        "plans": {"p": {"billingFrequency": "SEMI_ANNUALLY", "pricing": list(THREE)}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2027-01-01"}},
        "steps": [
            {"expect": {"contract": "c1", "invoices": [
                # H1: Weekly 5+4+4+5+4+4 = 26 x 10 = 260; Monthly 6 x 100 = 600; Yearly 1200 -> 2060.00
                {"date": "2026-01-01", "total": 206000, "lines": [
                    ["Weekly", 26, 26000], ["Monthly", 6, 60000], ["Yearly", 1, 120000]]},
                # H2: Weekly 5+4+4+5+4+5 = 27 x 10 = 270; Monthly 600 -> 870.00
                {"date": "2026-07-01", "total": 87000, "lines": [["Weekly", 27, 27000], ["Monthly", 6, 60000]]},
                {"date": "2027-01-01", "total": 0, "lines": []},
            ]}},
        ],
    },
    {
        "name": "intervals-on-annual-plan",
        "doc": "WEEK, MONTH and YEAR fees on an ANNUALLY plan for 2026-2027.",
        "now": "2026-01-01T00:00:00Z",
        "pricing": THREE,
        "plans": {"p": {"billingFrequency": "ANNUALLY", "pricing": list(THREE)}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2028-01-01"}},
        "steps": [
            {"expect": {"contract": "c1", "invoices": [
                # 2026: Weekly 53 x 10 = 530; Monthly 12 x 100 = 1200; Yearly 1200 -> 2930.00
                {"date": "2026-01-01", "total": 293000, "lines": [
                    ["Weekly", 53, 53000], ["Monthly", 12, 120000], ["Yearly", 1, 120000]]},
                # 2027: Weekly 52 x 10 = 520 (first start 2027-01-07 = 2026-01-01 + 53 weeks); Monthly 1200;
                # Yearly 1200 -> 2920.00
                {"date": "2027-01-01", "total": 292000, "lines": [
                    ["Weekly", 52, 52000], ["Monthly", 12, 120000], ["Yearly", 1, 120000]]},
                {"date": "2028-01-01", "total": 0, "lines": []},
            ]}},
        ],
    },
]

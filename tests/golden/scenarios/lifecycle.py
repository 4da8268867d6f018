"""Contract lifecycle mid-period: cancellation (end of period, immediate) and plan changes (immediate with
and without proration, end of period, requested date). Fixed fees prorate by exact shares of the period,
to the second (a change at midnight gives its whole day to the new plan); usage splits at the change
instant; differences on finalized invoices are billed on the earliest open invoice as
"<name> (adjustment, <period>)" lines.
"""

from __future__ import annotations

from typing import Any

SMS_METER = {"aggregationType": "SUM", "aggregationKey": "quantity", "eventTypeFilter": {"include": ["sms_sent"]}}
BASE = {"name": "Base", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "100.00", "priceInterval": "MONTH"}
SMS = {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.045", "meter": "sms"}
PRO_FEE = {"name": "Pro Fee", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "50.00",
           "priceInterval": "MONTH"}
PRO_SMS = {"name": "Pro SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.08", "meter": "sms"}
ENT_FEE = {"name": "Ent Fee", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "200.00",
           "priceInterval": "MONTH"}
ENT_SMS = {"name": "Ent SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.05", "meter": "sms"}
JAN = "2026-01-01 to 2026-01-31"
TWO_PLANS = {
    "meters": {"sms": SMS_METER},
    "pricing": {"pro-fee": PRO_FEE, "pro-sms": PRO_SMS, "ent-fee": ENT_FEE, "ent-sms": ENT_SMS},
    "plans": {"pro": {"billingFrequency": "MONTHLY", "pricing": ["pro-fee", "pro-sms"]},
              "ent": {"billingFrequency": "MONTHLY", "pricing": ["ent-fee", "ent-sms"]}},
    "customers": ["acme"],
    "contracts": {"c1": {"customer": "acme", "plan": "pro", "startDate": "2026-01-01", "endDate": "2026-03-01"}},
}


def _sms(key: str, at: str, quantity: int) -> dict[str, Any]:
    return {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": key, "timestamp": at,
            "properties": {"quantity": quantity}}


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "cancel-at-end-of-period-mid-period",
        "doc": "Cancelled on Jan 15: January's invoice stays, February's only bills January's usage, later "
               "drafts are cancelled; February usage no longer matches.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"base": BASE, "sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-07-01"}},
        "steps": [
            {"at": "2026-01-15T00:00:00Z"},
            {"events": [_sms("a", "2026-01-10T00:00:00Z", 100)]},
            # slots Jan..Jun + closing Jul 1 (7); kept: Jan 1 and Feb 1; cancelled: Mar 1 .. Jul 1 (5)
            {"cancel": {"contract": "c1", "cancelAt": "end_of_period", "effectiveCancellationDate": "2026-01-31",
                        "cancelledInvoiceCount": 5}},
            {"at": "2026-01-31T23:00:00Z"},
            {"events": [_sms("b", "2026-01-31T22:00:00Z", 20)]},
            {"at": "2026-02-02T00:00:00Z"},
            {"unmatched": {}},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 10000, "status": "Sent", "lines": [["Base", 1, 10000]]},
                # January usage only: 120 x 0.045 = 5.40; no February base fee
                {"date": "2026-02-01", "total": 540, "status": "Sent", "lines": [["SMS", 120, 540]]},
                {"date": "2026-03-01", "total": 10000, "status": "Cancelled", "lines": [["Base", 1, 10000],
                                                                                          ["SMS", 0, 0]]},
                {"date": "2026-04-01", "total": 10000, "status": "Cancelled", "lines": [["Base", 1, 10000],
                                                                                          ["SMS", 0, 0]]},
                {"date": "2026-05-01", "total": 10000, "status": "Cancelled", "lines": [["Base", 1, 10000],
                                                                                          ["SMS", 0, 0]]},
                {"date": "2026-06-01", "total": 10000, "status": "Cancelled", "lines": [["Base", 1, 10000],
                                                                                          ["SMS", 0, 0]]},
                {"date": "2026-07-01", "total": 0, "status": "Cancelled", "lines": [["SMS", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "cancel-immediately-mid-period",
        "doc": "Cancelled on Feb 10 at noon: usage up to then is billed on a final invoice dated Feb 10, "
               "usage after noon is unmatched, later drafts are cancelled, fees paid in advance stay.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"base": BASE, "sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["base", "sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-04-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("jan", "2026-01-10T00:00:00Z", 400)]},
            {"at": "2026-02-10T12:00:00Z"},
            {"events": [_sms("feb", "2026-02-05T00:00:00Z", 10)]},
            # Jan 1, Feb 1, Mar 1 (becomes the final invoice) and the closing Apr 1 (cancelled)
            {"cancel": {"contract": "c1", "cancelAt": "immediate", "effectiveCancellationDate": "2026-02-10",
                        "cancelledInvoiceCount": 1}},
            {"events": [_sms("after", "2026-02-10T12:30:00Z", 7)]},
            {"at": "2026-02-10T13:30:00Z"},
            {"unmatched": {"after": "NO_CONTRACT_COVERS_TIMESTAMP"}},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 10000, "status": "Sent", "lines": [["Base", 1, 10000]]},
                # 100.00 + 400 x 0.045 = 18.00
                {"date": "2026-02-01", "total": 11800, "status": "Sent", "lines": [["Base", 1, 10000],
                                                                                     ["SMS", 400, 1800]]},
                # final: 10 x 0.045 = 0.45, issued once the grace hour after noon has passed
                {"date": "2026-02-10", "total": 45, "status": "Sent", "lines": [["SMS", 10, 45]]},
                {"date": "2026-04-01", "total": 0, "status": "Cancelled", "lines": [["SMS", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "change-plan-immediately-with-proration",
        "doc": "Pro -> Enterprise on Jan 15 00:00 after January's invoice was issued: prorated fee adjustments "
               "(14/31 and 17/31) and usage split at the change on February's invoice.",
        "now": "2026-01-01T00:00:00Z",
        **TWO_PLANS,
        "steps": [
            {"at": "2026-01-15T00:00:00Z"},
            {"events": [_sms("before", "2026-01-10T00:00:00Z", 100)]},
            {"change_plan": {"contract": "c1", "plan": "ent", "changeOption": "immediate",
                             "effectiveDate": "2026-01-15"}},
            {"at": "2026-01-25T00:00:00Z"},
            {"events": [_sms("after", "2026-01-20T00:00:00Z", 200)]},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 5000, "status": "Sent", "lines": [["Pro Fee", 1, 5000]]},
                # Ent Fee 200.00 (February) + Pro SMS 100 x 0.08 = 8.00 + Ent SMS 200 x 0.05 = 10.00
                # + Pro Fee 50 x 14/31 = 22.58 - 50.00 billed = -27.42 + Ent Fee 200 x 17/31 = 109.68
                # = 200.00 + 8.00 + 10.00 - 27.42 + 109.68 = 300.26
                # A fee adjustment is one charge: quantity 1 at the difference (1 x -27.42, 1 x 109.68)
                {"date": "2026-02-01", "total": 30026, "lines": [
                    ["Ent Fee", 1, 20000], ["Pro SMS", 100, 800], ["Ent SMS", 200, 1000],
                    [f"Pro Fee (adjustment, {JAN})", 1, -2742, {"unitPrice": "-27.42"}],
                    [f"Ent Fee (adjustment, {JAN})", 1, 10968, {"unitPrice": "109.68"}]]},
                {"date": "2026-03-01", "total": 0, "lines": [["Ent SMS", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "change-plan-immediately-without-proration",
        "doc": "prorate false: January's fees stay Pro's, Enterprise fees start in February; usage still splits.",
        "now": "2026-01-01T00:00:00Z",
        **TWO_PLANS,
        "steps": [
            {"at": "2026-01-15T00:00:00Z"},
            {"events": [_sms("before", "2026-01-10T00:00:00Z", 100)]},
            {"change_plan": {"contract": "c1", "plan": "ent", "changeOption": "immediate", "prorate": False}},
            {"at": "2026-01-25T00:00:00Z"},
            {"events": [_sms("after", "2026-01-20T00:00:00Z", 200)]},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 5000, "lines": [["Pro Fee", 1, 5000]]},
                # 200.00 + 8.00 + 10.00
                {"date": "2026-02-01", "total": 21800, "lines": [
                    ["Ent Fee", 1, 20000], ["Pro SMS", 100, 800], ["Ent SMS", 200, 1000]]},
                {"date": "2026-03-01", "total": 0, "lines": [["Ent SMS", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "change-plan-at-end-of-period-and-on-a-requested-date",
        "doc": "A change at the end of January bills Enterprise from February; a requested date inside an "
               "open period splits that period's own fees by days (19/31 and 12/31).",
        "now": "2026-01-01T00:00:00Z",
        **{**TWO_PLANS, "customers": ["acme", "beta"],
           "contracts": {"c1": TWO_PLANS["contracts"]["c1"],
                         "c2": {"customer": "beta", "plan": "pro", "startDate": "2026-02-01",
                                "endDate": "2026-04-01"}}},
        "steps": [
            {"at": "2026-01-10T00:00:00Z"},
            {"change_plan": {"contract": "c1", "plan": "ent", "changeOption": "end_of_period",
                             "effectiveDate": "2026-02-01"}},
            {"change_plan": {"contract": "c2", "plan": "ent", "changeOption": "requested_date",
                             "changeDate": "2026-02-20", "effectiveDate": "2026-02-20"}},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 5000, "lines": [["Pro Fee", 1, 5000]]},
                {"date": "2026-02-01", "total": 20000, "lines": [["Ent Fee", 1, 20000], ["Pro SMS", 0, 0]]},
                {"date": "2026-03-01", "total": 0, "lines": [["Ent SMS", 0, 0]]},
            ]}},
            # February has 28 days: Pro 19 days 50 x 19/28 = 33.93; Ent 9 days 200 x 9/28 = 64.29
            {"expect": {"contract": "c2", "invoices": [
                {"date": "2026-02-01", "total": 9822, "lines": [["Pro Fee", 1, 3393], ["Ent Fee", 1, 6429]]},
                {"date": "2026-03-01", "total": 20000, "lines": [["Ent Fee", 1, 20000], ["Pro SMS", 0, 0],
                                                                 ["Ent SMS", 0, 0]]},
                {"date": "2026-04-01", "total": 0, "lines": [["Ent SMS", 0, 0]]},
            ]}},
        ],
    },
]

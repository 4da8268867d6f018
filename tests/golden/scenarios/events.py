"""Events: resends (last write wins, per idempotency key), events that move between periods, meters and
contracts, period boundaries and UTC offsets, and events no contract covers (kept visible as unmatched).
"""

from __future__ import annotations

from typing import Any

SMS_METER = {"aggregationType": "SUM", "aggregationKey": "quantity", "eventTypeFilter": {"include": ["sms_sent"]}}
SMS = {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.045", "meter": "sms"}
JAN_FEB = {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-03-01"}
EMPTY_FIRST = {"date": "2026-01-01", "total": 0, "lines": []}


def _sms(key: str, at: str, quantity: int | str, customer: str = "acme") -> dict[str, Any]:
    return {"eventName": "sms_sent", "customer": customer, "idempotencyKey": key, "timestamp": at,
            "properties": {"quantity": quantity}}


def _jan_feb(jan_total: int, jan: list[Any], feb_total: int, feb: list[Any]) -> list[dict[str, Any]]:
    """The three invoices of JAN_FEB: empty first one, then January's and February's usage (totals in cents)."""
    return [
        EMPTY_FIRST,
        {"date": "2026-02-01", "total": jan_total, "lines": jan},
        {"date": "2026-03-01", "total": feb_total, "lines": feb},
    ]


SCENARIOS: list[dict[str, Any]] = [
    {
        "name": "resend-last-write-wins",
        "doc": "A resend replaces the event; an identical resend changes nothing; in-batch duplicates keep the last.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": JAN_FEB},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("k1", "2026-01-05T00:00:00Z", 100), _sms("k2", "2026-01-06T00:00:00Z", 50)]},
            # 100 + 50 = 150 x 0.045 = 6.75
            {"expect": {"contract": "c1", "invoices": _jan_feb(675, [["SMS", 150, 675]], 0, [["SMS", 0, 0]])}},
            {"events": [_sms("k1", "2026-01-05T00:00:00Z", 100), _sms("k2", "2026-01-06T00:00:00Z", 50)]},
            # identical resend: still 150 -> 6.75
            {"expect": {"contract": "c1", "invoices": _jan_feb(675, [["SMS", 150, 675]], 0, [["SMS", 0, 0]])}},
            {"events": [_sms("k1", "2026-01-05T00:00:00Z", 400)]},
            # k1 now 400: 400 + 50 = 450 x 0.045 = 20.25
            {"expect": {"contract": "c1", "invoices": _jan_feb(2025, [["SMS", 450, 2025]], 0, [["SMS", 0, 0]])}},
            {"events": [_sms("k3", "2026-01-07T00:00:00Z", 10), _sms("k3", "2026-01-07T00:00:00Z", 20)]},
            # k3 twice in one batch: the last (20) wins -> 470 x 0.045 = 21.15
            {"expect": {"contract": "c1", "invoices": _jan_feb(2115, [["SMS", 470, 2115]], 0, [["SMS", 0, 0]])}},
        ],
    },
    {
        "name": "resend-moves-between-periods",
        "doc": "A resend with a new timestamp moves usage to another period's invoice and back (in the grace "
               "hour after January closed, while both invoices are open).",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": JAN_FEB},
        "steps": [
            {"at": "2026-02-01T00:30:00Z"},
            {"events": [_sms("k1", "2026-01-05T00:00:00Z", 100)]},
            # January 100 x 0.045 = 4.50
            {"expect": {"contract": "c1", "invoices": _jan_feb(450, [["SMS", 100, 450]], 0, [["SMS", 0, 0]])}},
            {"events": [_sms("k1", "2026-02-01T00:10:00Z", 40)]},
            # moved to February with 40: January 0; February 40 x 0.045 = 1.80
            {"expect": {"contract": "c1", "invoices": _jan_feb(0, [["SMS", 0, 0]], 180, [["SMS", 40, 180]])}},
            {"events": [_sms("k1", "2026-01-31T23:59:59.999Z", 7)]},
            # back to January's last millisecond with 7: 7 x 0.045 = 0.315 -> 0.32; February 0
            {"expect": {"contract": "c1", "invoices": _jan_feb(32, [["SMS", 7, 32]], 0, [["SMS", 0, 0]])}},
        ],
    },
    {
        "name": "resend-moves-between-meters",
        "doc": "A resend under another event name moves usage from one meter's line to another's.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER,
                   "email": {"aggregationType": "SUM", "aggregationKey": "quantity",
                             "eventTypeFilter": {"include": ["email_sent"]}}},
        "pricing": {"sms": SMS, "email": {"name": "Email", "model": "USAGE", "billingMode": "RECURRING",
                                          "unitAmount": "0.001", "meter": "email"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms", "email"]}},
        "customers": ["acme"],
        "contracts": {"c1": JAN_FEB},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("k1", "2026-01-05T00:00:00Z", 100)]},
            # SMS 100 x 0.045 = 4.50; Email 0
            {"expect": {"contract": "c1", "invoices": _jan_feb(
                450, [["SMS", 100, 450], ["Email", 0, 0]], 0, [["SMS", 0, 0], ["Email", 0, 0]])}},
            {"events": [{"eventName": "email_sent", "customer": "acme", "idempotencyKey": "k1",
                         "timestamp": "2026-01-05T00:00:00Z", "properties": {"quantity": 100}}]},
            # now an email: SMS 0; Email 100 x 0.001 = 0.10
            {"expect": {"contract": "c1", "invoices": _jan_feb(
                10, [["SMS", 0, 0], ["Email", 100, 10]], 0, [["SMS", 0, 0], ["Email", 0, 0]])}},
        ],
    },
    {
        "name": "resend-moves-out-of-and-back-into-contract",
        "doc": "A resend dated before the contract leaves the old invoice empty and the event unmatched.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": JAN_FEB},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("k1", "2026-01-05T00:00:00Z", 100)]},
            {"expect": {"contract": "c1", "invoices": _jan_feb(450, [["SMS", 100, 450]], 0, [["SMS", 0, 0]])}},
            {"events": [_sms("k1", "2025-12-20T00:00:00Z", 100)]},
            # before the start: January drops to 0, the event stays visible as unmatched
            {"expect": {"contract": "c1", "invoices": _jan_feb(0, [["SMS", 0, 0]], 0, [["SMS", 0, 0]])}},
            {"unmatched": {"k1": "NO_CONTRACT_COVERS_TIMESTAMP"}},
            {"at": "2026-02-02T12:00:00Z"},
            {"events": [_sms("k1", "2026-02-02T00:00:00Z", 100)]},
            # back inside, in February: 100 x 0.045 = 4.50 on the March invoice; nothing unmatched;
            # the February invoice was finalized with January's 0
            {"expect": {"contract": "c1", "invoices": _jan_feb(0, [["SMS", 0, 0]], 450, [["SMS", 100, 450]])}},
            {"unmatched": {}},
        ],
    },
    {
        "name": "resend-moves-between-contracts",
        "doc": "One customer, consecutive contracts (Jan 1 - Feb 15, Feb 15 - Apr 15): a resend into the "
               "second contract's term moves the usage, in the grace hour while both invoices are open.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "p", "startDate": "2026-01-01", "endDate": "2026-02-15"},
                      "c2": {"customer": "acme", "plan": "p", "startDate": "2026-02-15", "endDate": "2026-04-15"}},
        "steps": [
            {"at": "2026-02-15T00:30:00Z"},
            {"events": [_sms("k1", "2026-02-14T12:00:00Z", 100)]},
            # c1's clipped period [Feb 1, Feb 15): 100 x 0.045 = 4.50 on c1's closing invoice
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                {"date": "2026-02-01", "total": 0, "lines": [["SMS", 0, 0]]},
                {"date": "2026-02-15", "total": 450, "lines": [
                    ["SMS", 100, 450, {"period": "2026-02-01..2026-02-14"}]]},
            ]}},
            {"events": [_sms("k1", "2026-02-15T00:10:00Z", 100)]},
            {"expect": {"contract": "c1", "invoices": [
                EMPTY_FIRST,
                {"date": "2026-02-01", "total": 0, "lines": [["SMS", 0, 0]]},
                {"date": "2026-02-15", "total": 0, "lines": [["SMS", 0, 0]]},
            ]}},
            # c2's first period [Feb 15, Mar 15): 100 x 0.045 = 4.50 on c2's Mar 15 invoice
            {"expect": {"contract": "c2", "invoices": [
                {"date": "2026-02-15", "total": 0, "lines": []},
                {"date": "2026-03-15", "total": 450, "lines": [
                    ["SMS", 100, 450, {"period": "2026-02-15..2026-03-14"}]]},
                {"date": "2026-04-15", "total": 0, "lines": [["SMS", 0, 0]]},
            ]}},
        ],
    },
    {
        "name": "event-boundaries-and-utc-offsets",
        "doc": "Periods are half-open UTC ranges; offsets are converted first; uncovered events stay unmatched.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"calls": {"aggregationType": "COUNT", "eventTypeFilter": {"include": ["api_call"]}}},
        "pricing": {"calls": {"name": "Calls", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "1.00",
                              "meter": "calls"}},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["calls"]}},
        "customers": ["acme"],
        "contracts": {"c1": JAN_FEB},
        "steps": [
            {"at": "2026-02-01T00:30:00Z"},
            {"events": [
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "jan-last-ms",
                 "timestamp": "2026-01-31T23:59:59.999Z"},
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "feb-first",
                 "timestamp": "2026-02-01T00:00:00Z"},
                # 2026-01-31T23:30Z
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "plus-one",
                 "timestamp": "2026-02-01T00:30:00+01:00"},
                # 2026-02-01T00:30Z
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "minus-one",
                 "timestamp": "2026-01-31T23:30:00-01:00"},
                {"eventName": "api_call", "customer": "acme", "idempotencyKey": "before",
                 "timestamp": "2025-12-31T23:59:59.999Z"},
                {"eventName": "api_call", "customer": "ghost", "idempotencyKey": "ghost",
                 "timestamp": "2026-01-10T00:00:00Z"},
                {"eventName": "page_view", "customer": "acme", "idempotencyKey": "other-name",
                 "timestamp": "2026-01-10T00:00:00Z"},
            ]},
            {"at": "2026-03-01T00:30:00Z"},
            {"events": [{"eventName": "api_call", "customer": "acme", "idempotencyKey": "on-end",
                         "timestamp": "2026-03-01T00:00:00Z"}]},
            {"at": "2026-03-01T02:00:00Z"},
            # January: jan-last-ms + plus-one = 2 x 1.00; February: feb-first + minus-one = 2 x 1.00
            {"expect": {"contract": "c1", "invoices": _jan_feb(200, [["Calls", 2, 200]], 200, [["Calls", 2, 200]])}},
            {"unmatched": {"before": "NO_CONTRACT_COVERS_TIMESTAMP", "on-end": "NO_CONTRACT_COVERS_TIMESTAMP",
                           "ghost": "CUSTOMER_NOT_FOUND", "other-name": "NO_MATCHING_METER"}},
        ],
    },
    {
        "name": "events-route-by-meter-and-pin",
        "doc": "Two overlapping contracts: each event lands on the contract whose plan meters it; a pin restricts.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER,
                   "email": {"aggregationType": "SUM", "aggregationKey": "quantity",
                             "eventTypeFilter": {"include": ["email_sent"]}}},
        "pricing": {"sms": SMS, "email": {"name": "Email", "model": "USAGE", "billingMode": "RECURRING",
                                          "unitAmount": "0.001", "meter": "email"}},
        "plans": {"sms-plan": {"billingFrequency": "MONTHLY", "pricing": ["sms"]},
                  "mail-plan": {"billingFrequency": "MONTHLY", "pricing": ["email"]}},
        "customers": ["acme"],
        "contracts": {
            "c-sms": {"customer": "acme", "plan": "sms-plan", "startDate": "2026-01-01", "endDate": "2026-02-01"},
            "c-mail": {"customer": "acme", "plan": "mail-plan", "startDate": "2026-01-01", "endDate": "2026-02-01"},
        },
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [
                _sms("s1", "2026-01-10T00:00:00Z", 100),
                {"eventName": "email_sent", "customer": "acme", "idempotencyKey": "m1",
                 "timestamp": "2026-01-10T00:00:00Z", "properties": {"quantity": 1000}},
                {**_sms("s2", "2026-01-11T00:00:00Z", 50), "contract": "c-mail"},
                {"eventName": "email_sent", "customer": "acme", "contract": "c-mail", "idempotencyKey": "m2",
                 "timestamp": "2026-01-11T00:00:00Z", "properties": {"quantity": 500}},
            ]},
            # s1: 100 x 0.045 = 4.50
            {"expect": {"contract": "c-sms", "invoices": [
                EMPTY_FIRST, {"date": "2026-02-01", "total": 450, "lines": [["SMS", 100, 450]]}]}},
            # m1 + m2: 1500 x 0.001 = 1.50; s2 is pinned to c-mail, which meters no SMS
            {"expect": {"contract": "c-mail", "invoices": [
                EMPTY_FIRST, {"date": "2026-02-01", "total": 150, "lines": [["Email", 1500, 150]]}]}},
            {"unmatched": {"s2": "NO_MATCHING_METER"}},
        ],
    },
    {
        "name": "negative-values-correct-usage",
        "doc": "SUM values may be negative (corrections): 100 - 30 bills 70 units.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme"],
        "contracts": {"c1": JAN_FEB},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("a1", "2026-01-10T00:00:00Z", 100), _sms("a2", "2026-01-11T00:00:00Z", -30)]},
            # 100 - 30 = 70 x 0.045 = 3.15
            {"expect": {"contract": "c1", "invoices": _jan_feb(315, [["SMS", 70, 315]], 0, [["SMS", 0, 0]])}},
        ],
    },
    {
        "name": "negative-net-usage-never-stalls-billing",
        "doc": "A period whose SUM is negative bills nothing (the line shows the measured quantity at 0.00) "
               "and must not stop the worker: another customer's events in the same batch are billed.",
        "now": "2026-01-01T00:00:00Z",
        "meters": {"sms": SMS_METER},
        "pricing": {"sms": SMS},
        "plans": {"p": {"billingFrequency": "MONTHLY", "pricing": ["sms"]}},
        "customers": ["acme", "beta"],
        "contracts": {"c-acme": JAN_FEB, "c-beta": {**JAN_FEB, "customer": "beta"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [_sms("a1", "2026-01-10T00:00:00Z", 100), _sms("b1", "2026-01-10T00:00:00Z", -3, "beta")]},
            # acme: 100 x 0.045 = 4.50
            {"expect": {"contract": "c-acme", "invoices": _jan_feb(450, [["SMS", 100, 450]], 0, [["SMS", 0, 0]])}},
            # beta: net -3 -> max(-3 x 0.045, 0) = 0.00
            {"expect": {"contract": "c-beta", "invoices": _jan_feb(0, [["SMS", -3, 0]], 0, [["SMS", 0, 0]])}},
            {"unmatched": {}},
        ],
    },
]

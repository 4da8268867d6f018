"""Prepaid credits across a contract's life and in the documentation's own numbers (concepts §12,
reference §9.1, §10): a plan change (credits pay the metered lines of both plans, never the fees or
their proration adjustments), a cancellation (the cancelled draft gives back what it drew), a credit
wallet at 32 cents a credit, the first-credit guide's 1,000 credits at $0.50 with 200 bonus credits,
and the enterprise pattern ($100,000 invoiced for $125,000 of credits).

The setup of ``credits.py`` unless said otherwise: tokens at $0.01 (quantity = cents), a monthly
contract from March 1 to June 1, usage billed in arrears (March's on the April 1 invoice).
"""

from __future__ import annotations

from typing import Any

from tests.golden.scenarios.credits import EMPTY, EMPTY_MARCH, YEAR_END, _setup, _tokens, _usage_invoice

SMS_METER = {"aggregationType": "SUM", "aggregationKey": "quantity", "eventTypeFilter": {"include": ["sms_sent"]}}
JAN = "2026-01-01 to 2026-01-31"


def _sms(key: str, at: str, quantity: int) -> dict[str, Any]:
    return {"eventName": "sms_sent", "customer": "acme", "idempotencyKey": key, "timestamp": at,
            "properties": {"quantity": quantity}}


PLAN_CHANGE: dict[str, Any] = {
    "name": "credits-plan-change",
    "doc": "Pro → Enterprise on Jan 15 with proration: the wallet pays the SMS of both plans, never the fees "
           "nor the fee adjustments of the change.",
    "now": "2026-01-01T00:00:00Z",
    "meters": {"sms": SMS_METER},
    "pricing": {
        "pro-fee": {"name": "Pro Fee", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "50.00",
                    "priceInterval": "MONTH"},
        "pro-sms": {"name": "Pro SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.08",
                    "meter": "sms"},
        "ent-fee": {"name": "Ent Fee", "model": "FLAT", "billingMode": "RECURRING", "unitAmount": "200.00",
                    "priceInterval": "MONTH"},
        "ent-sms": {"name": "Ent SMS", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.05",
                    "meter": "sms"},
    },
    "plans": {"pro": {"billingFrequency": "MONTHLY", "pricing": ["pro-fee", "pro-sms"]},
              "ent": {"billingFrequency": "MONTHLY", "pricing": ["ent-fee", "ent-sms"]}},
    "customers": ["acme"],
    "contracts": {"c1": {"customer": "acme", "plan": "pro", "startDate": "2026-01-01", "endDate": "2026-03-01"}},
    "steps": [
        {"grant": {"contract": "c1", "amountCents": 1500, "expiresAt": YEAR_END, "description": "promo"}},
        {"at": "2026-01-15T00:00:00Z"},
        # 100 Pro SMS x 0.08 = 800: paid by credits (promo 700 left).
        {"events": [_sms("before", "2026-01-10T00:00:00Z", 100)]},
        {"change_plan": {"contract": "c1", "plan": "ent", "changeOption": "immediate", "effectiveDate": "2026-01-15"}},
        {"at": "2026-01-25T00:00:00Z"},
        # 200 Ent SMS x 0.05 = 1000: promo pays its last 700, 300 are overage.
        {"events": [_sms("after", "2026-01-20T00:00:00Z", 200)]},
        {"wallet": {"contract": "c1", "balanceCents": 0, "blocks": [["promo", "depleted", None, 0]]}},
        {"ledger": {"contract": "c1", "entries": [["grant", 1500, "promo"], ["usage", -800, "promo"],
                                                  ["usage", -700, "promo"]]}},
        {"expect": {"contract": "c1", "invoices": [
            # January's fee in advance: never paid by credits
            {"date": "2026-01-01", "total": 5000, "status": "Sent", "subtotalCents": 5000, "creditsAppliedCents": 0,
             "lines": [["Pro Fee", 1, 5000]]},
            # Ent Fee 200.00 + Pro SMS 8.00 + Ent SMS 10.00 − Pro Fee 50 x 17/31 = −27.42 + Ent Fee 200 x 17/31
            # = 109.68 → subtotal 300.26; credits 8.00 + 7.00 = 15.00 of the 18.00 of SMS; due 285.26
            {"date": "2026-02-01", "total": 28526, "subtotalCents": 30026, "creditsAppliedCents": 1500, "lines": [
                ["Ent Fee", 1, 20000], ["Pro SMS", 100, 800], ["Ent SMS", 200, 1000],
                [f"Pro Fee (adjustment, {JAN})", 1, -2742], [f"Ent Fee (adjustment, {JAN})", 1, 10968],
                ["Credits applied", 1, -1500]]},
            {"date": "2026-03-01", "total": 0, "subtotalCents": 0, "creditsAppliedCents": 0,
             "lines": [["Ent SMS", 0, 0]]},
        ]}},
    ],
}

CANCEL_STEPS: list[dict[str, Any]] = [
    {"at": "2026-03-25T00:00:00Z"},
    {"grant": {"contract": "c1", "amountCents": 10000, "expiresAt": YEAR_END, "description": "promo"}},
    {"events": [_tokens("mar", "2026-03-10T00:00:00Z", 2000)]},  # April 1 invoice: 2000 paid
    {"at": "2026-04-30T23:30:00Z"},
    # April 3000 (May 1 invoice) and May 1500 (June 1 invoice): both paid. Balance 10000 − 6500 = 3500.
    {"events": [_tokens("apr", "2026-04-20T00:00:00Z", 3000), _tokens("may", "2026-05-01T00:15:00Z", 1500)]},
    {"wallet": {"contract": "c1", "balanceCents": 3500, "blocks": [["promo", "active", 1, 3500]]}},
    # Ends with April: the June 1 draft (May's usage) is cancelled and gives back its 1500.
    {"cancel": {"contract": "c1", "cancelAt": "end_of_period", "effectiveCancellationDate": "2026-04-30",
                "cancelledInvoiceCount": 1}},
    {"wallet": {"contract": "c1", "balanceCents": 5000, "blocks": [["promo", "active", 1, 5000]]}},
    {"ledger": {"contract": "c1", "entries": [
        ["grant", 10000, "promo"], ["usage", -2000, "promo"], ["usage", -3000, "promo"],
        ["usage", -1500, "promo"], ["reversal", 1500, "promo"]]}},
    {"at": "2026-05-01T02:00:00Z"},
]
CANCEL_DATES = ["2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"]

CANCELLATION: dict[str, Any] = {
    "name": "credits-cancellation-gives-back",
    "doc": "Cancelled at the end of April with May's first tokens already drawn (an event up to an hour ahead): "
           "the cancelled June 1 draft gives its credits back; April's invoice keeps its own.",
    **_setup(),
    "steps": [*CANCEL_STEPS, {"expect": {"contract": "c1", "dates": CANCEL_DATES, "invoices": [
        EMPTY_MARCH,
        _usage_invoice("2026-04-01", 2000, 2000, status="Sent"),
        _usage_invoice("2026-05-01", 3000, 3000, status="Sent"),
    ]}}],
}

CANCELLED_DRAFT_SHOWS_NO_CREDITS: dict[str, Any] = {
    "name": "credits-cancelled-draft-shows-no-credits",
    "doc": "The cancelled June 1 draft gave its 1500 of credits back (reversal): it should no longer show them "
           "as applied.",
    **_setup(),
    "steps": [*CANCEL_STEPS, {"expect": {"contract": "c1", "dates": CANCEL_DATES, "invoices": [
        {"date": "2026-06-01", "status": "Cancelled", "total": 1500, "subtotalCents": 1500,
         "creditsAppliedCents": 0, "lines": [["Tokens", 1500, 1500]]},
    ]}}],
}

CREDIT_RATE_32: dict[str, Any] = {
    "name": "credits-doc-rate-32",
    "doc": "The documentation's credit units: $500 as 1,562.5 credits is 32 cents a credit; after $50 of usage "
           "the balance is 45,000 cents ↔ 1,406.25 credits.",
    **_setup(creditSettings={"creditRateCents": 32}),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        # 32 x 1562.5 = 50000 cents
        {"grant": {"contract": "c1", "creditRateCents": 32, "creditAmount": 1562.5, "expiresAt": YEAR_END,
                   "description": "$500 as credits"}},
        {"wallet": {"contract": "c1", "balanceCents": 50000, "creditBalance": 1562.5,
                    "blocks": [["$500 as credits", "active", 1, 50000]]}},
        # $50 of usage = 5000 / 32 = 156.25 credits: 1562.5 − 156.25 = 1406.25 credits = 45000 cents
        {"events": [_tokens("u1", "2026-03-10T00:00:00Z", 5000)]},
        {"wallet": {"contract": "c1", "balanceCents": 45000, "creditBalance": 1406.25,
                    "blocks": [["$500 as credits", "active", 1, 45000]]}},
        {"ledger": {"contract": "c1", "entries": [["grant", 50000, "$500 as credits"],
                                                  ["usage", -5000, "$500 as credits"]]}},
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH, _usage_invoice("2026-04-01", 5000, 5000),
            {"date": "2026-05-01", **EMPTY}, {"date": "2026-06-01", **EMPTY}]}},
    ],
}

FIRST_CREDIT: dict[str, Any] = {
    "name": "credits-doc-first-credit",
    "doc": "The first-credit guide: 1,000 credits x $0.50 = $500.00 billed on the first invoice, 200 bonus "
           "credits (+$100.00 free) drawn first.",
    **_setup(creditGrantCents=50000, creditSettings={"creditRateCents": 50, "bonusCredits": 200}),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        # 50000 / 50 = 1000 paid credits; 200 bonus credits x 50 = 10000 cents, promotional: priority 1.
        # Both expire at the contract's end (the default): promotional before paid.
        {"wallet": {"contract": "c1", "balanceCents": 60000, "creditBalance": 1200, "blocks": [
            ["Prepaid credits", "active", 2, 50000], ["Bonus credits", "active", 1, 10000]]}},
        # $150 of usage = 300 credits: the 200 bonus credits, then 100 paid ones (900 left = 45000 cents)
        {"events": [_tokens("u1", "2026-03-10T00:00:00Z", 15000)]},
        {"wallet": {"contract": "c1", "balanceCents": 45000, "creditBalance": 900, "blocks": [
            ["Prepaid credits", "active", 1, 45000], ["Bonus credits", "depleted", None, 0]]}},
        {"ledger": {"contract": "c1", "entries": [
            ["grant", 50000, "Prepaid credits"], ["grant", 10000, "Bonus credits"],
            ["usage", -10000, "Bonus credits"], ["usage", -5000, "Prepaid credits"]]}},
        {"expect": {"contract": "c1", "invoices": [
            # 1000 credits at $0.50: the line is never paid by credits; the bonus is not billed
            {"date": "2026-03-01", "total": 50000, "status": "Sent", "subtotalCents": 50000,
             "creditsAppliedCents": 0, "lines": [["Prepaid credits", 1000, 50000, {"unitPrice": "0.50"}]]},
            _usage_invoice("2026-04-01", 15000, 15000),
            {"date": "2026-05-01", **EMPTY}, {"date": "2026-06-01", **EMPTY}]}},
    ],
}

ENTERPRISE: dict[str, Any] = {
    "name": "credits-doc-enterprise",
    "doc": "The enterprise pattern: $125,000 of credits invoiced $100,000 (purchasePriceCents); drawn by a month "
           "of $10,416.67, then the rest and $100.00 of overage.",
    **_setup(creditGrantCents=12_500_000, creditSettings={"purchasePriceCents": 10_000_000}),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        {"events": [_tokens("mar", "2026-03-10T00:00:00Z", 1_041_667)]},
        {"at": "2026-04-30T00:00:00Z"},
        # 12500000 − 1041667 = 11458333 left; April 11468333 = all of it + 10000 of overage
        {"events": [_tokens("apr", "2026-04-20T00:00:00Z", 11_468_333)]},
        {"wallet": {"contract": "c1", "balanceCents": 0, "blocks": [["Prepaid credits", "depleted", None, 0]]}},
        {"ledger": {"contract": "c1", "entries": [
            ["grant", 12_500_000, "Prepaid credits"], ["usage", -1_041_667, "Prepaid credits"],
            ["usage", -11_458_333, "Prepaid credits"]]}},
        {"expect": {"contract": "c1", "invoices": [
            {"date": "2026-03-01", "total": 10_000_000, "status": "Sent", "subtotalCents": 10_000_000,
             "creditsAppliedCents": 0, "lines": [["Prepaid credits", 1, 10_000_000]]},
            _usage_invoice("2026-04-01", 1_041_667, 1_041_667, status="Sent"),
            _usage_invoice("2026-05-01", 11_468_333, 11_458_333, status="In Progress"),
            {"date": "2026-06-01", **EMPTY}]}},
    ],
}

SCENARIOS: list[dict[str, Any]] = [PLAN_CHANGE, CANCELLATION, CANCELLED_DRAFT_SHOWS_NO_CREDITS, CREDIT_RATE_32,
                                   FIRST_CREDIT, ENTERPRISE]

"""Prepaid credits (reference §10, concepts §12): a contract's wallet pays the metered lines of its open
invoices as usage arrives, block by block in priority order (soonest expiry, promotional before paid,
lowest cost basis, oldest); a fall in usage gives credits back (``reversal``, newest draw first); a
block pays only usage whose period overlaps its validity and what is left when it expires is written
off (``expiration``); a grant after depletion pays the overage already on the open invoice; a
cancelled draft gives back what it drew. The numbers of the documentation's own examples.

Unless said otherwise: one meter of tokens at $0.01 (1 token = 1 cent, so a line's quantity is its
cents), a monthly contract from March 1 to June 1 whose March 1 invoice bills nothing (usage is billed
in arrears: March's on the April 1 invoice), and the clock on March 25 (the March 1 invoice is
final). An invoice's ``subtotalCents`` is its charges, ``creditsAppliedCents`` what the wallet paid of
its metered lines, ``total`` the amount due (subtotal − credits); the "Credits applied" line comes last.
"""

from __future__ import annotations

from typing import Any

TOKENS_METER = {"aggregationType": "SUM", "aggregationKey": "count", "eventTypeFilter": {"include": ["tokens"]}}
TOKENS = {"name": "Tokens", "model": "USAGE", "billingMode": "RECURRING", "unitAmount": "0.01", "meter": "tokens"}
YEAR_END = "2026-12-31T00:00:00Z"
EMPTY_MARCH = {"date": "2026-03-01", "total": 0, "status": "Sent", "lines": []}


def _tokens(key: str, at: str, count: int, name: str = "tokens") -> dict[str, Any]:
    return {"eventName": name, "customer": "acme", "idempotencyKey": key, "timestamp": at,
            "properties": {"count": count}}


def _setup(**contract: Any) -> dict[str, Any]:
    """One customer on the tokens plan, March 1 to June 1 (plus ``contract``'s extra body fields)."""
    return {
        "now": "2026-03-03T00:00:00Z",
        "meters": {"tokens": TOKENS_METER},
        "pricing": {"tokens": TOKENS},
        "plans": {"payg": {"billingFrequency": "MONTHLY", "pricing": ["tokens"]}},
        "customers": ["acme"],
        "contracts": {"c1": {"customer": "acme", "plan": "payg", "startDate": "2026-03-01",
                             "endDate": "2026-06-01", **contract}},
    }


def _usage_invoice(date: str, usage: int, credits: int, *extra: list[Any], status: str | None = None,
                   extra_cents: int = 0) -> dict[str, Any]:
    """An invoice billing ``usage`` cents of tokens (plus ``extra`` lines worth ``extra_cents``), of
    which the wallet paid ``credits``."""
    lines: list[list[Any]] = [["Tokens", usage, usage], *extra]
    if credits:
        lines.append(["Credits applied", 1, -credits])
    inv: dict[str, Any] = {"date": date, "total": usage + extra_cents - credits, "lines": lines,
                           "subtotalCents": usage + extra_cents, "creditsAppliedCents": credits}
    if status:
        inv["status"] = status
    return inv


EMPTY = {"total": 0, "lines": [["Tokens", 0, 0]], "subtotalCents": 0, "creditsAppliedCents": 0}

PRIORITY_ORDER: dict[str, Any] = {
    "name": "credits-priority-order",
    "doc": "Four blocks created out of order are drawn soonest expiry first, then promotional before paid, "
           "then the lowest cost basis; the wallet's priorities and remaining amounts show it.",
    **_setup(),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        # Created in this order (the API lists blocks oldest first):
        #   "paid $1.00"  3000 cents bought for 3000: paid, cost basis 1.00/cent, expires Jun 1
        #   "paid $0.75"  4000 cents bought for 3000: paid, cost basis 0.75/cent, expires Jun 1
        #   "promo June"  1000 cents, promotional, expires Jun 1
        #   "promo May"   2000 cents, promotional, expires May 1 (the soonest)
        # Priority: promo May (soonest) 1; of the Jun 1 blocks promo June (promotional) 2, then the paid
        # ones by cost basis: paid $0.75 3, paid $1.00 4. Balance 3000 + 4000 + 1000 + 2000 = 10000.
        {"purchase": {"contract": "c1", "amountCents": 3000, "priceCents": 3000, "expiresAt": "2026-06-01T00:00:00Z",
                      "description": "paid $1.00"}},
        {"purchase": {"contract": "c1", "amountCents": 4000, "priceCents": 3000, "expiresAt": "2026-06-01T00:00:00Z",
                      "description": "paid $0.75"}},
        {"grant": {"contract": "c1", "amountCents": 1000, "expiresAt": "2026-06-01T00:00:00Z",
                   "description": "promo June"}},
        {"grant": {"contract": "c1", "amountCents": 2000, "expiresAt": "2026-05-01T00:00:00Z",
                   "description": "promo May"}},
        {"wallet": {"contract": "c1", "balanceCents": 10000, "blocks": [
            ["paid $1.00", "active", 4, 3000], ["paid $0.75", "active", 3, 4000],
            ["promo June", "active", 2, 1000], ["promo May", "active", 1, 2000]]}},
        # $25 of March usage: promo May 2000 (→ 0), promo June 500 (→ 500). Balance 7500.
        {"events": [_tokens("m1", "2026-03-05T00:00:00Z", 2500)]},
        {"wallet": {"contract": "c1", "balanceCents": 7500, "blocks": [
            ["paid $1.00", "active", 3, 3000], ["paid $0.75", "active", 2, 4000],
            ["promo June", "active", 1, 500], ["promo May", "depleted", None, 0]]}},
        # $50 more (March: 7500): promo June 500 (→ 0), paid $0.75 4000 (→ 0), paid $1.00 500 (→ 2500).
        {"events": [_tokens("m2", "2026-03-20T00:00:00Z", 5000)]},
        {"wallet": {"contract": "c1", "balanceCents": 2500, "blocks": [
            ["paid $1.00", "active", 1, 2500], ["paid $0.75", "depleted", None, 0],
            ["promo June", "depleted", None, 0], ["promo May", "depleted", None, 0]]}},
        {"ledger": {"contract": "c1", "entries": [
            ["grant", 3000, "paid $1.00"], ["grant", 4000, "paid $0.75"], ["grant", 1000, "promo June"],
            ["grant", 2000, "promo May"],
            ["usage", -2000, "promo May"], ["usage", -500, "promo June"],
            ["usage", -500, "promo June"], ["usage", -4000, "paid $0.75"], ["usage", -500, "paid $1.00"]]}},
        {"at": "2026-04-01T02:00:00Z"},
        # April 1: March's 7500 of tokens, all paid by credits, and both purchases at their price
        # (3000 + 3000, never paid by credits): subtotal 7500 + 6000 = 13500, due 13500 - 7500 = 6000.
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH,
            _usage_invoice("2026-04-01", 7500, 7500, ["Prepaid credits", 1, 3000], ["Prepaid credits", 1, 3000],
                           extra_cents=6000, status="Sent"),
            {"date": "2026-05-01", **EMPTY},
            {"date": "2026-06-01", **EMPTY},
        ]}},
    ],
}

PARTIAL_DRAW: dict[str, Any] = {
    "name": "credits-partial-draw",
    "doc": "The documentation's partial deduction: $50 left and $80 of usage → $50 deducted, $30 due.",
    **_setup(),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        {"grant": {"contract": "c1", "amountCents": 5000, "expiresAt": YEAR_END, "description": "promo"}},
        {"events": [_tokens("u1", "2026-03-10T00:00:00Z", 8000)]},
        {"wallet": {"contract": "c1", "balanceCents": 0, "blocks": [["promo", "depleted", None, 0]]}},
        {"ledger": {"contract": "c1", "entries": [["grant", 5000, "promo"], ["usage", -5000, "promo"]]}},
        {"at": "2026-04-01T02:00:00Z"},
        # 8000 of usage: 5000 paid by credits, 3000 due; finalized as such.
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH,
            _usage_invoice("2026-04-01", 8000, 5000, status="Sent"),
            {"date": "2026-05-01", **EMPTY},
            {"date": "2026-06-01", **EMPTY},
        ]}},
    ],
}

RESEND_GIVES_BACK: dict[str, Any] = {
    "name": "credits-resend-lowers-usage",
    "doc": "Resending events under their idempotency keys as another event type (the last version wins) "
           "lowers the usage: the invoice gives credits back with reversal entries, newest draw first.",
    **_setup(),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        # "May" 3000 (expires May 1: priority 1), "year" 10000 (priority 2). Balance 13000.
        {"grant": {"contract": "c1", "amountCents": 3000, "expiresAt": "2026-05-01T00:00:00Z", "description": "May"}},
        {"grant": {"contract": "c1", "amountCents": 10000, "expiresAt": YEAR_END, "description": "year"}},
        # Eight events of 1000 tokens (keys a-0 .. a-7): 8000 → May 3000, year 5000. Balance 5000.
        {"events": [{**_tokens("a", "2026-03-10T00:00:00Z", 1000), "repeat": 8}]},
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH, _usage_invoice("2026-04-01", 8000, 8000),
            {"date": "2026-05-01", **EMPTY}, {"date": "2026-06-01", **EMPTY}]}},
        # a-0 .. a-4 resent as "other" (no meter counts it): 3000 of usage, 5000 given back. The newest
        # draw is year's: reversal +5000 to year. Balance 10000.
        {"events": [{**_tokens("a", "2026-03-10T00:00:00Z", 1000, name="other"), "repeat": 5}]},
        {"wallet": {"contract": "c1", "balanceCents": 10000, "blocks": [
            ["May", "depleted", None, 0], ["year", "active", 1, 10000]]}},
        # a-5 and a-6 too: 1000 of usage, 2000 more given back; year's draw is all returned, so the
        # next newest is May's (3000): reversal +2000 to May. Balance 12000.
        {"events": [_tokens("a-5", "2026-03-10T00:00:00Z", 1000, name="other"),
                    _tokens("a-6", "2026-03-10T00:00:00Z", 1000, name="other")]},
        {"wallet": {"contract": "c1", "balanceCents": 12000, "blocks": [
            ["May", "active", 1, 2000], ["year", "active", 2, 10000]]}},
        {"ledger": {"contract": "c1", "entries": [
            ["grant", 3000, "May"], ["grant", 10000, "year"], ["usage", -3000, "May"], ["usage", -5000, "year"],
            ["reversal", 5000, "year"], ["reversal", 2000, "May"]]}},
        {"at": "2026-04-01T02:00:00Z"},
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH, _usage_invoice("2026-04-01", 1000, 1000, status="Sent"),
            {"date": "2026-05-01", **EMPTY}, {"date": "2026-06-01", **EMPTY}]}},
    ],
}

EXPIRY_MID_PERIOD: dict[str, Any] = {
    "name": "credits-expiry-mid-period",
    "doc": "A block expiring on April 15 pays March's and April's usage (periods overlapping its validity) "
           "until it expires; what is left then is written off; usage given back to it afterwards is "
           "written off at once. A block granted after March ended never pays March's usage.",
    **_setup(),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        # "Apr 15" 10000 (priority 1), "year" 10000 (priority 2).
        {"grant": {"contract": "c1", "amountCents": 10000, "expiresAt": "2026-04-15T00:00:00Z",
                   "description": "Apr 15"}},
        {"grant": {"contract": "c1", "amountCents": 10000, "expiresAt": YEAR_END, "description": "year"}},
        # March: 2000 → Apr 15 (→ 8000).
        {"events": [_tokens("mar", "2026-03-10T00:00:00Z", 2000)]},
        # April 1 00:30: March's invoice is open until 01:00. "Apr 10" 4000 (expires Apr 10: priority 1)
        # starts now, after March's usage period [Mar 1, Apr 1): it cannot pay March.
        {"at": "2026-04-01T00:30:00Z"},
        {"grant": {"contract": "c1", "amountCents": 4000, "expiresAt": "2026-04-10T00:00:00Z",
                   "description": "Apr 10"}},
        # A late March event of 4000: March 6000; the 4000 more skip Apr 10 and come from Apr 15 (→ 4000).
        {"events": [_tokens("mar-late", "2026-03-31T23:00:00Z", 4000)]},
        {"wallet": {"contract": "c1", "balanceCents": 18000, "blocks": [
            ["Apr 15", "active", 2, 4000], ["year", "active", 3, 10000], ["Apr 10", "active", 1, 4000]]}},
        {"at": "2026-04-05T00:00:00Z"},  # March's invoice is final: 6000, all paid by credits
        # April: 3000 → Apr 10 (→ 1000).
        {"events": [_tokens("apr-1", "2026-04-05T00:00:00Z", 3000)]},
        # April 12: Apr 10 has expired: its 1000 are written off. Balance 4000 + 10000 = 14000.
        {"at": "2026-04-12T00:00:00Z"},
        {"wallet": {"contract": "c1", "balanceCents": 14000, "blocks": [
            ["Apr 15", "active", 1, 4000], ["year", "active", 2, 10000], ["Apr 10", "expired", None, 0]]}},
        # April: 2500 more (5500) → Apr 15 (→ 1500).
        {"events": [_tokens("apr-2", "2026-04-11T00:00:00Z", 2500)]},
        # April 15: Apr 15 expires: its 1500 are written off. Balance 10000.
        {"at": "2026-04-15T00:00:00Z"},
        # apr-2 resent as 500: April 3500, 2000 given back to the newest draw (Apr 15's 2500), which has
        # expired: reversal +2000 and at once expiration −2000. Balance still 10000.
        {"events": [_tokens("apr-2", "2026-04-11T00:00:00Z", 500)]},
        # April 20: 1000 more (4500): the expired blocks cannot pay; year 1000 (→ 9000).
        {"at": "2026-04-20T00:00:00Z"},
        {"events": [_tokens("apr-3", "2026-04-20T00:00:00Z", 1000)]},
        {"wallet": {"contract": "c1", "balanceCents": 9000, "blocks": [
            ["Apr 15", "expired", None, 0], ["year", "active", 1, 9000], ["Apr 10", "expired", None, 0]]}},
        # 10000 + 10000 + 4000 − 2000 − 4000 − 3000 − 1000 − 2500 − 1500 + 2000 − 2000 − 1000 = 9000
        {"ledger": {"contract": "c1", "entries": [
            ["grant", 10000, "Apr 15"], ["grant", 10000, "year"], ["usage", -2000, "Apr 15"],
            ["grant", 4000, "Apr 10"], ["usage", -4000, "Apr 15"], ["usage", -3000, "Apr 10"],
            ["expiration", -1000, "Apr 10"], ["usage", -2500, "Apr 15"], ["expiration", -1500, "Apr 15"],
            ["reversal", 2000, "Apr 15"], ["expiration", -2000, "Apr 15"], ["usage", -1000, "year"]]}},
        # May 1: April 4500 = Apr 10 3000 + Apr 15 (2500 − 2000) + year 1000, all paid.
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH,
            _usage_invoice("2026-04-01", 6000, 6000, status="Sent"),
            _usage_invoice("2026-05-01", 4500, 4500, status="In Progress"),
            {"date": "2026-06-01", **EMPTY},
        ]}},
    ],
}

GRANT_AFTER_DEPLETION: dict[str, Any] = {
    "name": "credits-grant-after-depletion",
    "doc": "Grants after the wallet ran dry pay the overage already on the open invoice: a promotional "
           "grant, then a paid top-up billed on that same invoice.",
    **_setup(),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        {"grant": {"contract": "c1", "amountCents": 3000, "expiresAt": YEAR_END, "description": "welcome"}},
        # 8000 of usage: 3000 paid, 5000 overage.
        {"events": [_tokens("u1", "2026-03-10T00:00:00Z", 8000)]},
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH, _usage_invoice("2026-04-01", 8000, 3000),
            {"date": "2026-05-01", **EMPTY}, {"date": "2026-06-01", **EMPTY}]}},
        # 2000 more: they pay 2000 of the overage; 3000 due.
        {"grant": {"contract": "c1", "amountCents": 2000, "expiresAt": YEAR_END, "description": "make-good"}},
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH, _usage_invoice("2026-04-01", 8000, 5000),
            {"date": "2026-05-01", **EMPTY}, {"date": "2026-06-01", **EMPTY}]}},
        # A top-up of 10000 for 9000: billed on the April 1 invoice (the next one) and it pays the last
        # 3000: subtotal 8000 + 9000 = 17000, credits 8000, due 9000. top-up 7000 left.
        {"purchase": {"contract": "c1", "amountCents": 10000, "priceCents": 9000, "description": "top-up"}},
        {"wallet": {"contract": "c1", "balanceCents": 7000, "blocks": [
            ["welcome", "depleted", None, 0], ["make-good", "depleted", None, 0], ["top-up", "active", 1, 7000]]}},
        {"ledger": {"contract": "c1", "entries": [
            ["grant", 3000, "welcome"], ["usage", -3000, "welcome"], ["grant", 2000, "make-good"],
            ["usage", -2000, "make-good"], ["grant", 10000, "top-up"], ["usage", -3000, "top-up"]]}},
        {"at": "2026-04-01T02:00:00Z"},
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH,
            _usage_invoice("2026-04-01", 8000, 8000, ["Prepaid credits", 1, 9000], extra_cents=9000, status="Sent"),
            {"date": "2026-05-01", **EMPTY}, {"date": "2026-06-01", **EMPTY}]}},
    ],
}

ADJUSTMENT: dict[str, Any] = {
    "name": "credits-manual-adjustment",
    "doc": "A clawback by hand: $100 granted, $30 drawn, $20 taken back by an adjustment; $60 more usage "
           "draws the $50 left and leaves $10 due.",
    **_setup(),
    "steps": [
        {"at": "2026-03-25T00:00:00Z"},
        {"grant": {"contract": "c1", "amountCents": 10000, "expiresAt": YEAR_END, "description": "promo"}},
        {"events": [_tokens("u1", "2026-03-10T00:00:00Z", 3000)]},
        {"adjust": {"contract": "c1", "block": "promo", "amountCents": -2000, "description": "clawback"}},
        {"wallet": {"contract": "c1", "balanceCents": 5000, "blocks": [["promo", "active", 1, 5000]]}},
        {"events": [_tokens("u2", "2026-03-11T00:00:00Z", 6000)]},
        {"ledger": {"contract": "c1", "entries": [["grant", 10000, "promo"], ["usage", -3000, "promo"],
                                                  ["adjustment", -2000, "promo"], ["usage", -5000, "promo"]]}},
        {"wallet": {"contract": "c1", "balanceCents": 0, "blocks": [["promo", "depleted", None, 0]]}},
        # 9000 of usage: 3000 + 5000 paid by credits, 1000 due.
        {"expect": {"contract": "c1", "invoices": [
            EMPTY_MARCH, _usage_invoice("2026-04-01", 9000, 8000),
            {"date": "2026-05-01", **EMPTY}, {"date": "2026-06-01", **EMPTY}]}},
    ],
}

SCENARIOS: list[dict[str, Any]] = [PRIORITY_ORDER, PARTIAL_DRAW, RESEND_GIVES_BACK, EXPIRY_MID_PERIOD,
                                   GRANT_AFTER_DEPLETION, ADJUSTMENT]

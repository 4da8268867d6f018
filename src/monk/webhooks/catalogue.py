"""The event types Monk sends (reference §13.2) and the delivery schedule (§13.1)."""

from __future__ import annotations

import random
from datetime import timedelta

INVOICE_CREATED = "invoice.created"
INVOICE_UPDATED = "invoice.updated"
CONTRACT_CREATED = "contract.created"
CONTRACT_UPDATED = "contract.updated"
CONTRACT_TERMINATED = "contract.terminated"
CUSTOMER_CREATED = "customer.created"
CUSTOMER_UPDATED = "customer.updated"
CREDIT_THRESHOLD_CROSSED = "credit.threshold_crossed"
CREDIT_BALANCE_DEPLETED = "credit.balance_depleted"
CREDIT_BUDGET_EXHAUSTED = "credit.budget.exhausted"

EVENT_TYPES: tuple[str, ...] = (
    INVOICE_CREATED, INVOICE_UPDATED, CONTRACT_CREATED, CONTRACT_UPDATED, CONTRACT_TERMINATED,
    CUSTOMER_CREATED, CUSTOMER_UPDATED, CREDIT_THRESHOLD_CROSSED, CREDIT_BALANCE_DEPLETED, CREDIT_BUDGET_EXHAUSTED,
)
"""Every type an endpoint may subscribe to (``eventTypes``; ``["*"]`` subscribes to all, also to types
added later). The credit types are sent by the credits domain."""

ALL = "*"
PING = "ping"  # the test delivery of POST /v1/webhooks/endpoints/{id}/test; sent to that endpoint only

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = (15, 30, 60, 120, 300)
"""Wait before attempt 2..6 (reference §13.1: 1 + 5 retries, ≈ 15 s, 30 s, 1 min, 2 min, 5 min)."""
JITTER = 0.2  # each wait is drawn uniformly within ±20 % of its nominal value


def subscribed(event_types: list[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to ``event_types`` receives ``event_type``."""
    return ALL in event_types or event_type in event_types


def retry_delay(failed_attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the ``failed_attempts``-th failed attempt (≥ 1) before the next one:
    the nominal wait of ``BACKOFF_SECONDS`` (the last one repeats beyond attempt 6, for manual
    retries) with ±``JITTER`` uniform jitter, so that a burst of failures does not retry in lockstep."""
    nominal = BACKOFF_SECONDS[min(max(failed_attempts, 1), len(BACKOFF_SECONDS)) - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return timedelta(seconds=nominal * factor)

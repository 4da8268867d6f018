"""The delivery schedule and subscription rule (reference §13.1–13.2), as pure functions."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from monk.webhooks.catalogue import ALL, BACKOFF_SECONDS, EVENT_TYPES, MAX_ATTEMPTS, retry_delay, subscribed


def test_six_attempts_with_the_documented_waits() -> None:
    assert MAX_ATTEMPTS == 6 and BACKOFF_SECONDS == (15, 30, 60, 120, 300)
    assert len(BACKOFF_SECONDS) == MAX_ATTEMPTS - 1


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=0, max_value=2**32))
def test_each_wait_is_within_twenty_percent_of_its_nominal_value(failed: int, seed: int) -> None:
    nominal = BACKOFF_SECONDS[min(failed, len(BACKOFF_SECONDS)) - 1]
    wait = retry_delay(failed, random.Random(seed)).total_seconds()
    assert 0.8 * nominal <= wait <= 1.2 * nominal


def test_jitter_spreads_retries() -> None:
    rng = random.Random(1)
    assert len({retry_delay(1, rng).total_seconds() for _ in range(20)}) > 10


def test_subscriptions() -> None:
    assert subscribed([ALL], "invoice.created") and subscribed([ALL], "credit.budget.exhausted")
    assert subscribed(["invoice.created"], "invoice.created")
    assert not subscribed(["invoice.created"], "invoice.updated")
    assert len(set(EVENT_TYPES)) == 10

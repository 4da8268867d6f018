"""The fast validation path recognises only events the Pydantic model accepts, with the same values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from monk.events.schemas import MAX_FUTURE, ValidEvent, _adapter, _plain, check_batch, check_event
from monk.kit.time import ensure_utc

NOW = datetime(2026, 1, 15, 12, tzinfo=UTC)

text = st.one_of(st.text(max_size=3), st.text(min_size=254, max_size=257), st.just(""))
huge = st.sampled_from([10**15, -(10**15), 10**15 - 1, 1e15, -1e15, 999_999_999_999_999.9, 10**50, 1e300])
value = st.one_of(st.none(), text, st.integers(), st.floats(allow_nan=False), st.booleans(), st.lists(st.integers(),
                  max_size=1), st.dictionaries(st.text(max_size=2), st.integers(), max_size=1), huge)
stamps = st.one_of(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.sampled_from(
        [UTC, None])).map(lambda d: d.isoformat()),
    st.sampled_from(["2026-01-15T12:59:59Z", "2026-01-15T13:00:00Z", "2026-01-15T13:00:00.000001Z",
                     "2026-01-15T14:30:00+01:30", "2026-01-10T00:00:00.1Z", "2026-01-10", "2026-01-10T00:00:00z",
                     "2026-02-30T00:00:00Z", "2026-01-10T24:00:00Z", "2026-01-10T00:00:60Z", "1767225600",
                     "2026-01-10T00:00:00.1234567Z", "2026-01-10T00:00:00+25:00", "2026-01-10 00:00:00Z"]),
    st.integers(), st.none())
props = st.one_of(st.dictionaries(st.text(max_size=3), value, max_size=3), value)
events = st.fixed_dictionaries({}, optional={
    "eventName": st.one_of(text, value), "customerId": st.one_of(text, value), "externalCustomerId": st.one_of(
        text, value), "contractId": st.one_of(text, value), "idempotencyKey": st.one_of(text, value),
    "timestamp": stamps, "properties": props, "extra": value,
})


def _model(raw: Any) -> ValidEvent | None:
    """What the Pydantic path alone makes of ``raw`` (None: rejected)."""
    ev, problems = None, ["not a dict"]
    if isinstance(raw, dict):
        try:
            model = _adapter.validate_python(raw)
        except Exception:  # noqa: BLE001 - any rejection
            return None
        problems = []
        if (model.customer_id is None) == (model.external_customer_id is None):
            problems.append("customer")
        ts = ensure_utc(model.timestamp) if model.timestamp is not None else None
        if ts is not None and ts > NOW + MAX_FUTURE:
            problems.append("future")
        if any(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) >= 10**15
               for v in model.properties.values()):
            problems.append("beyond the quantity bound")
        ev = ValidEvent(model.event_name, model.customer_id, model.external_customer_id, model.contract_id,
                        model.idempotency_key, ts, model.properties)
    return None if problems else ev


@settings(max_examples=600, deadline=None)
@given(events)
def test_fast_path_agrees_with_the_model(raw: dict[str, Any]) -> None:
    fast = _plain(raw, NOW + MAX_FUTURE, {})
    model = _model(raw)
    if fast is not None:
        assert model is not None, raw
        assert fast == model
        assert fast.timestamp is None or fast.timestamp.tzinfo is UTC
    ev, problems = check_event(raw, NOW)
    assert (ev is None) == (model is None)
    assert ev == model
    assert bool(problems) == (ev is None)


def test_common_events_take_the_fast_path() -> None:
    raw = {"eventName": "api_call", "externalCustomerId": "acme", "idempotencyKey": "k1",
           "timestamp": "2026-01-15T12:00:00.250+02:00", "properties": {"tokens": 3, "model": "gpt-4o", "ok": True}}
    ev = _plain(raw, NOW + MAX_FUTURE, {})
    assert ev is not None and ev.timestamp == datetime(2026, 1, 15, 10, 0, 0, 250_000, tzinfo=UTC)
    assert _plain({**raw, "timestamp": (NOW + timedelta(hours=2)).isoformat()}, NOW + MAX_FUTURE, {}) is None
    batch = check_batch({"events": [raw, {**raw, "idempotencyKey": "k2", "timestamp": None}]}, NOW)
    assert [e.idempotency_key for e in batch] == ["k1", "k2"] and batch[1].timestamp is None


def test_numbers_beyond_the_quantity_bound_are_refused_on_both_paths() -> None:
    raw = {"eventName": "api_call", "externalCustomerId": "acme", "properties": {"tokens": 10**15 - 1, "n": 1.5}}
    assert _plain(raw, NOW + MAX_FUTURE, {}) is not None
    for v in (10**15, -(10**15), 1e15, 10**50, 1e300, float("inf")):
        bad = {**raw, "properties": {"tokens": v, "model": "x"}}
        assert _plain(bad, NOW + MAX_FUTURE, {}) is None
        ev, problems = check_event(bad, NOW)
        assert ev is None and [f for f, _ in problems] == ["properties.tokens"], (v, problems)

import pytest

from monk.billing.matching import MeterMatch, MeterSpec, PropertyFilter, bounded_reason, match_event

COUNT = MeterSpec(aggregation_type="COUNT")
SUM_TOKENS = MeterSpec(aggregation_type="SUM", aggregation_key="tokens")


def test_count_meter_accepts_any_event() -> None:
    assert match_event(COUNT, "api_call", {}) == MeterMatch(
        accepted=True, reason=None, value=None, dimensions=()
    )


def test_event_include() -> None:
    meter = MeterSpec(aggregation_type="COUNT", event_include=("api_call", "batch_call"))
    assert match_event(meter, "batch_call", {}).accepted
    result = match_event(meter, "login", {})
    assert result == MeterMatch(accepted=False, reason="EVENT_NAME_NOT_INCLUDED")


def test_event_exclude() -> None:
    meter = MeterSpec(aggregation_type="COUNT", event_exclude=("health_check",))
    assert match_event(meter, "api_call", {}).accepted
    assert match_event(meter, "health_check", {}).reason == "EVENT_NAME_EXCLUDED"


def test_include_is_checked_before_exclude() -> None:
    meter = MeterSpec(aggregation_type="COUNT", event_include=("a",), event_exclude=("b",))
    assert match_event(meter, "b", {}).reason == "EVENT_NAME_NOT_INCLUDED"


def test_exists_filters() -> None:
    must_have = MeterSpec(aggregation_type="COUNT", property_filters=(PropertyFilter("region", exists=True),))
    must_not = MeterSpec(aggregation_type="COUNT", property_filters=(PropertyFilter("test", exists=False),))
    assert match_event(must_have, "e", {"region": "eu"}).accepted
    assert match_event(must_have, "e", {}).reason == "PROPERTY_FILTER_FAILED:region"
    assert match_event(must_not, "e", {}).accepted
    assert match_event(must_not, "e", {"test": False}).reason == "PROPERTY_FILTER_FAILED:test"


def test_include_filter_compares_strings() -> None:
    meter = MeterSpec(
        aggregation_type="COUNT", property_filters=(PropertyFilter("tier", include=("5", "gold")),)
    )
    assert match_event(meter, "e", {"tier": 5}).accepted
    assert match_event(meter, "e", {"tier": "gold"}).accepted
    assert match_event(meter, "e", {"tier": "silver"}).reason == "PROPERTY_FILTER_FAILED:tier"
    assert match_event(meter, "e", {}).reason == "PROPERTY_FILTER_FAILED:tier"


def test_exclude_filter_allows_missing_key_and_uses_bool_strings() -> None:
    meter = MeterSpec(
        aggregation_type="COUNT", property_filters=(PropertyFilter("internal", exclude=("true",)),)
    )
    assert match_event(meter, "e", {}).accepted
    assert match_event(meter, "e", {"internal": False}).accepted
    assert match_event(meter, "e", {"internal": True}).reason == "PROPERTY_FILTER_FAILED:internal"
    assert match_event(meter, "e", {"internal": "true"}).reason == "PROPERTY_FILTER_FAILED:internal"


def test_filters_are_anded_and_first_failure_is_reported() -> None:
    meter = MeterSpec(
        aggregation_type="COUNT",
        property_filters=(PropertyFilter("a", exists=True), PropertyFilter("b", include=("x",))),
    )
    assert match_event(meter, "e", {"a": 1, "b": "x"}).accepted
    assert match_event(meter, "e", {"b": "y"}).reason == "PROPERTY_FILTER_FAILED:a"
    assert match_event(meter, "e", {"a": 1, "b": "y"}).reason == "PROPERTY_FILTER_FAILED:b"


def test_aggregation_key_missing() -> None:
    assert match_event(SUM_TOKENS, "e", {"other": 1}).reason == "AGGREGATION_KEY_MISSING"
    unique = MeterSpec(aggregation_type="UNIQUE_COUNT", aggregation_key="user")
    assert match_event(unique, "e", {}).reason == "AGGREGATION_KEY_MISSING"


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (42, "42"),
        ("12.50", "12.50"),
        (" 7 ", "7"),
        (0.1, "0.1"),
        (1e14, "100000000000000.0"),
        ("999999999999999.999999999999", "999999999999999.999999999999"),
        (2.5e-05, "2.5e-05"),
        (1.23456789, "1.23456789"),
        (-3, "-3"),
        ("1e3", "1e3"),
    ],
)
def test_numeric_values_become_exact_strings(raw: str | float, value: str) -> None:
    result = match_event(SUM_TOKENS, "e", {"tokens": raw})
    assert result == MeterMatch(accepted=True, value=value)


@pytest.mark.parametrize("raw", [10**15, -(10**15), 1e16, "1e30", "-1000000000000000", "0.0000000000001",
                                 "1E+15"])
@pytest.mark.parametrize("kind", ["SUM", "MAX", "MIN"])
def test_values_beyond_the_stored_range_are_rejected(kind: str, raw: object) -> None:
    """|value| < 10^15 with at most 12 decimals fits every usage record and rollup column."""
    meter = MeterSpec(aggregation_type=kind, aggregation_key="tokens")
    assert match_event(meter, "e", {"tokens": raw}).reason == "VALUE_OUT_OF_RANGE"


def test_text_values_and_dimensions_are_bounded() -> None:
    unique = MeterSpec(aggregation_type="UNIQUE_COUNT", aggregation_key="user")
    assert match_event(unique, "e", {"user": "u" * 100}).accepted
    assert match_event(unique, "e", {"user": "u" * 101}).reason == "VALUE_TOO_LONG"
    grouped = MeterSpec(aggregation_type="COUNT", group_keys=("region",))
    assert match_event(grouped, "e", {"region": "r" * 100}).accepted
    assert match_event(grouped, "e", {"region": "r" * 1000}).reason == "DIMENSION_TOO_LONG"


def test_reasons_are_bounded_and_keep_their_code() -> None:
    assert bounded_reason("CUSTOMER_NOT_FOUND") == "CUSTOMER_NOT_FOUND"
    assert bounded_reason("NO_MATCHING_METER", "A: x") == "NO_MATCHING_METER: A: x"
    long = bounded_reason("NO_MATCHING_METER", "; ".join(f"METER_{i:040d}: EVENT_NAME_NOT_INCLUDED" for i in range(8)))
    assert len(long) == 255 and long.startswith("NO_MATCHING_METER: METER_") and long.endswith("…")


@pytest.mark.parametrize("raw", [True, False, "abc", "", "NaN", float("nan"), float("inf"), "1,000"])
@pytest.mark.parametrize("kind", ["SUM", "MAX", "MIN"])
def test_non_numeric_values_are_rejected(kind: str, raw: str | float | bool) -> None:
    meter = MeterSpec(aggregation_type=kind, aggregation_key="tokens")
    assert match_event(meter, "e", {"tokens": raw}).reason == "AGGREGATION_VALUE_NOT_NUMERIC"


def test_unique_count_accepts_any_value_as_string() -> None:
    meter = MeterSpec(aggregation_type="UNIQUE_COUNT", aggregation_key="user")
    assert match_event(meter, "e", {"user": "alice"}).value == "alice"
    assert match_event(meter, "e", {"user": True}).value == "true"
    assert match_event(meter, "e", {"user": 7}).value == "7"


def test_dimensions_follow_group_key_order_and_missing_is_empty() -> None:
    meter = MeterSpec(
        aggregation_type="SUM", aggregation_key="tokens", group_keys=("model", "region", "cached")
    )
    result = match_event(meter, "e", {"tokens": "10", "region": "eu", "model": "gpt", "cached": True})
    assert result.dimensions == (("model", "gpt"), ("region", "eu"), ("cached", "true"))
    partial = match_event(meter, "e", {"tokens": "10", "region": "us"})
    assert partial.dimensions == (("model", ""), ("region", "us"), ("cached", ""))


def test_rejections_carry_no_value() -> None:
    result = match_event(SUM_TOKENS, "e", {"tokens": "x"})
    assert result.value is None
    assert result.dimensions == ()
    assert not result.accepted


def test_meter_spec_validation() -> None:
    with pytest.raises(ValueError, match="unknown aggregation"):
        MeterSpec(aggregation_type="AVG", aggregation_key="x")
    with pytest.raises(ValueError, match="aggregation_key"):
        MeterSpec(aggregation_type="SUM")


def test_aggregation_value_longer_than_its_column_is_rejected() -> None:
    """Stored values hold at most 100 characters (``usage_records.value``)."""
    users = MeterSpec(aggregation_type="UNIQUE_COUNT", aggregation_key="user")
    assert match_event(users, "login", {"user": "u" * 100}).value == "u" * 100
    assert match_event(users, "login", {"user": "u" * 101}).reason == "VALUE_TOO_LONG"

"""Decide whether an ingested event counts toward a meter, and extract what the meter needs from it.

Property values arrive as JSON scalars (``str``, ``int``, ``float``, ``bool``). They are turned into
exact strings without float arithmetic: ``bool`` -> ``"true"``/``"false"``, ``float`` -> ``repr`` (the
shortest string that round-trips, e.g. ``0.1`` -> ``"0.1"``), anything else -> ``str()``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from monk.billing.aggregation import AGGREGATIONS, NUMERIC_AGGREGATIONS
from monk.billing.bounds import quantity_problem
from monk.billing.money import parse_decimal

__all__ = [
    "REASON_AGGREGATION_KEY_MISSING",
    "REASON_AGGREGATION_VALUE_NOT_NUMERIC",
    "REASON_EVENT_NAME_EXCLUDED",
    "REASON_EVENT_NAME_NOT_INCLUDED",
    "REASON_PROPERTY_FILTER_FAILED",
    "REASON_DIMENSION_TOO_LONG",
    "REASON_VALUE_OUT_OF_RANGE",
    "REASON_VALUE_TOO_LONG",
    "MeterMatch",
    "MeterSpec",
    "PropertyFilter",
    "match_event",
]

REASON_EVENT_NAME_NOT_INCLUDED = "EVENT_NAME_NOT_INCLUDED"
REASON_EVENT_NAME_EXCLUDED = "EVENT_NAME_EXCLUDED"
REASON_PROPERTY_FILTER_FAILED = "PROPERTY_FILTER_FAILED"  # followed by ":<property name>"
REASON_AGGREGATION_KEY_MISSING = "AGGREGATION_KEY_MISSING"
REASON_AGGREGATION_VALUE_NOT_NUMERIC = "AGGREGATION_VALUE_NOT_NUMERIC"
REASON_VALUE_OUT_OF_RANGE = "VALUE_OUT_OF_RANGE"  # a numeric value that is not a quantity (``billing.bounds``)
REASON_VALUE_TOO_LONG = "VALUE_TOO_LONG"  # an aggregated text value longer than ``MAX_VALUE_LENGTH``
REASON_DIMENSION_TOO_LONG = "DIMENSION_TOO_LONG"  # a group-key value longer than ``MAX_DIMENSION_LENGTH``

# What one event may contribute, so that every usage record and rollup fits its column on both
# databases: a numeric value must be a quantity (``billing.bounds.quantity_problem``: |value| < 10^15
# with at most 12 decimal places; rollups are NUMERIC(38, 12)), text values (UNIQUE_COUNT) at most
# 100 characters, group-key values at most 100.
MAX_VALUE_LENGTH = 100
MAX_DIMENSION_LENGTH = 100


PropertyValue = str | int | float | bool


@dataclass(frozen=True)
class PropertyFilter:
    """A condition on one event property; all set conditions must hold.

    ``exists=True``: the property must be present; ``exists=False``: it must be absent.
    ``include``: the property must be present and its string value one of these.
    ``exclude``: the property must be absent or its string value none of these.
    """

    name: str
    exists: bool | None = None
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] | None = None


@dataclass(frozen=True)
class MeterSpec:
    """What a meter counts. ``aggregation_type`` is one of ``AGGREGATIONS``.

    Empty ``event_include`` means every event name is included. ``aggregation_key`` names the property
    aggregated (required for every aggregation except COUNT). ``group_keys`` are the properties whose
    values split usage into dimensions. Raises ``ValueError`` on an unknown aggregation type or a
    non-COUNT meter without an ``aggregation_key``.
    """

    aggregation_type: str
    event_include: tuple[str, ...] = ()
    event_exclude: tuple[str, ...] = ()
    property_filters: tuple[PropertyFilter, ...] = ()
    aggregation_key: str | None = None
    group_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.aggregation_type not in AGGREGATIONS:
            raise ValueError(f"unknown aggregation type {self.aggregation_type!r}")
        if self.aggregation_type != "COUNT" and not self.aggregation_key:
            raise ValueError(f"{self.aggregation_type} meters need an aggregation_key")


@dataclass(frozen=True)
class MeterMatch:
    """Result of :func:`match_event`.

    ``accepted`` False comes with a ``reason`` (one of the ``REASON_*`` codes; property filter failures
    read ``"PROPERTY_FILTER_FAILED:<name>"``). When accepted, ``value`` is the aggregation key's value
    as an exact string (``None`` for COUNT meters) and ``dimensions`` is ``((group_key, value), ...)``
    in the meter's ``group_keys`` order; a group key missing from the event gets the value ``""``
    (the pricing layer then falls back to the fallback rate).
    """

    accepted: bool
    reason: str | None = None
    value: str | None = None
    dimensions: tuple[tuple[str, str], ...] = ()


def property_text(value: PropertyValue) -> str:
    """A property value as the text filters and dimensions compare: booleans ``true``/``false``,
    floats by ``repr`` (shortest exact form), everything else ``str``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _is_numeric(value: PropertyValue) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    if isinstance(value, float):
        if not math.isfinite(value):
            return False
        value = repr(value)
    if not isinstance(value, str):
        return False
    try:
        parse_decimal(value)
    except ValueError:
        return False
    return True


def _filter_passes(flt: PropertyFilter, properties: Mapping[str, PropertyValue]) -> bool:
    present = flt.name in properties
    if flt.exists is not None and present != flt.exists:
        return False
    if flt.include is not None and (not present or property_text(properties[flt.name]) not in flt.include):
        return False
    return flt.exclude is None or not present or property_text(properties[flt.name]) not in flt.exclude


def _reject(reason: str) -> MeterMatch:
    return MeterMatch(accepted=False, reason=reason)


def match_event(meter: MeterSpec, event_name: str, properties: Mapping[str, PropertyValue]) -> MeterMatch:
    """Check one event against a meter; never raises for bad event data (it is reported as a reason).

    Checks, in order: event name included (when ``event_include`` is non-empty), event name not
    excluded, every property filter (ANDed, in order), then for non-COUNT meters the aggregation key is
    present and, for SUM/MAX/MIN, numeric (int, numeric string, finite float; ``bool`` is not numeric)
    and a quantity (``billing.bounds.quantity_problem``; other aggregations: text of at most ``MAX_VALUE_LENGTH``),
    and every group-key value is at most ``MAX_DIMENSION_LENGTH`` characters.
    Returns ``MeterMatch(accepted=True, value=..., dimensions=...)`` or a rejection with its reason.
    """
    if meter.event_include and event_name not in meter.event_include:
        return _reject(REASON_EVENT_NAME_NOT_INCLUDED)
    if event_name in meter.event_exclude:
        return _reject(REASON_EVENT_NAME_EXCLUDED)
    for flt in meter.property_filters:
        if not _filter_passes(flt, properties):
            return _reject(f"{REASON_PROPERTY_FILTER_FAILED}:{flt.name}")

    value: str | None = None
    if meter.aggregation_type != "COUNT":
        key = meter.aggregation_key
        if key is None or key not in properties:
            return _reject(REASON_AGGREGATION_KEY_MISSING)
        raw = properties[key]
        if meter.aggregation_type in NUMERIC_AGGREGATIONS and not _is_numeric(raw):
            return _reject(REASON_AGGREGATION_VALUE_NOT_NUMERIC)
        value = property_text(raw)
        if meter.aggregation_type in NUMERIC_AGGREGATIONS:
            value = value.strip()
        if len(value) > MAX_VALUE_LENGTH:
            return _reject(REASON_VALUE_TOO_LONG)
        if meter.aggregation_type in NUMERIC_AGGREGATIONS and quantity_problem(parse_decimal(value)) is not None:
            return _reject(REASON_VALUE_OUT_OF_RANGE)

    dimensions = tuple(
        (group_key, property_text(properties[group_key]) if group_key in properties else "")
        for group_key in meter.group_keys
    )
    if any(len(v) > MAX_DIMENSION_LENGTH for _, v in dimensions):
        return _reject(REASON_DIMENSION_TOO_LONG)
    return MeterMatch(accepted=True, value=value, dimensions=dimensions)


MAX_REASON_LENGTH = 255  # events.unmatched_reason


def bounded_reason(code: str, detail: str | None = None) -> str:
    """An unmatched reason as stored and shown: ``CODE`` or ``CODE: detail``, cut to
    ``MAX_REASON_LENGTH`` characters (the detail is shortened, ending in ``…``; the code is kept)."""
    if not detail:
        return code[:MAX_REASON_LENGTH]
    text = f"{code}: {detail}"
    return text if len(text) <= MAX_REASON_LENGTH else text[:MAX_REASON_LENGTH - 1] + "…"

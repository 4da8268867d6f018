"""The golden scenarios, grouped by theme; :data:`ALL` is every scenario in a stable order."""

from __future__ import annotations

from typing import Any

from tests.golden.scenarios import (
    anchors,
    calendar,
    credit_terms,
    credits,
    dimensions,
    events,
    fees,
    late,
    leap,
    lifecycle,
    minimums,
    pricing,
)

THEMES = (pricing, minimums, fees, calendar, anchors, leap, events, late, dimensions, lifecycle, credits,
          credit_terms)
ALL: list[dict[str, Any]] = [sc for theme in THEMES for sc in theme.SCENARIOS]

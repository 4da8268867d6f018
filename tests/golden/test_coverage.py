"""Coverage of the golden matrix: every combination the product's own enums allow has a scenario.

The combinations are derived from the product, not listed here: aggregations, tierings, intervals and
frequencies from the billing core's constants and the request schemas' ``Literal`` fields, metered
models from the invoice assembly, and which (model, tiering) pairs exist at all by asking the pricing
service's own validation. What a scenario covers is inferred from its setup data (the very bodies the
runner sends), never from hand-written tags: a pricing counts only when it sits in a plan that a
contract uses, that contract's invoices are checked by an ``expect`` step, and (for metered pricing)
at least one of the scenario's events matches its meter.

Dimensions:

* metered pricing: model x tiering x aggregation;
* recurring fixed fees: plan frequency x price interval;
* billing modes;
* contract terms: plan frequency x (fixed term, rolling);
* calendar edges: stub first period, clamped month end, Feb 29 boundary, clipped final period;
* credits: every ledger entry type the product writes (seen in a ``ledger`` step), every block status
  (seen in a ``wallet`` step) and every wallet mode (of a contract whose wallet a step checks).
"""

from __future__ import annotations

import itertools
import re
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest

from monk.billing.aggregation import AGGREGATIONS
from monk.billing.context import METERED_MODELS
from monk.billing.credits import BlockStatus
from monk.billing.matching import MeterSpec, PropertyFilter, match_event
from monk.billing.periods import FREQUENCY_MONTHS, INTERVALS, anchored_date, billing_periods
from monk.billing.rating import TIERINGS
from monk.credits.schemas import CreditSettings
from monk.kit.errors import ValidationFailed
from monk.meters.schemas import MeterCreate
from monk.models.statuses import LedgerEntryType
from monk.plans.schemas import PlanCreate
from monk.pricing import service as pricing_service
from monk.pricing.schemas import PricingCreate
from tests.golden.runner import expand_events, setup_bodies
from tests.golden.scenarios import ALL

TERMS = ("fixed", "rolling")  # a contract with an endDate, or without one
CALENDAR_EDGES = ("stub-first-period", "clamped-month-end", "feb-29-boundary", "clipped-final-period")


def literal_values(annotation: Any) -> tuple[str, ...]:
    """The values of a ``Literal[...]`` annotation, also inside ``Literal[...] | None``."""
    if typing.get_origin(annotation) is Literal:
        return tuple(typing.get_args(annotation))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(v for arg in typing.get_args(annotation) for v in literal_values(arg))
    return ()


def field_values(model: type, name: str) -> tuple[str, ...]:
    values = literal_values(model.model_fields[name].annotation)  # type: ignore[attr-defined]
    assert values, f"{model.__name__}.{name} is not a Literal field any more; update the coverage test"
    return values


MODELS = field_values(PricingCreate, "model")
BILLING_MODES = field_values(PricingCreate, "billing_mode")
SCHEMA_TIERINGS = field_values(PricingCreate, "tiering")
SCHEMA_INTERVALS = field_values(PricingCreate, "price_interval")
SCHEMA_AGGREGATIONS = field_values(MeterCreate, "aggregation_type")
SCHEMA_FREQUENCIES = field_values(PlanCreate, "billing_frequency")


def effective_tiering(body: dict[str, Any]) -> str | None:
    """The tiering the product stores for a pricing body, or None when the product refuses it
    (``monk.pricing.service._check_shape``: e.g. TIER without tiering becomes VOLUME)."""
    try:
        return pricing_service._check_shape(PricingCreate.model_validate(body))
    except ValidationFailed:
        return None


def _probe(model: str, tiering: str) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "probe", "productName": "probe", "model": model, "billingMode": "RECURRING",
                            "tiering": tiering}
    if tiering == "NONE":
        body["unitAmount"] = "1"
    else:
        body["pricingTiers"] = [{"minQty": "0", "unitAmount": "1"}]
    if model in METERED_MODELS:
        body["meterId"] = "meter"
    else:
        body["priceInterval"] = INTERVALS[0]
    return body


def metered_pairs() -> list[tuple[str, str]]:
    """(model, tiering) pairs the product accepts as such, for the metered models."""
    tierings = sorted(set(TIERINGS) | set(SCHEMA_TIERINGS))
    return [(m, t) for m in MODELS if m in METERED_MODELS for t in tierings if effective_tiering(_probe(m, t)) == t]


def written_entry_types() -> set[str]:
    """The ledger entry types the product writes: those a module of ``src/monk`` names as
    ``LedgerEntryType.X`` (``adjustment`` has no writer today; once one is added, a scenario must show it)."""
    src = Path(__import__("monk").__file__).parent
    names = {m for path in src.rglob("*.py") for m in re.findall(r"LedgerEntryType\.([A-Z_]+)", path.read_text())}
    return {LedgerEntryType[n].value for n in names}


def required() -> dict[str, set[tuple[str, ...]]]:
    """Every combination the product's enums allow, per dimension."""
    aggregations = sorted(set(AGGREGATIONS) | set(SCHEMA_AGGREGATIONS))
    frequencies = sorted(set(FREQUENCY_MONTHS) | set(SCHEMA_FREQUENCIES))
    intervals = sorted(set(INTERVALS) | set(SCHEMA_INTERVALS))
    return {
        "model x tiering x aggregation": {(m, t, a) for (m, t), a in itertools.product(metered_pairs(), aggregations)},
        "frequency x interval": set(itertools.product(frequencies, intervals)),
        "billing mode": {(b,) for b in BILLING_MODES},
        "frequency x term": set(itertools.product(frequencies, TERMS)),
        "calendar edge": {(e,) for e in CALENDAR_EDGES},
        "credit ledger entry type": {(t,) for t in written_entry_types()},
        "credit block status": {(b.value,) for b in BlockStatus},
        "wallet mode": {(m,) for m in field_values(CreditSettings, "wallet_mode")},
    }


@dataclass
class Coverage:
    """What the scenarios exercise, per dimension, with the scenarios that do it."""

    by: dict[str, dict[tuple[str, ...], list[str]]] = field(default_factory=dict)

    def add(self, dimension: str, combination: tuple[str, ...], scenario: str) -> None:
        self.by.setdefault(dimension, {}).setdefault(combination, []).append(scenario)


def _meter_spec(body: dict[str, Any]) -> MeterSpec:
    meter = MeterCreate.model_validate(body)
    etf = meter.event_type_filter
    return MeterSpec(
        aggregation_type=meter.aggregation_type,
        event_include=tuple(etf.include or ()) if etf else (),
        event_exclude=tuple(etf.exclude or ()) if etf else (),
        property_filters=tuple(PropertyFilter(name=f.name, exists=f.exists,
                                              include=tuple(f.include) if f.include is not None else None,
                                              exclude=tuple(f.exclude) if f.exclude is not None else None)
                               for f in meter.property_filters),
        aggregation_key=None if meter.aggregation_type == "COUNT" else meter.aggregation_key,
        group_keys=tuple(meter.group_keys),
    )


def _events(scenario: dict[str, Any]) -> Iterator[dict[str, Any]]:
    names = {"contracts": {k: k for k in scenario.get("contracts", {})}}
    for st in scenario["steps"]:
        if "events" in st:
            yield from expand_events(st["events"], names)


def _on_grid(d: date, anchor: date, months: int) -> bool:
    """True when ``d`` is a boundary ``anchored_date(anchor, k * months)`` of the anchor's grid."""
    k = ((d.year - anchor.year) * 12 + d.month - anchor.month) // months
    return any(anchored_date(anchor, j * months) == d for j in (k - 1, k, k + 1))


def _edges(contract: dict[str, Any], months: int) -> Iterator[str]:
    """The calendar edges a contract's periods (computed by the product's ``billing_periods``) touch."""
    start = date.fromisoformat(contract["startDate"])
    end = date.fromisoformat(contract["endDate"]) if contract.get("endDate") else None
    anchor = date.fromisoformat(contract.get("billingCycleAnchor") or contract["startDate"])
    periods = billing_periods(start=start, end=end, anchor=anchor, months=months, until=anchored_date(start, 24))
    if not _on_grid(start, anchor, months):
        yield "stub-first-period"
    if any(p.end.day < anchor.day and _on_grid(p.end, anchor, months) for p in periods):
        yield "clamped-month-end"
    if any((d.month, d.day) == (2, 29) for p in periods for d in (p.start, p.end)):
        yield "feb-29-boundary"
    if end is not None and not _on_grid(end, anchor, months):
        yield "clipped-final-period"


def infer(scenario: dict[str, Any]) -> Coverage:
    """What one scenario exercises, read from its setup bodies, events and expect steps."""
    cov = Coverage()
    name = scenario["name"]
    bodies = setup_bodies(scenario)
    checked = {st["expect"]["contract"] for st in scenario["steps"] if "expect" in st}
    specs = {local: _meter_spec(body) for local, body in bodies["meters"].items()}
    events = list(_events(scenario))
    metered = {local for local, spec in specs.items()
               if any(match_event(spec, ev["eventName"], ev.get("properties", {})).accepted for ev in events)}
    for local, contract in scenario.get("contracts", {}).items():
        if local not in checked:
            continue
        plan = PlanCreate.model_validate(bodies["plans"][contract["plan"]])
        frequency = plan.billing_frequency
        cov.add("frequency x term", (frequency, "fixed" if contract.get("endDate") else "rolling"), name)
        for edge in _edges(contract, FREQUENCY_MONTHS[frequency]):
            cov.add("calendar edge", (edge,), name)
        for p_local in scenario["plans"][contract["plan"]].get("pricing", []):
            spec = scenario["pricing"][p_local]
            body = bodies["pricing"][p_local]
            pricing = PricingCreate.model_validate(body)
            cov.add("billing mode", (pricing.billing_mode,), name)
            if pricing.model in METERED_MODELS:
                tiering = effective_tiering(body)
                if tiering is not None and spec["meter"] in metered:
                    cov.add("model x tiering x aggregation",
                            (pricing.model, tiering, specs[spec["meter"]].aggregation_type), name)
            elif pricing.billing_mode == "RECURRING" and pricing.price_interval is not None:
                cov.add("frequency x interval", (frequency, pricing.price_interval), name)
    return cov


def infer_credits(scenario: dict[str, Any], cov: Coverage) -> None:
    """The credit dimensions one scenario exercises: entry types of its ``ledger`` steps, block statuses
    of its ``wallet`` steps, the wallet modes of the contracts those steps check."""
    name = scenario["name"]
    for st in scenario["steps"]:
        (kind, argument), = st.items()
        if kind not in ("ledger", "wallet"):
            continue
        settings = CreditSettings.model_validate(scenario["contracts"][argument["contract"]].get("creditSettings", {}))
        cov.add("wallet mode", (str(settings.wallet_mode),), name)
        for row in argument.get("entries", []):
            cov.add("credit ledger entry type", (row[0],), name)
        for row in argument.get("blocks", []):
            cov.add("credit block status", (row[1],), name)


def coverage() -> Coverage:
    total = Coverage()
    for scenario in ALL:
        cov = infer(scenario)
        infer_credits(scenario, cov)
        for dimension, combos in cov.by.items():
            for combo, names in combos.items():
                for n in names:
                    total.add(dimension, combo, n)
    return total


def test_product_enums_agree() -> None:
    """The billing core and the request schemas name the same values (else a value is unreachable)."""
    assert set(TIERINGS) == set(SCHEMA_TIERINGS)
    assert set(AGGREGATIONS) == set(SCHEMA_AGGREGATIONS)
    assert set(INTERVALS) == set(SCHEMA_INTERVALS)
    assert set(FREQUENCY_MONTHS) == set(SCHEMA_FREQUENCIES)
    assert set(METERED_MODELS) <= set(MODELS)


def test_metered_pairs_come_from_the_product() -> None:
    """The product accepts tiered USAGE and TIER pricing, folds TIER without tiering into VOLUME and
    refuses tiered FLAT: the matrix follows whatever the validation says."""
    pairs = metered_pairs()
    assert ("USAGE", "NONE") in pairs and ("TIER", "GRADUATED") in pairs
    assert effective_tiering(_probe("FLAT", "VOLUME")) is None


def test_credit_dimensions_come_from_the_product() -> None:
    """Grants, draws, give-backs and write-offs are written; the block statuses are the core's."""
    assert {"grant", "usage", "reversal", "expiration"} <= written_entry_types() <= {t.value for t in LedgerEntryType}
    assert {s for (s,) in required()["credit block status"]} == {"active", "depleted", "expired"}


@pytest.mark.parametrize("dimension", list(required()))
def test_every_combination_has_a_scenario(dimension: str) -> None:
    covered = coverage().by.get(dimension, {})
    missing = sorted(required()[dimension] - set(covered))
    assert not missing, f"{dimension}: no golden scenario covers " + ", ".join(" x ".join(m) for m in missing)

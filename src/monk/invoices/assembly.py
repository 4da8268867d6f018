"""Assemble an invoice's lines from its calendar slot, the plan's pricing and the measured usage.

Rules (DESIGN.md, billing calendar): recurring FLAT fees are billed in advance on the invoice of
their own period, once per start of the pricing's interval inside that period (so a MONTH fee on a
QUARTERLY plan bills 3x); ONE_TIME fees on the first invoice only; USAGE and TIER pricing bill in
arrears, on the next invoice, the meter's aggregate over the previous period. Each line is rounded
once to cents (ROUND_HALF_UP). Line ids are derived from the invoice and the line's identity, so
assembling twice gives the same invoice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from monk.billing.calendar import InvoiceSlot
from monk.billing.invoice import Line, usage_description
from monk.billing.money import round_money
from monk.billing.periods import Period, interval_starts_in
from monk.billing.rating import PriceSpec, Tier, effective_unit_price, rate_usage
from monk.models import Pricing, RateCard

LINE_NAMESPACE = uuid.UUID("6d6f6e6b-0000-4000-8000-000000000001")
METERED_MODELS = ("USAGE", "TIER")


@dataclass(frozen=True)
class BuiltLine:
    """A line with its stable id and kind (``fee``, ``one_time`` or ``usage``)."""

    id: str
    kind: str
    meter_id: str | None
    line: Line


def price_spec(p: Pricing) -> PriceSpec:
    """The pure core's ``PriceSpec`` for a pricing row (amounts in exact dollars)."""
    tiers = tuple(
        Tier(
            min_qty=Decimal(t["minQty"]),
            max_qty=Decimal(t["maxQty"]) if t.get("maxQty") not in (None, "") else None,
            unit_amount=Decimal(t["unitAmount"]),
            flat_amount=Decimal(t.get("flatAmount") or 0),
        )
        for t in (p.tiers or [])
    )
    tiering = p.tiering if tiers else "NONE"
    return PriceSpec(unit_amount=p.unit_amount or Decimal(0), flat_amount=p.flat_amount or Decimal(0),
                     tiering=tiering, tiers=tiers, minimum_amount=p.minimum_amount)


def _line_id(invoice_id: str, *parts: str) -> str:
    return str(uuid.uuid5(LINE_NAMESPACE, ":".join((invoice_id, *parts))))


def fee_lines(
    invoice_id: str, slot: InvoiceSlot, pricings: Sequence[Pricing], *, contract_start: date
) -> list[BuiltLine]:
    """The fixed-fee lines of a slot: recurring fees of ``slot.fee_period``, one-time fees on slot 0."""
    out: list[BuiltLine] = []
    for p in pricings:
        if p.model != "FLAT":
            continue
        if p.billing_mode == "ONE_TIME":
            if slot.index != 0 or slot.fee_period is None:
                continue
            count, kind = 1, "one_time"
        else:
            if slot.fee_period is None:
                continue
            count = interval_starts_in(origin=contract_start, interval=p.price_interval or "MONTH",
                                       count=p.price_interval_count or 1, period=slot.fee_period)
            kind = "fee"
        if count == 0:
            continue
        unit = p.unit_amount or Decimal(0)
        qty = Decimal(count)
        line = Line(name=p.name, quantity=qty, unit_price=unit, amount=round_money(unit * qty), is_metered=False,
                    price_id=p.id, service_period=slot.fee_period)
        out.append(BuiltLine(_line_id(invoice_id, kind, p.id), kind, None, line))
    return out


def usage_lines(
    invoice_id: str, slot: InvoiceSlot, pricings: Sequence[Pricing],
    quantities: Mapping[str, Mapping[str, Decimal]], *, rate_cards: Mapping[str, RateCard],
    overrides: Sequence[Mapping[str, Any]],
) -> list[BuiltLine]:
    """The metered lines of a slot for ``slot.usage_period``.

    ``quantities`` maps meter id → dimension key (JSON of group-key values, "" when the meter has
    no group keys) → aggregated quantity. A pricing with no usage still gets a zero-quantity line
    (it may carry a flat amount or a minimum). One line per dimension combination.
    ``rate_cards`` (by meter id) and the contract's ``overrides`` (``[{"basePricingId",
    "unitAmount", "dimensions"?}]``) decide the unit rate of each line.
    """
    if slot.usage_period is None:
        return []
    out: list[BuiltLine] = []
    for p in pricings:
        if p.model not in METERED_MODELS or p.meter_id is None:
            continue
        by_dim = quantities.get(p.meter_id) or {"": Decimal(0)}
        spec = price_spec(p)
        for dim_key in sorted(by_dim):
            qty = by_dim[dim_key]
            amount = rate_usage(spec, qty)
            unit = spec.unit_amount if spec.tiering == "NONE" else effective_unit_price(amount, qty)
            dims = tuple(json.loads(dim_key).items()) if dim_key else ()
            name = p.name + (" - " + " / ".join(v for _, v in dims) if dims else "")
            line = Line(name=name, quantity=qty, unit_price=unit, amount=amount, is_metered=True, price_id=p.id,
                        service_period=slot.usage_period, description=usage_description(qty, unit, amount),
                        dimensions=dims)
            out.append(BuiltLine(_line_id(invoice_id, "usage", p.id, dim_key), "usage", p.meter_id, line))
    return out


def slot_of(index: int, invoice_date: date, fee: tuple[date | None, date | None],
            usage: tuple[date | None, date | None]) -> InvoiceSlot:
    """Rebuild an ``InvoiceSlot`` from an invoice row's stored dates."""
    fee_p = Period(fee[0], fee[1]) if fee[0] and fee[1] else None
    usage_p = Period(usage[0], usage[1]) if usage[0] and usage[1] else None
    return InvoiceSlot(index=index, invoice_date=invoice_date, fee_period=fee_p, usage_period=usage_p)

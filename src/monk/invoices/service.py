"""Invoice rules: the contract's calendar of drafts and recomputing a draft from usage. Never commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.aggregation import aggregate
from monk.billing.calendar import due_date, invoice_slots
from monk.billing.money import to_cents
from monk.billing.periods import FREQUENCY_MONTHS, Period, anchored_date, billing_periods, period_containing
from monk.invoices import assembly, repository
from monk.kit.ids import new_id
from monk.models import Contract, Invoice, Meter, Pricing, RateCard


@dataclass
class ContractBilling:
    """What billing a contract needs: the contract, its plan's pricing (in order), their meters and
    the meters' rate cards (by meter id)."""

    contract: Contract
    pricings: list[Pricing]
    meters: dict[str, Meter]
    rate_cards: dict[str, RateCard] = field(default_factory=dict)
    _periods: list[Period] | None = field(default=None, repr=False)

    @property
    def months(self) -> int:
        """Length of one billing period in months."""
        return FREQUENCY_MONTHS[self.contract.billing_frequency]

    def periods(self, until: date) -> list[Period]:
        """The contract's billing periods up to the one containing ``until`` (all of them for a fixed term)."""
        c = self.contract
        return billing_periods(start=c.start_date, end=c.end_date, anchor=c.billing_cycle_anchor,
                               months=self.months, until=until)

    def period_at(self, at: datetime) -> Period | None:
        """The billing period containing the instant ``at`` (UTC), or None outside the contract."""
        c = self.contract
        day = at.date()
        if day < c.start_date or (c.end_date is not None and day >= c.end_date):
            return None
        if not self._periods or self._periods[-1].end <= day:
            self._periods = self.periods(day)
        return period_containing(self._periods, at)


def horizon(billing: ContractBilling, today: date, periods_ahead: int) -> date:
    """How far a rolling contract's drafts reach: ``periods_ahead`` periods after today (or the start)."""
    return anchored_date(max(today, billing.contract.start_date), periods_ahead * billing.months)


async def sync_calendar(session: AsyncSession, billing: ContractBilling, *, now: datetime, periods_ahead: int) -> int:
    """Create the contract's missing invoices (one per billing period, plus the closing one of a
    fixed term), each assembled from the plan and any usage already measured. Idempotent.

    Returns how many invoices were created.
    """
    c = billing.contract
    periods = billing.periods(horizon(billing, now.date(), periods_ahead))
    slots = invoice_slots(periods, fixed_term=c.end_date is not None)
    have = {inv.slot for inv in await repository.of_contract(session, c.id)}
    created = 0
    for slot in slots:
        if slot.index in have:
            continue
        inv = Invoice(
            id=new_id(), org_id=c.org_id, mode=c.mode, contract_id=c.id, customer_id=c.customer_id,
            slot=slot.index, status="Drafted", invoice_date=slot.invoice_date,
            due_date=due_date(slot.invoice_date, c.net_terms),
            fee_start=slot.fee_period.start if slot.fee_period else None,
            fee_end=slot.fee_period.end if slot.fee_period else None,
            usage_start=slot.usage_period.start if slot.usage_period else None,
            usage_end=slot.usage_period.end if slot.usage_period else None,
            total_cents=0, created_at=now, updated_at=now,
        )
        session.add(inv)
        await session.flush()
        await rebuild(session, billing, inv, now=now)
        created += 1
    return created


def quantities(meters: dict[str, Meter], values: list[tuple[str, str, str | None]]) -> dict[str, dict[str, Decimal]]:
    """Aggregate usage records per meter (and per dimension key when the meter has group keys)."""
    grouped: dict[str, dict[str, list[str | None]]] = defaultdict(lambda: defaultdict(list))
    for meter_id, dim_key, value in values:
        meter = meters.get(meter_id)
        if meter is None:
            continue
        grouped[meter_id][dim_key if meter.group_keys else ""].append(value)
    return {
        meter_id: {dim: aggregate(meters[meter_id].aggregation_type, vals) for dim, vals in dims.items()}
        for meter_id, dims in grouped.items()
    }


async def rebuild(session: AsyncSession, billing: ContractBilling, inv: Invoice, *, now: datetime) -> None:
    """Recompute every line of an open invoice from the plan and the stored usage; set its total.

    Deterministic: the same inputs give the same lines (ids included) and total.
    """
    slot = assembly.slot_of(inv.slot, inv.invoice_date, (inv.fee_start, inv.fee_end), (inv.usage_start, inv.usage_end))
    qty: dict[str, dict[str, Decimal]] = {}
    if inv.usage_start is not None:
        qty = quantities(billing.meters, await repository.usage_values(session, inv.contract_id, inv.usage_start))
    built = assembly.fee_lines(inv.id, slot, billing.pricings, contract_start=billing.contract.start_date)
    built += assembly.usage_lines(inv.id, slot, billing.pricings, qty, rate_cards=billing.rate_cards,
                                  overrides=billing.contract.overrides or [])
    rows: list[dict[str, Any]] = []
    for pos, b in enumerate(built):
        ln = b.line
        sp = ln.service_period
        rows.append({
            "id": b.id, "invoice_id": inv.id, "kind": b.kind, "pricing_id": ln.price_id, "meter_id": b.meter_id,
            "position": pos, "name": ln.name, "description": ln.description, "quantity": ln.quantity,
            "unit_price": ln.unit_price, "amount": ln.amount, "amount_cents": to_cents(ln.amount),
            "is_metered": ln.is_metered, "service_start": sp.start if sp else None,
            "service_end": sp.end if sp else None, "dimensions": dict(ln.dimensions) or None,
        })
    await repository.replace_lines(session, inv.id, rows)
    total = sum(r["amount_cents"] for r in rows)
    if total != inv.total_cents:
        inv.total_cents = total
        inv.updated_at = now
    await session.flush()


async def recompute_usage(
    session: AsyncSession, billing: ContractBilling, period_start: date, *, now: datetime
) -> bool:
    """Rebuild the open invoice that bills the usage of the period starting ``period_start``.

    Returns False when no open invoice carries that period (not generated yet, or finalized).
    """
    inv = await repository.open_carrying_usage(session, billing.contract.id, period_start)
    if inv is None:
        return False
    await rebuild(session, billing, inv, now=now)
    return True

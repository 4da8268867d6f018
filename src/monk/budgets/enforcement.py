"""Credit budgets in the wallet's draw-down: what credits may pay of an invoice once its budgets are
applied, what each budget consumed, and ``credit.budget.exhausted`` (rules: ``budgets.consumption``).

``settle`` stands in for ``credits.drawdown.settle_invoice`` when an invoice is rebuilt: the budgets
come with the contract's billing context (loaded for a whole batch of contracts at once), so a
contract without budgets costs no query and draws exactly as before. With budgets, the usage
records of the invoice's usage period whose events carry a budgeted property are read (one query per
distinct property key), attributed to the first budget they match, and the draw is brought to
``metered − Σ overage`` instead of ``metered``.

``credit.budget.exhausted`` is sent when a budget's consumption reaches its cap, once per budget and
billing period (``exhausted_period_start`` records the period); changing the cap clears it, so the
event can fire again at the new cap. Its payload is the budget as the API shows it with ``id``
(the budget's), ``contractId``, ``consumedCents``, ``consumedUnits``, ``periodStart`` (the usage
period's first day), ``createdAt`` and ``updatedAt``; it is written through the outbox in the
rebuild's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.aggregation import aggregate
from monk.billing.assembly import Expected
from monk.billing.dimensions import canonical
from monk.billing.money import to_cents
from monk.budgets import consumption, repository
from monk.budgets.consumption import BudgetTerms, Record, UsageKey, UsageLine
from monk.budgets.schemas import budget_out
from monk.credits import drawdown
from monk.credits.wallet import WalletTerms, terms
from monk.kit.clock import iso_ms
from monk.models import Contract, CreditBlock, CreditBudget, Invoice, InvoiceLine, Meter
from monk.webhooks import outbox
from monk.webhooks.catalogue import CREDIT_BUDGET_EXHAUSTED


def budget_terms(rows: Sequence[CreditBudget], wallet: WalletTerms) -> list[BudgetTerms]:
    """The stored budgets as enforcement terms (caps in cents)."""
    return [BudgetTerms(index=r.position, key=r.event_property_key, value=r.event_property_value,
                        meter_id=r.meter_id, cap_cents=None if r.cap is None else wallet.cents(r.cap))
            for r in rows]


def expected_lines(expected: Iterable[Expected]) -> list[UsageLine]:
    """The metered usage lines of an invoice being rebuilt (adjustments and fees left out)."""
    return [UsageLine((consumption.phase_of(e.identity), e.meter_id, canonical(e.line.dimensions)),
                      e.line.quantity, to_cents(e.line.amount))
            for e in expected if e.kind == "usage" and e.line.is_metered and e.meter_id]


def stored_lines(lines: Iterable[InvoiceLine]) -> list[UsageLine]:
    """The same of an invoice's stored usage lines."""
    return [UsageLine((consumption.phase_of(x.identity), x.meter_id,
                       canonical((str(k), str(v)) for k, v in (x.dimensions or {}).items())),
                      x.quantity, x.amount_cents)
            for x in lines if x.meter_id]


async def _records(session: AsyncSession, contract_id: str, period_start: date,
                   budgets: Sequence[BudgetTerms]) -> list[Record]:
    """The period's usage records whose events carry a budgeted property pair, one query per key."""
    values: dict[str, set[str]] = defaultdict(set)
    for b in budgets:
        values[b.key].add(b.value)
    found: dict[int, tuple[Any, ...]] = {}
    props: dict[int, dict[str, str]] = defaultdict(dict)
    for key in sorted(values):
        for rid, meter_id, phase_id, dim_key, value, text in await repository.matching_records(
                session, contract_id, period_start, key, sorted(values[key])):
            found[rid] = (meter_id, phase_id, dim_key, value)
            props[rid][key] = text
    return [Record(rid, m, (p, m, consumption.dimensions_of(d)), v, props[rid]) for rid, (m, p, d, v) in found.items()]


async def attribution(session: AsyncSession, contract_id: str, period_start: date, budgets: Sequence[BudgetTerms],
                      lines: Sequence[UsageLine], meters: Mapping[str, Meter]) -> list[tuple[int, Decimal | None]]:
    """``(attributed cents, cap cents)`` of each budget, in index order, for the usage of the period
    starting ``period_start`` billed by ``lines`` (``budgets.consumption.attribute``)."""
    owned = consumption.assign(await _records(session, contract_id, period_start, budgets), budgets)
    out: list[tuple[int, Decimal | None]] = []
    for b in budgets:
        values: dict[UsageKey, list[str | None]] = defaultdict(list)
        for r in owned[b.index]:
            values[r.key].append(r.value)
        matched = {k: aggregate(meters[k[1]].aggregation_type, v) for k, v in values.items() if k[1] in meters}
        out.append((consumption.attribute(lines, matched), b.cap_cents))
    return out


def consumed_units(consumed: Decimal, wallet: WalletTerms) -> float:
    """``consumedUnits``: credits for a credit wallet, dollars (of the shown cents) for a dollar wallet."""
    if wallet.tracks_credits:
        return float(wallet.units(consumed))
    return float(Decimal(consumption.shown(consumed)) / 100)


async def settle(session: AsyncSession, contract: Contract, meters: Mapping[str, Meter], inv: Invoice,
                 blocks: list[CreditBlock], budget_rows: list[CreditBudget], expected: Sequence[Expected],
                 metered_cents: int, *, period: tuple[datetime, datetime] | None, now: datetime) -> int:
    """Draw ``inv``'s credits (``credits.drawdown.settle_invoice``) for its ``metered_cents`` less what
    its budgets cap, record each budget's exhaustion (``credit.budget.exhausted``, once per period)
    and return the credits applied in cents. ``expected`` are the invoice's lines, ``meters`` the
    contract's meters by id, ``blocks`` its wallet (non-empty; as ``settle_invoice`` takes them),
    ``budget_rows`` its budgets in index order (``ContractBilling.budgets``).
    Raises what ``settle_invoice`` raises."""
    wallet = terms(contract.credit_settings)
    start = inv.usage_start
    rows = budget_rows if metered_cents > 0 and start is not None else []
    if start is None or not rows:
        return await drawdown.settle_invoice(session, contract, inv, blocks, wallet, metered_cents, period=period,
                                             now=now)
    budgets = budget_terms(rows, wallet)
    attributed = await attribution(session, contract.id, start, budgets, expected_lines(expected), meters)
    target = consumption.credit_target(metered_cents, attributed)
    applied = await drawdown.settle_invoice(session, contract, inv, blocks, wallet, target, period=period, now=now)
    for row, outcome in zip(rows, consumption.outcomes(attributed, target=target, applied=applied), strict=True):
        if outcome.exhausted and row.exhausted_period_start != start:
            row.exhausted_period_start = start
            await _announce(session, contract, row, wallet, outcome.consumed, start, now=now)
    return applied


async def _announce(session: AsyncSession, contract: Contract, row: CreditBudget, wallet: WalletTerms,
                    consumed: Decimal, period_start: date, *, now: datetime) -> None:
    payload = {"id": row.id, **budget_out(row, wallet, exhausted=True), "contractId": contract.id,
               "consumedCents": consumption.shown(consumed), "consumedUnits": consumed_units(consumed, wallet),
               "periodStart": period_start.isoformat(), "createdAt": iso_ms(row.created_at),
               "updatedAt": iso_ms(now)}
    await outbox.emit(session, org_id=contract.org_id, mode=contract.mode, event_type=CREDIT_BUDGET_EXHAUSTED,
                      resource_id=row.id, payload=payload, now=now)

"""What a contract's credit budgets let credits pay on one invoice, and what each budget consumed
(reference §11; concepts §13). Pure: no I/O; amounts in cents (``Decimal`` where exact, ``int`` where
billed).

Decided (the reference leaves these open):

- **Period.** A budget caps what credits pay for its usage per billing period: the usage period of the
  invoice that bills the usage. Each open invoice is settled on its own; a budget's consumption is
  what that invoice's matching usage drew. Late-usage adjustments of finalized periods and fixed fees
  are never attributed to a budget.
- **Matching.** A usage record belongs to a budget when its event's
  ``properties[eventPropertyKey]``, read as text (a string as itself, a number or boolean as its JSON
  text), equals ``eventPropertyValue`` and, when the budget names a ``meterId``, the record is that
  meter's. A record matching several budgets counts against the **first** (lowest index) only, so
  the budgets' pools are disjoint and no usage is capped twice (``assign``).
- **Attribution.** Of each metered usage line (a meter, a phase, a dimension combination), a budget
  is attributed ``line cents × (quantity of its records, aggregated with the meter's aggregation ÷
  the line's quantity)``, the share kept within [0, 1] (0 for a line of quantity ≤ 0), summed over
  the lines and rounded half-up to the cent (``attribute``).
- **Overage.** Credits pay at most ``metered − Σ overage``, where a budget's overage is its
  attribution beyond its cap, rounded up to the cent (so credits never pay more than the cap);
  the overage stays on the invoice as amount due (``credit_target``). Usage matching no budget draws
  from the pool as before.
- **Consumption.** A budget consumed ``min(attribution, cap)``, scaled by ``applied ÷ target`` when
  the wallet could not pay the whole target; shown rounded down to the cent. It is exhausted when
  it has matching usage and its consumption reached the cap (a cap of 0 is exhausted by the first
  matching usage, never before). A budget without a cap (``None``) is never exhausted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from monk.billing.dimensions import Dimensions, canonical

__all__ = ["BudgetTerms", "Outcome", "Record", "UsageLine", "UsageKey", "assign", "attribute", "credit_target",
           "dimensions_of", "outcomes", "overage", "percent", "phase_of", "shown"]

UsageKey = tuple[str, str, Dimensions]
"""``(phase id, meter id, canonical dimensions)``: what one usage line measures."""

_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(frozen=True)
class UsageLine:
    """A metered usage line of the invoice: its key, its quantity (units) and its charge (cents)."""

    key: UsageKey
    quantity: Decimal
    cents: int


@dataclass(frozen=True)
class BudgetTerms:
    """A budget as enforcement sees it: ``index``, the property pair, the ``meter_id`` it is limited
    to (None: every meter) and its cap in cents (None: no cap; fractional for a credit wallet)."""

    index: int
    key: str
    value: str
    meter_id: str | None
    cap_cents: Decimal | None


@dataclass(frozen=True)
class Record:
    """A usage record of the period: its id, the meter it counts for, its usage key and stored value,
    and the text of each budgeted property its event carries (``property key → text``)."""

    id: int
    meter_id: str
    key: UsageKey
    value: str | None
    properties: Mapping[str, str]


@dataclass(frozen=True)
class Outcome:
    """What one budget did on one invoice: ``attributed`` (int cents of its matching usage),
    ``consumed`` (exact cents credits paid for it), ``exhausted``."""

    attributed: int
    consumed: Decimal
    exhausted: bool


def phase_of(identity: str) -> str:
    """The phase id of a usage line's identity (``usage:<phase>:<pricing>:<dimensions>``)."""
    return identity.split(":", 2)[1]


def dimensions_of(dimension_key: str) -> Dimensions:
    """The canonical dimensions of a usage record's ``dimension_key`` (JSON of group-key values, "" for none)."""
    if not dimension_key:
        return ()
    return canonical((str(k), str(v)) for k, v in json.loads(dimension_key).items())


def assign(records: Iterable[Record], budgets: Sequence[BudgetTerms]) -> dict[int, list[Record]]:
    """Budget index → the records it owns: each record goes to the first budget (lowest index) that
    matches it (property text equal to the value, and the budget's meter if it names one)."""
    ordered = sorted(budgets, key=lambda b: b.index)
    out: dict[int, list[Record]] = {b.index: [] for b in ordered}
    for r in records:
        for b in ordered:
            if r.properties.get(b.key) == b.value and (b.meter_id is None or b.meter_id == r.meter_id):
                out[b.index].append(r)
                break
    return out


def attribute(lines: Iterable[UsageLine], matched: Mapping[UsageKey, Decimal]) -> int:
    """Cents of ``lines`` attributed to one budget whose records aggregate to ``matched`` per usage key:
    Σ line cents × min(1, max(0, matched ÷ line quantity)), rounded half-up to the cent."""
    total = _ZERO
    for line in lines:
        q = matched.get(line.key)
        if q is None or line.quantity <= 0 or line.cents == 0:
            continue
        share = min(_ONE, max(_ZERO, q / line.quantity))
        total += Decimal(line.cents) * share
    return int(total.quantize(_ONE, rounding=ROUND_HALF_UP))


def overage(attributed: int, cap_cents: Decimal | None) -> int:
    """Cents of ``attributed`` beyond the cap, rounded up (0 without a cap)."""
    if cap_cents is None or attributed <= cap_cents:
        return 0
    return int((Decimal(attributed) - cap_cents).quantize(_ONE, rounding=ROUND_CEILING))


def credit_target(metered_cents: int, attributed: Sequence[tuple[int, Decimal | None]]) -> int:
    """What credits may pay of ``metered_cents``: the metered charges less every budget's overage
    (``attributed``: ``(attributed cents, cap cents)`` per budget), never below 0."""
    return max(0, metered_cents - sum(overage(a, cap) for a, cap in attributed))


def outcomes(attributed: Sequence[tuple[int, Decimal | None]], *, target: int, applied: int) -> list[Outcome]:
    """Each budget's consumption once credits paid ``applied`` of ``target`` cents: ``min(attributed,
    cap)`` scaled by ``applied ÷ target`` when short; exhausted when it has matching usage and its
    consumption reached its cap."""
    ratio = _ONE if applied >= target or target <= 0 else Decimal(max(applied, 0)) / Decimal(target)
    out = []
    for a, cap in attributed:
        allowed = Decimal(a) if cap is None else min(Decimal(a), cap)
        consumed = max(_ZERO, allowed * ratio) if ratio != _ONE else max(_ZERO, allowed)
        out.append(Outcome(attributed=a, consumed=consumed,
                           exhausted=cap is not None and a > 0 and consumed >= cap))
    return out


def shown(consumed: Decimal) -> int:
    """Consumed cents as shown: rounded down to the cent."""
    return int(consumed.quantize(_ONE, rounding=ROUND_FLOOR))


def percent(consumed: Decimal, cap_cents: Decimal | None) -> float | None:
    """``consumed ÷ cap × 100`` rounded half-up to 2 places; None without a cap or with a cap of 0."""
    if cap_cents is None or cap_cents == 0:
        return None
    return float((consumed * 100 / cap_cents).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))

"""What one usage line bills, piece by piece, and the description that adds those pieces up.

A usage pricing bills, for one phase of a billing period: its usage (``quantity × unit price``, or
the tier charge), plus its ``flatAmount``, raised to its ``minimumAmount`` when below it
(``rating.rate_usage``). The flat amount and the minimum are charges of the whole period: when a
plan change splits the period into phases, each phase bills its share of them, prorated exactly like
fixed fees (``proration.prorate``: the phase's seconds over the period's, cents carried over so the
shares of one amount add up to it). Example: plan A (usage $1, minimum $100) changed at the middle of
January to plan B (usage $2, minimum $100), 5 units before and 3 after: A bills max(5.00, 50.00) =
$50.00, B bills max(6.00, 50.00) = $50.00; $100.00 in all, not $200.00.

Descriptions never show a product that is not the amount: a line whose quantity × unit price is not
its amount says why (``"3 units × $1.00/unit = $3.00; minimum $100.00 applies"``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from monk.billing.invoice import format_units
from monk.billing.money import format_dollars, round_money
from monk.billing.proration import Share, describe_share, prorate, whole
from monk.billing.rating import PriceSpec, effective_unit_price, rate_usage

__all__ = ["UsageCharge", "period_charge", "prorate_spec", "usage_charge"]

_ZERO = Decimal(0)


def prorate_spec(spec: PriceSpec, share: Share) -> PriceSpec:
    """``spec`` with its flat amount and minimum prorated by ``share`` (to cents); unchanged for a
    whole share. A minimum whose share is $0.00 is no minimum."""
    if share.whole:
        return spec
    minimum = prorate(spec.minimum_amount, share) if spec.minimum_amount is not None else None
    return replace(spec, flat_amount=prorate(spec.flat_amount, share), minimum_amount=minimum or None)


@dataclass(frozen=True)
class UsageCharge:
    """One usage line's pieces, dollars: ``usage`` (the usage charge rounded to cents; 0 when the
    quantity nets below zero), ``flat`` and ``minimum`` (the phase's share, see ``prorate_spec``),
    ``amount`` (what the line bills, ``rate_usage``), ``with_flat`` (usage plus flat amount, rounded
    once: the amount unless the minimum lifts it), ``unit_price`` (shown on the line: the rate, or
    for tiers the average ``usage / quantity`` to 6 places) and the full amounts before proration."""

    quantity: Decimal
    unit_price: Decimal
    tiering: str
    usage: Decimal
    flat: Decimal
    minimum: Decimal | None
    amount: Decimal
    with_flat: Decimal
    share: Share
    full_flat: Decimal
    full_minimum: Decimal | None

    @property
    def minimum_applies(self) -> bool:
        """True when the minimum raised the amount above usage plus flat amount."""
        return self.amount != self.with_flat

    def description(self) -> str:
        """``"5,350 units × $0.01/unit = $53.50"``, extended with what else makes the amount:
        ``" + flat fee $2.00 = $152.00"``, ``"; minimum $100.00 applies"``, and, when a plan change
        prorated them, ``" (minimum $100.00 prorated: 15 days of 30 days)"``. Tiers read
        ``"1,500 units at graduated tiers = $125.00 (average $0.083333/unit)"``."""
        units = format_units(self.quantity)
        if self.quantity < 0:
            units += " (corrections net below zero, rated as 0 units)"
        if self.tiering != "NONE":
            text = f"{units} at {self.tiering.lower()} tiers = {format_dollars(self.usage)}"
            if self.quantity > 0:
                text += f" (average {format_dollars(self.unit_price)}/unit)"
        elif self.quantity < 0:
            text = f"{units} = {format_dollars(self.usage)}"
        else:
            text = f"{units} × {format_dollars(self.unit_price)}/unit = {format_dollars(self.usage)}"
        prorated = []
        if self.flat:
            text += f" + flat fee {format_dollars(round_money(self.flat))} = {format_dollars(self.with_flat)}"
            prorated.append(f"flat fee {format_dollars(round_money(self.full_flat))}")
        if self.minimum_applies:
            text += f"; minimum {format_dollars(self.amount)} applies"
            prorated.append(f"minimum {format_dollars(round_money(self.full_minimum or _ZERO))}")
        if prorated and not self.share.whole:
            text += f" ({' and '.join(prorated)} prorated: {describe_share(self.share)})"
        return text


def usage_charge(spec: PriceSpec, quantity: Decimal, *, share: Share | None = None) -> UsageCharge:
    """Rate ``quantity`` units with ``spec`` (its ``unit_amount`` already the line's resolved rate),
    the flat amount and minimum prorated by ``share`` (the phase's share of the period; whole when
    None). ``amount`` is ``rate_usage`` of the prorated spec. Raises ``ValueError`` as ``rate_usage``."""
    share = share or whole()
    own = prorate_spec(spec, share)
    usage = rate_usage(replace(own, flat_amount=_ZERO, minimum_amount=None), quantity)
    unit = own.unit_amount if own.tiering == "NONE" else effective_unit_price(usage, max(quantity, _ZERO))
    return UsageCharge(quantity=quantity, unit_price=unit, tiering=own.tiering, usage=usage,
                       flat=own.flat_amount, minimum=own.minimum_amount, amount=rate_usage(own, quantity),
                       with_flat=rate_usage(replace(own, minimum_amount=None), quantity),
                       share=share, full_flat=spec.flat_amount, full_minimum=spec.minimum_amount)


def period_charge(spec: PriceSpec, usage: Decimal, *, share: Share | None = None) -> tuple[Decimal, str] | None:
    """The flat amount and minimum top-up of a pricing whose usage is split into dimension lines
    (``usage``: the sum of those lines, dollars at cents), prorated by ``share`` (whole when None):
    ``(amount, description)``, e.g. ``(Decimal("60.00"), "Flat fee $10.00; minimum $100.00 (usage
    $30.00, top-up $70.00)")``; None when there is nothing to charge."""
    share = share or whole()
    own = prorate_spec(spec, share)
    flat = round_money(own.flat_amount)
    top_up = _ZERO
    if own.minimum_amount is not None and usage + flat < own.minimum_amount:
        top_up = round_money(own.minimum_amount - usage - flat)
    if not flat and not top_up:
        return None
    parts, full = [], []
    if flat:
        parts.append(f"Flat fee {format_dollars(flat)}")
        full.append(f"flat fee {format_dollars(round_money(spec.flat_amount))}")
    if top_up:
        parts.append(f"minimum {format_dollars(round_money(own.minimum_amount or _ZERO))} "
                     f"(usage {format_dollars(usage + flat)}, top-up {format_dollars(top_up)})")
        full.append(f"minimum {format_dollars(round_money(spec.minimum_amount or _ZERO))}")
    text = "; ".join(parts)
    if not share.whole:
        text += f" ({' and '.join(full)} prorated: {describe_share(share)})"
    return flat + top_up, text[0].upper() + text[1:]

"""The grant form's rules (``/contracts/{id}/credits/grant``): read the form into the API's request bodies
(``CreditPurchase`` for paid credits, ``PromotionalGrant`` for promotional ones and the bonus), compute
the dollars shown on the review, and grant through the same services as the API.

The form (first-credit guide): ``kind`` ``paid`` | ``promotional``; ``unit`` ``dollars`` (``amount`` in
dollars) | ``credits`` (``credits`` × ``rate`` dollars per credit: 1000 × $0.50 = $500.00); ``bonus``
(paid grants only; in the same unit: 200 credits × $0.50 = +$100.00 free, a promotional grant beside the
paid one with the same expiry); ``expires`` (a date; paid credits default to the contract's end or one
year, promotional credits need one); ``description``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from monk.billing import credits as core
from monk.billing.money import cents_as_dollars, format_dollars, format_quantity
from monk.contracts import purchases
from monk.credits import repository as wallet_store
from monk.credits import service as credits
from monk.credits.drawdown import as_block
from monk.credits.grants import paid_expiry
from monk.credits.schemas import CreditPurchase, PromotionalGrant
from monk.credits.wallet import WalletTerms
from monk.dashboard.web import Web, error_of, field_errors
from monk.kit.errors import MonkError
from monk.models import Contract

KINDS = (("paid", "Paid (billed on the next invoice)"), ("promotional", "Promotional (free)"))
UNITS = (("dollars", "In dollars"), ("credits", "In credits at a rate"))
MAX_INPUT = 40


@dataclass
class GrantPlan:
    """A checked grant: what the review shows and the API bodies that make it. ``cents``/``bonus_cents``
    the values in cents (exact); ``credits``/``bonus_credits`` and ``rate`` (dollars per credit) in the
    credits input; ``expires_at`` when the credits expire; ``defaulted`` whether that is the paid
    credits' default."""

    kind: str
    unit: str
    cents: Decimal
    credits: Decimal | None
    rate: Decimal | None
    bonus_cents: Decimal | None
    bonus_credits: Decimal | None
    expires_at: datetime
    defaulted: bool
    main: CreditPurchase | PromotionalGrant
    bonus: PromotionalGrant | None = None

    @property
    def value_text(self) -> str:
        """The grant's value as the review shows it: ``1000 credits × $0.50 = $500.00`` or ``$500.00``."""
        if self.credits is not None and self.rate is not None:
            return f"{format_quantity(self.credits)} credits × {format_dollars(self.rate)} = {usd(self.cents)}"
        return usd(self.cents)

    @property
    def bonus_text(self) -> str | None:
        """The bonus as the review shows it: ``200 credits × $0.50 = +$100.00 free`` (None without one)."""
        if self.bonus_cents is None:
            return None
        if self.bonus_credits is not None and self.rate is not None:
            return (f"{format_quantity(self.bonus_credits)} credits × {format_dollars(self.rate)} = "
                    f"+{usd(self.bonus_cents)} free")
        return f"+{usd(self.bonus_cents)} free"


def usd(cents: Decimal) -> str:
    """Cents for people: ``$1,234.50`` (whole cents), or the exact dollars (``$0.125``) otherwise."""
    if cents == cents.to_integral():
        return cents_as_dollars(int(cents))
    return format_dollars(cents / 100)


def defaults(contract: Contract) -> dict[str, str]:
    """The empty form: paid, in credits for a credit wallet (at its rate) else in dollars."""
    settings = contract.credit_settings or {}
    rate = settings.get("credit_rate_cents")
    if settings.get("wallet_mode") == "credits" and rate:
        return {"kind": "paid", "unit": "credits", "rate": str((Decimal(str(rate)) / 100).quantize(Decimal("0.01")))}
    return {"kind": "paid", "unit": "dollars"}


def _number(form: dict[str, str], name: str, errors: dict[str, str], *, what: str, cents: bool = False,
            required: bool = True) -> Decimal | None:
    """The form's ``name`` as a positive decimal (``$`` and thousands commas allowed), or None with the
    error under ``name``; ``cents``: at most two decimal places (dollars)."""
    raw = form.get(name, "").replace("$", "").replace(",", "").strip()
    if not raw:
        if required:
            errors[name] = f"Enter {what}."
        return None
    try:
        value = Decimal(raw[:MAX_INPUT])
    except InvalidOperation:
        errors[name] = f"Enter {what} as a number, e.g. 500 or 0.50."
        return None
    if not value.is_finite() or value <= 0:
        errors[name] = f"Enter {what} above zero."
        return None
    if cents and value != value.quantize(Decimal("0.01")):
        errors[name] = "Use whole cents (at most two decimal places)."
        return None
    return value


def _expiry(form: dict[str, str], errors: dict[str, str], now: datetime) -> datetime | None:
    raw = form.get("expires", "")
    if not raw:
        return None
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        errors["expires"] = "Enter a date as YYYY-MM-DD."
        return None
    if day <= now:
        errors["expires"] = "The expiry date must be in the future."
        return None
    return day


def _body(model: type[CreditPurchase] | type[PromotionalGrant], body: dict[str, Any], names: dict[str, str],
          errors: dict[str, str]) -> Any:
    """``model`` validated from ``body``, or None with its errors under the form's field names."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        for key, message in field_errors(exc).items():
            errors.setdefault(names.get(key, key), message)
        return None


def plan(form: dict[str, str], wallet: WalletTerms, contract: Contract, *,
         now: datetime) -> tuple[GrantPlan | None, dict[str, str]]:
    """The grant the form asks for, or None and ``{field: message}``."""
    errors: dict[str, str] = {}
    kind, unit = form.get("kind", ""), form.get("unit", "")
    if kind not in dict(KINDS):
        errors["kind"] = "Choose paid or promotional credits."
    if unit not in dict(UNITS):
        errors["unit"] = "Choose dollars or credits."
    expires_at = _expiry(form, errors, now)
    credits_n = rate = None
    if unit == "credits":
        credits_n = _number(form, "credits", errors, what="a number of credits")
        rate = _number(form, "rate", errors, what="the dollars per credit", cents=True)
        bonus_n = _number(form, "bonus", errors, what="bonus credits", required=False)
    else:
        amount = _number(form, "amount", errors, what="an amount in dollars", cents=True)
        bonus_n = _number(form, "bonus", errors, what="bonus dollars", cents=True, required=False)
    if bonus_n is not None and kind == "promotional":
        errors["bonus"] = "A bonus goes with paid credits; grant promotional credits on their own."
    if kind == "promotional" and expires_at is None and "expires" not in errors:
        errors["expires"] = "Promotional credits need an expiry date."
    if errors:
        return None, errors
    defaulted = expires_at is None
    expires = expires_at or paid_expiry(contract, now=now)
    if unit == "credits":
        assert credits_n is not None and rate is not None
        rate_cents = rate * 100
        cents = credits_n * rate_cents
        bonus_cents = None if bonus_n is None else bonus_n * rate_cents
    else:
        assert amount is not None
        cents, rate_cents = amount * 100, Decimal(0)
        bonus_cents = None if bonus_n is None else bonus_n * 100
    stamp = expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    description = form.get("description") or None
    main: Any
    if kind == "paid":
        names = {"amountCents": "credits" if unit == "credits" else "amount", "creditAmount": "credits",
                 "expiresAt": "expires"}
        body: dict[str, Any] = {"expiresAt": stamp, "description": description}
        if unit == "credits" and wallet.tracks_credits:
            if rate_cents != wallet.rate:
                errors["rate"] = f"This wallet's credits are worth ${wallet.rate / 100:.2f} each."
            body["creditAmount"] = str(credits_n)
        elif cents != cents.to_integral():
            errors["credits"] = "Credits × rate must come to whole cents."
        else:
            body["amountCents"] = int(cents)
        main = None if errors else _body(CreditPurchase, body, names, errors)
    else:
        main = _body(PromotionalGrant, _promotional(unit, cents, credits_n, rate_cents, stamp, description),
                     {"amountCents": "amount", "creditAmount": "credits", "creditRateCents": "rate",
                      "expiresAt": "expires"}, errors)
    bonus = None
    if bonus_n is not None and bonus_cents is not None and not errors:
        bonus = _body(PromotionalGrant, _promotional(unit, bonus_cents, bonus_n, rate_cents, stamp, "Bonus credits"),
                      {k: "bonus" for k in ("amountCents", "creditAmount", "creditRateCents")}, errors)
    if errors or main is None:
        return None, errors
    return GrantPlan(kind=kind, unit=unit, cents=cents, credits=credits_n, rate=rate, bonus_cents=bonus_cents,
                     bonus_credits=bonus_n if unit == "credits" else None, expires_at=expires, defaulted=defaulted,
                     main=main, bonus=bonus), {}


def _promotional(unit: str, cents: Decimal, credits_n: Decimal | None, rate_cents: Decimal, stamp: str,
                 description: str | None) -> dict[str, Any]:
    """A ``PromotionalGrant`` body: ``amountCents`` in dollars (whole cents), ``creditRateCents`` +
    ``creditAmount`` in credits."""
    body: dict[str, Any] = {"expiresAt": stamp, "description": description}
    if unit == "credits":
        body["creditRateCents"] = int(rate_cents) if rate_cents == rate_cents.to_integral() else str(rate_cents)
        body["creditAmount"] = str(credits_n)
    else:
        body["amountCents"] = int(cents)
    return body


async def draw_order(web: Web, contract_id: str, grant: GrantPlan, wallet: WalletTerms) -> dict[str, int | None]:
    """Where the grant's blocks would stand in the draw-down among the wallet's active blocks, by the
    draw-down's own rule (``billing.credits.priorities``): ``{"main", "bonus", "of"}`` (1 = drawn first;
    ``bonus`` None without one; ``of`` the active blocks after the grant)."""
    blocks = [as_block(b) for b in await wallet_store.blocks(web.session, contract_id)]

    def block(key: str, cents: Decimal, promotional: bool) -> core.Block:
        units = wallet.units(cents)
        basis = Decimal(0) if promotional or not units else cents / units
        return core.Block(id=key, original=units, remaining=units, is_promotional=promotional, cost_basis=basis,
                          created_at=web.now, starts_at=web.now, expires_at=grant.expires_at)

    blocks.append(block("~main", grant.cents, grant.kind == "promotional"))
    if grant.bonus_cents is not None:
        blocks.append(block("~bonus", grant.bonus_cents, True))
    ranks = core.priorities(blocks, web.now)
    return {"main": ranks["~main"], "bonus": ranks.get("~bonus"), "of": sum(1 for r in ranks.values() if r)}


async def carry_out(web: Web, contract_id: str, grant: GrantPlan) -> dict[str, str]:
    """Make the grant (and its bonus) through the API's services; a service's refusal rolls everything
    back and comes back as form errors (``{field or "": message}``)."""
    try:
        if isinstance(grant.main, CreditPurchase):
            await purchases.purchase(web.session, web.principal, contract_id, grant.main, now=web.now)
        else:
            await credits.grant_promotional(web.session, web.principal, contract_id, grant.main, now=web.now)
        if grant.bonus is not None:
            await credits.grant_promotional(web.session, web.principal, contract_id, grant.bonus, now=web.now)
    except MonkError as exc:
        await web.discard()
        return error_of(exc)
    return {}

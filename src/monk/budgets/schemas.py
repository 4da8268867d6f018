"""Credit-budget request bodies and shapes (reference §3.6, §11)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import Field, StrictInt, model_validator

from monk.billing.bounds import MAX_AMOUNT_CENTS
from monk.credits.schemas import MAX_CREDIT_AMOUNT
from monk.credits.wallet import WalletTerms
from monk.kit.bounds import Id
from monk.kit.schemas import CamelModel, Instant, ResponseModel
from monk.models import CreditBudget

MAX_BUDGETS = 50
"""The most budgets one contract may have (a 51st is a 400)."""
MAX_TEXT = 255
"""The longest ``label``, ``eventPropertyKey`` and ``eventPropertyValue`` (characters)."""
FIXED = ("event_property_key", "event_property_value")


class BudgetCreate(CamelModel):
    """``POST /v1/contracts/{id}/budgets`` (reference §11.2): the cap matching the contract's wallet
    (``maxCredits`` for a credit wallet, ``maxCreditsCents`` for a dollar wallet) is required."""

    label: str = Field(min_length=1, max_length=MAX_TEXT)
    event_property_key: str = Field(min_length=1, max_length=MAX_TEXT)
    event_property_value: str = Field(min_length=1, max_length=MAX_TEXT)
    meter_id: Id | None = None
    max_credits: Decimal | None = Field(None, ge=0, lt=MAX_CREDIT_AMOUNT, decimal_places=12)
    max_credits_cents: StrictInt | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)


class BudgetUpdate(CamelModel):
    """``PATCH /v1/contracts/{id}/budgets/{index}`` (reference §11.3): only the fields present change;
    ``meterId``, ``maxCredits``, ``maxCreditsCents`` may be null (every meter; no cap).
    ``eventPropertyKey``/``eventPropertyValue`` cannot change (400: delete and create instead)."""

    label: str | None = Field(None, min_length=1, max_length=MAX_TEXT)
    meter_id: Id | None = None
    max_credits: Decimal | None = Field(None, ge=0, lt=MAX_CREDIT_AMOUNT, decimal_places=12)
    max_credits_cents: StrictInt | None = Field(None, ge=0, lt=MAX_AMOUNT_CENTS)
    event_property_key: Any = Field(None, json_schema_extra={"readOnly": True})
    event_property_value: Any = Field(None, json_schema_extra={"readOnly": True})

    @model_validator(mode="after")
    def _fixed(self) -> BudgetUpdate:
        for name in FIXED:
            if name in self.model_fields_set:
                raise ValueError(f"{'eventPropertyKey' if name.endswith('key') else 'eventPropertyValue'} "
                                 "cannot be changed: delete the budget and create another")
        if "label" in self.model_fields_set and self.label is None:
            raise ValueError("label cannot be null")
        return self


class Budget(ResponseModel):
    """A budget (reference §3.6): ``index`` identifies it; the cap of the wallet's mode is set
    (``maxCredits`` credits, ``maxCreditsCents`` cents), the other null; ``isExhausted``: the cap was
    reached in the current billing period."""

    index: int
    label: str
    event_property_key: str
    event_property_value: str
    meter_id: str | None
    max_credits: float | None
    max_credits_cents: int | None
    is_exhausted: bool


class BudgetUsage(Budget):
    """A budget with what it consumed in the current billing period: ``consumedCents`` (cents, rounded
    down), ``consumedUnits`` (credits for a credit wallet, dollars for a dollar wallet),
    ``percentConsumed`` (of the cap, 2 places; null without a cap or with a cap of 0)."""

    consumed_units: float
    consumed_cents: int
    percent_consumed: float | None


class Budgets(ResponseModel):
    """``GET …/budgets``: the budgets in index order, the contract and its wallet's mode."""

    budgets: list[Budget]
    contract_id: str
    wallet_mode: str


class BudgetsUsage(ResponseModel):
    """``GET …/budgets/usage``: each budget with its consumption, and when it was computed."""

    budgets: list[BudgetUsage]
    contract_id: str
    wallet_mode: str
    queried_at: Instant


class Removed(ResponseModel):
    """``DELETE …/budgets/{index}``: the budget as it was."""

    removed: Budget


def budget_out(row: CreditBudget, wallet: WalletTerms, *, exhausted: bool) -> dict[str, Any]:
    """The API shape of a stored budget (``Budget``)."""
    credits = wallet.tracks_credits
    return {
        "index": row.position, "label": row.label, "eventPropertyKey": row.event_property_key,
        "eventPropertyValue": row.event_property_value, "meterId": row.meter_id,
        "maxCredits": float(row.cap) if credits and row.cap is not None else None,
        "maxCreditsCents": int(row.cap) if not credits and row.cap is not None else None,
        "isExhausted": exhausted,
    }

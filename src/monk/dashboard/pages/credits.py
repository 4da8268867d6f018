"""Credits and budgets: per-contract wallets (blocks, priorities, ledger), granting paid and promotional credits,
budgets with consumption bars."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

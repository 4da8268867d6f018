"""Contracts: ``/contracts`` (list), ``/contracts/new`` (the create flow with its review step) and
``/contracts/{id}`` (phases, cancel, change plan, metadata, auto-pay)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

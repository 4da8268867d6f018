"""Customers: ``/customers`` (list, search) and ``/customers/{id}`` (contacts, Stripe link and payment method,
contracts, invoices, credit balance)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

"""Invoices: ``/invoices`` (list by status) and ``/invoices/{id}`` (lines, metered mark, service periods, credits,
amount due, payment link, mark paid, refund, approve, credit statement)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

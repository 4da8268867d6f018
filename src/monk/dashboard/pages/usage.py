"""Usage: ``/usage`` (+ Add usage, Unmatched and Matched tabs with reasons, filters and re-match, usage per meter
over time)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

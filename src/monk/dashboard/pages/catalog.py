"""The catalog: products and pricing (``/products``), meters with their rate cards (``/meters``) and plans
(``/plans``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)

"""The catalog: products and pricing (``/products``), meters with their rate cards (``/meters``) and plans
(``/plans``). Each part lives in its own module (``catalog_products``, ``catalog_meters``,
``catalog_plans``) whose routes are included in this module's ``router``; the helpers they share are here."""

from __future__ import annotations

from fastapi import APIRouter


def dollars_text(raw: str) -> str | None:
    """A dollars input as the API's decimal string: blank → None; a leading ``$`` and thousands commas
    are dropped (``"$1,250.50"`` → ``"1250.50"``); anything else is left for the model to refuse."""
    text = raw.strip().removeprefix("$").replace(",", "").strip()
    return text or None


def checked(value: str | None) -> bool:
    """Whether a checkbox was ticked (present in the form with a non-empty value)."""
    return bool(value)


router = APIRouter(include_in_schema=False)


def _include() -> None:
    from monk.dashboard.pages import catalog_meters, catalog_plans, catalog_products

    for module in (catalog_products, catalog_meters, catalog_plans):
        router.include_router(module.router)


_include()

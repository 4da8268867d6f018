"""The catalog: products and pricing (``/products``), meters with their rate cards (``/meters``) and plans
(``/plans``). Each part lives in its own module (``catalog_products``, ``catalog_meters``,
``catalog_plans``) whose routes are included in this module's ``router``; the helpers they share are here."""

from __future__ import annotations

import re
from collections.abc import Mapping

from fastapi import APIRouter
from pydantic import ValidationError

from monk.dashboard.web import error_of, field_errors
from monk.kit.errors import MonkError

_FIELD_PREFIX = re.compile(r"^([A-Za-z]+)[^:\s]*: (.+)$", re.DOTALL)


def form_errors(exc: ValidationError | MonkError, fields: Mapping[str, str]) -> dict[str, str]:
    """A model's or a service's errors as the form's ``{form field: message}``.

    ``fields`` maps the API's field names (aliases such as ``unitAmount``) to the form's. A service error
    without ``details`` whose message starts with a known field (``"unitAmount: required for …"``) goes
    next to that field with the rest of the message; anything else is form-wide (key ``""``)."""
    if isinstance(exc, ValidationError):
        return {fields.get(k, k): v for k, v in field_errors(exc).items()}
    errors = error_of(exc)
    if set(errors) == {""}:
        match = _FIELD_PREFIX.match(exc.message)
        if match and match.group(1) in fields:
            return {fields[match.group(1)]: match.group(2)}
    return {fields.get(k, k): v for k, v in errors.items()}


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

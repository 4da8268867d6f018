"""Shared API schema helpers: camelCase JSON models and response envelopes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """A request body: camelCase on the wire, unknown fields rejected, strict about types; numbers
    must be finite (``NaN`` and ``Infinity``, which JSON parsers accept but JSON does not define
    and PostgreSQL's ``jsonb`` refuses, are a 400 like any other bad value)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", allow_inf_nan=False)


def envelope(data: Any) -> dict[str, Any]:
    """The single-resource envelope ``{"data": …}`` (reference §1.6)."""
    return {"data": data}


def page(items: list[Any], *, total: int, offset: int) -> dict[str, Any]:
    """The list envelope ``{"data": [...], "hasMore", "total"}`` (reference §1.6)."""
    return {"data": items, "hasMore": offset + len(items) < total, "total": total}

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


def invalid_json(doc: str | bytes, pos: int, reason: str) -> str:
    """The message for a body that is not JSON: ``invalid JSON (Expecting value at line 1 column 1)``.

    ``pos`` is the character offset where parsing failed in ``doc`` and ``reason`` the parser's message.
    """
    if isinstance(doc, bytes):
        doc = doc.decode("utf-8", "replace")
    pos = max(0, min(pos, len(doc)))
    line = doc.count("\n", 0, pos) + 1
    column = pos - doc.rfind("\n", 0, pos)
    return f"invalid JSON ({reason} at line {line} column {column})"


def envelope(data: Any) -> dict[str, Any]:
    """The single-resource envelope ``{"data": …}`` (reference §1.6)."""
    return {"data": data}


def page(items: list[Any], *, total: int, offset: int) -> dict[str, Any]:
    """The list envelope ``{"data": [...], "hasMore", "total"}`` (reference §1.6)."""
    return {"data": items, "hasMore": offset + len(items) < total, "total": total}

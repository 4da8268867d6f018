"""Shared API schema helpers: camelCase JSON models and response envelopes."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")
Instant = Annotated[str, Field(json_schema_extra={"format": "date-time", "examples": ["2026-02-27T10:00:00.000Z"]})]
Day = Annotated[str, Field(json_schema_extra={"format": "date", "examples": ["2026-03-01"]})]
DecimalText = Annotated[str, Field(pattern=r"^-?\d+(\.\d+)?$", examples=["0.045"])]


class CamelModel(BaseModel):
    """A request body: camelCase on the wire, unknown fields rejected, strict about types; numbers
    must be finite (``NaN`` and ``Infinity``, which JSON parsers accept but JSON does not define
    and PostgreSQL's ``jsonb`` refuses, are a 400 like any other bad value)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", allow_inf_nan=False)


class ResponseModel(BaseModel):
    """A response shape: camelCase on the wire and exactly the fields listed, so the OpenAPI document
    is the truth. Endpoints return plain dicts that FastAPI validates against these models
    (``response_model_exclude_unset``: the dict's keys are kept, none are added or dropped); a dict
    that drifts from its model fails loudly in the tests instead of silently in the document."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Data(ResponseModel, Generic[T]):
    """The single-resource envelope ``{"data": …}`` (reference §1.6)."""

    data: T


class Listing(ResponseModel, Generic[T]):
    """The list envelope ``{"data": [...], "hasMore", "total"}``; ``total`` counts every row matching
    the filters, ``hasMore`` says whether rows follow this page (reference §1.6–1.7)."""

    data: list[T]
    has_more: bool
    total: int


class Success(ResponseModel):
    """``{"success": true}``."""

    success: bool


class ErrorBody(ResponseModel):
    """What went wrong: an UPPER_SNAKE ``code`` (``VALIDATION_ERROR``, ``UNAUTHORIZED``, ``FORBIDDEN``,
    ``NOT_FOUND``, ``CONFLICT``, ``PAYLOAD_TOO_LARGE``, ``UNPROCESSABLE_ENTITY``, ``SERVICE_UNAVAILABLE``),
    a human ``message`` and, for validation errors, ``details``: one ``{"field", "message"}`` per problem
    (``index`` too for a batch's events)."""

    message: str
    code: str
    details: Any = None


class ErrorResponse(ResponseModel):
    """Every error: ``{"error": {"message", "code"[, "details"]}}`` (reference §1.4)."""

    error: ErrorBody


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

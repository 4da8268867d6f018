"""Meter request bodies and the response shape (reference §3.4, §6)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, model_validator
from pydantic_core import PydanticCustomError

from monk.kit.clock import iso_ms
from monk.kit.schemas import CamelModel, Instant, ResponseModel
from monk.models import Meter as MeterRow

AGGREGATION_TYPES = ("COUNT", "SUM", "MAX", "MIN", "UNIQUE_COUNT")
AggregationType = Literal["COUNT", "SUM", "MAX", "MIN", "UNIQUE_COUNT"]
StatusFilter = Literal["active", "inactive", "all"]

Name = Annotated[str, Field(min_length=1, max_length=255)]
Value = Annotated[str, Field(max_length=255)]


class EventTypeFilter(CamelModel):
    """Event-name allowlist (``include``; empty = every name) and denylist (``exclude``)."""

    include: list[Name] | None = Field(None, max_length=100)
    exclude: list[Name] | None = Field(None, max_length=100)


class PropertyFilterIn(CamelModel):
    """One property condition: ``name`` plus exactly one of ``exists``, ``include`` or ``exclude``."""

    name: Name
    exists: StrictBool | None = None
    include: list[Value] | None = Field(None, min_length=1, max_length=100)
    exclude: list[Value] | None = Field(None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _exactly_one(self) -> PropertyFilterIn:
        given = [k for k in ("exists", "include", "exclude") if getattr(self, k) is not None]
        if len(given) != 1:
            raise PydanticCustomError("property_filter", "exactly one of exists, include or exclude is required")
        return self


class MeterCreate(CamelModel):
    """Body of ``POST /v1/meters``; cross-field rules (aggregation key) are checked by the service."""

    code: str = Field(min_length=1, max_length=100, pattern=r"^[A-Z0-9_]+$")
    display_name: str = Field(min_length=1, max_length=500)
    description: str | None = Field(None, max_length=5000)
    aggregation_type: AggregationType = "SUM"
    event_type_filter: EventTypeFilter | None = None
    property_filters: list[PropertyFilterIn] = Field(default_factory=list, max_length=100)
    aggregation_key: Name | None = None
    group_keys: list[Name] = Field(default_factory=list, max_length=20)
    sql: str | None = Field(None, min_length=1, max_length=20000)

    @model_validator(mode="after")
    def _unique_group_keys(self) -> MeterCreate:
        if len(set(self.group_keys)) != len(self.group_keys):
            raise PydanticCustomError("group_keys", "groupKeys must not contain duplicates")
        return self


def property_filter_dict(f: PropertyFilterIn) -> dict[str, Any]:
    """The stored (and returned) form of a property filter: ``name`` plus the one condition given."""
    out: dict[str, Any] = {"name": f.name}
    for key in ("exists", "include", "exclude"):
        value = getattr(f, key)
        if value is not None:
            out[key] = list(value) if isinstance(value, list) else value
    return out


class EventTypeFilterOut(ResponseModel):
    """Event names the meter counts (``include``; empty = every name) and ignores (``exclude``)."""

    include: list[str]
    exclude: list[str]


class PropertyFilter(ResponseModel):
    """A property condition: ``name`` and the one condition given (``exists``, ``include`` or ``exclude``)."""

    name: str
    exists: bool | None = None
    include: list[str] | None = None
    exclude: list[str] | None = None


class Meter(ResponseModel):
    """A meter (reference §3.4); ``status`` is ``active`` or ``inactive`` (archived)."""

    id: str
    code: str
    display_name: str
    description: str | None
    aggregation_type: AggregationType
    status: Literal["active", "inactive"]
    event_type_filter: EventTypeFilterOut
    property_filters: list[PropertyFilter]
    aggregation_key: str | None
    group_keys: list[str]
    sql: str | None
    created_at: Instant
    updated_at: Instant


def meter_out(m: MeterRow) -> dict[str, Any]:
    """The API shape of a meter (reference §3.4); archived meters have ``status`` ``"inactive"``."""
    return {
        "id": m.id,
        "code": m.code,
        "displayName": m.display_name,
        "description": m.description,
        "aggregationType": m.aggregation_type,
        "status": m.status,
        "eventTypeFilter": {"include": list(m.event_include or []), "exclude": list(m.event_exclude or [])},
        "propertyFilters": [{k: v for k, v in f.items() if v is not None} for f in (m.property_filters or [])],
        "aggregationKey": m.aggregation_key,
        "groupKeys": list(m.group_keys or []),
        "sql": m.sql,
        "createdAt": iso_ms(m.created_at),
        "updatedAt": iso_ms(m.updated_at),
    }

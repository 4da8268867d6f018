"""Meter rules: creation, the unique live code, archiving; conversion to the billing core. Never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.billing.matching import MeterSpec, PropertyFilter
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound, ValidationFailed
from monk.kit.ids import new_id
from monk.meters import repository
from monk.meters.schemas import MeterCreate, property_filter_dict
from monk.models import Meter
from monk.models.statuses import MeterStatus


def _duplicate(code: str) -> Conflict:
    return Conflict(f"A meter with code '{code}' already exists")


async def create(session: AsyncSession, principal: Principal, body: MeterCreate, now: datetime) -> Meter:
    """Create an active meter.

    ``aggregationKey`` is required for SUM, MAX, MIN and UNIQUE_COUNT (also when ``sql`` is given) and
    ignored (stored as null) for COUNT. Raises ``ValidationFailed`` (400) for a missing aggregation key,
    ``Conflict`` (409) when a non-archived meter of the organization and mode already has ``code``.
    """
    if body.aggregation_type != "COUNT" and not body.aggregation_key:
        raise ValidationFailed(f"aggregationKey: required for {body.aggregation_type} meters")
    if await repository.live_by_code(session, principal, body.code):
        raise _duplicate(body.code)
    etf = body.event_type_filter
    meter = Meter(
        id=new_id(), org_id=principal.org_id, mode=principal.mode, created_at=now, updated_at=now,
        code=body.code, display_name=body.display_name, description=body.description,
        aggregation_type=body.aggregation_type, status=MeterStatus.ACTIVE,
        event_include=list(etf.include or []) if etf else [],
        event_exclude=list(etf.exclude or []) if etf else [],
        property_filters=[property_filter_dict(f) for f in body.property_filters],
        aggregation_key=None if body.aggregation_type == "COUNT" else body.aggregation_key,
        group_keys=list(body.group_keys), sql=body.sql, archived_at=None,
    )
    try:
        async with session.begin_nested():  # a savepoint, so the code can be re-checked on failure
            session.add(meter)
            await session.flush()
    except IntegrityError:
        if await repository.live_by_code(session, principal, body.code):  # a concurrent create won the index
            raise _duplicate(body.code) from None
        raise
    return meter


async def get(session: AsyncSession, principal: Principal, meter_id: str) -> Meter:
    """The caller's meter ``meter_id`` (archived ones included). Raises ``NotFound`` (404)."""
    meter = await repository.get(session, principal, meter_id)
    if meter is None:
        raise NotFound(f"Meter '{meter_id}' not found")
    return meter


async def archive(session: AsyncSession, principal: Principal, meter_id: str, now: datetime) -> Meter:
    """Archive (soft-delete) a meter: ``archived_at`` = now, status ``inactive``; its code becomes reusable.

    Raises ``NotFound`` (404) for an unknown meter, ``Conflict`` (409) when it is already archived or a
    pricing on it belongs to a DRAFT or ACTIVE plan.
    """
    meter = await get(session, principal, meter_id)
    if meter.archived_at is not None:
        raise Conflict("Meter is already archived")
    use = await repository.blocking_use(session, principal, meter.id)
    if use is not None:
        pricing_code, plan_code, plan_status = use
        raise Conflict(
            f"Meter is used by pricing '{pricing_code}' in {plan_status} plan '{plan_code}'; "
            "archive the plan first"
        )
    meter.archived_at = now
    meter.status = MeterStatus.INACTIVE
    meter.updated_at = now
    await session.flush()
    return meter


def meter_spec(m: Meter) -> MeterSpec:
    """The pure billing core's view of a meter row (``monk.billing.matching.MeterSpec``).

    List columns become tuples; a COUNT meter's aggregation key is dropped. Raises ``ValueError`` (from
    ``MeterSpec``) only for rows that bypassed the API rules (unknown aggregation, missing key).
    """
    filters = tuple(
        PropertyFilter(
            name=f["name"],
            exists=f.get("exists"),
            include=tuple(f["include"]) if f.get("include") is not None else None,
            exclude=tuple(f["exclude"]) if f.get("exclude") is not None else None,
        )
        for f in (m.property_filters or [])
    )
    return MeterSpec(
        aggregation_type=m.aggregation_type,
        event_include=tuple(m.event_include or ()),
        event_exclude=tuple(m.event_exclude or ()),
        property_filters=filters,
        aggregation_key=None if m.aggregation_type == "COUNT" else m.aggregation_key,
        group_keys=tuple(m.group_keys or ()),
    )

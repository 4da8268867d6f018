"""HTTP endpoints for customers (reference §5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from monk.customers import repository, service
from monk.customers.schemas import Customer, CustomerCreate, CustomerUpdate, customer_out
from monk.kit import deps
from monk.kit.auth import Principal, require
from monk.kit.openapi import typed
from monk.kit.schemas import Data, Listing, envelope
from monk.kit.schemas import page as listing

router = APIRouter(prefix="/v1/customers", tags=["customers"])
CustomersWrite = Annotated[Principal, Depends(require("customers:write"))]
CustomersRead = Annotated[Principal, Depends(require("customers:read"))]




@router.post("", status_code=201, **typed(Data[Customer], 409, 503))
async def create_customer(
    session: deps.Session,
    body: CustomerCreate,
    settings: deps.Settings,
    principal: CustomersWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Create a customer → 201 ``{"data": Customer}``; 400 invalid body; 409 duplicate external id
    (also when another request creates it at the same moment: exactly one wins). Unmatched events
    that named its ``externalCustomerId`` (timestamp within ``MONK_REMATCH_WINDOW_DAYS``, default
    90) go back to matching. ``paymentProviderId``/``paymentMethodId`` are checked against the
    organization's Stripe account: 400 naming the one Stripe does not know (or without a Stripe
    connection), 503 when Stripe cannot be reached."""
    customer = await service.create(session, principal, body, clock.now(),
                                    rematch_window=timedelta(days=settings.rematch_window_days),
                                    server_key=settings.secret_key)
    return envelope(customer_out(customer))


@router.get("", **typed(Listing[Customer]))
async def list_customers(
    session: deps.Session,
    page: deps.Page,
    principal: CustomersRead,
    external_customer_id: str | None = Query(None, alias="externalCustomerId"),
) -> dict[str, Any]:
    """List customers, oldest first → ``{"data": [...], "hasMore", "total"}`` (limit default 10, max 100)."""
    rows, total = await repository.list_page(session, principal, page, external_id=external_customer_id)
    return listing([customer_out(c) for c in rows], total=total, offset=page.offset)


@router.get("/{customer_id}", **typed(Data[Customer], 404))
async def get_customer(
    session: deps.Session,
    customer_id: str,
    principal: CustomersRead,
) -> dict[str, Any]:
    """Get one customer → ``{"data": Customer}``; 404 when unknown in this organization and mode."""
    return envelope(customer_out(await service.get(session, principal, customer_id)))


@router.patch("/{customer_id}", **typed(Data[Customer], 404, 409, 503))
async def update_customer(
    session: deps.Session,
    customer_id: str,
    body: CustomerUpdate,
    settings: deps.Settings,
    principal: CustomersWrite,
    clock: deps.Clock,
) -> dict[str, Any]:
    """Partially update a customer → ``{"data": Customer}``; 400 empty body; 404; 409 duplicate external id
    (also one taken at the same moment). A new ``externalCustomerId`` sends unmatched events naming
    it (timestamp within ``MONK_REMATCH_WINDOW_DAYS``) back to matching. Stripe fields are checked as
    on create (400/503); the method's brand and last 4 digits are read from Stripe."""
    customer = await service.update(session, principal, customer_id, body, clock.now(),
                                    rematch_window=timedelta(days=settings.rematch_window_days),
                                    server_key=settings.secret_key)
    return envelope(customer_out(customer))

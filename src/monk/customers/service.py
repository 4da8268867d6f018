"""Customer rules: creation, partial update, the unique external id. Never commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from monk.customers import repository, stripe_links
from monk.customers.schemas import CustomerCreate, CustomerUpdate, customer_out
from monk.events import service as events
from monk.kit.auth import Principal
from monk.kit.errors import Conflict, NotFound
from monk.kit.ids import new_id
from monk.models import Customer
from monk.webhooks import outbox
from monk.webhooks.catalogue import CUSTOMER_CREATED, CUSTOMER_UPDATED


def _taken(external_id: str) -> Conflict:
    return Conflict(f"A customer with externalCustomerId '{external_id}' already exists")


async def _write_unique(session: AsyncSession, principal: Principal, customer: Customer,
                        changes: dict[str, Any]) -> None:
    """Add ``customer`` with ``changes`` applied and flush, in a savepoint: a concurrent transaction
    that committed the same external id first (``uq_customers_external_id``) makes this one a
    ``Conflict`` (409), not a 500."""
    external_id = changes.get("external_customer_id", customer.external_customer_id)
    try:
        async with session.begin_nested():
            for name, value in changes.items():
                setattr(customer, name, value)
            session.add(customer)
            await session.flush()
    except IntegrityError:  # the savepoint's rollback expired ``customer``: read nothing off it here
        if external_id and await repository.by_external_id(session, principal, external_id):
            raise _taken(external_id) from None
        raise


async def _announce(session: AsyncSession, customer: Customer, event_type: str, now: datetime) -> None:
    """Write the ``customer.*`` webhook ``event_type`` with the customer as the API returns it."""
    await outbox.emit(session, org_id=customer.org_id, mode=customer.mode, event_type=event_type,
                      resource_id=customer.id, payload=customer_out(customer), now=now)


async def create(session: AsyncSession, principal: Principal, body: CustomerCreate, now: datetime, *,
                 rematch_window: timedelta, server_key: str) -> Customer:
    """Create a customer. Raises ``Conflict`` (409) when ``externalCustomerId`` is already used, also
    by a request running at the same moment (exactly one of them wins).

    Events that named the customer before it existed (unmatched, ``CUSTOMER_NOT_FOUND``) with a
    timestamp at most ``rematch_window`` old are sent back to matching (``events.requeue_customer``);
    without a contract yet they become ``NO_CONTRACT_COVERS_TIMESTAMP``, and creating a contract
    that covers them bills them.

    The Stripe fields are checked against the organization's Stripe account (``stripe_links.checked``:
    400 when Stripe does not know them or without a connection, 503 when Stripe cannot be reached)."""
    if body.external_customer_id and await repository.by_external_id(session, principal, body.external_customer_id):
        raise _taken(body.external_customer_id)
    payment = await stripe_links.checked(
        session, principal.org_id, principal.mode,
        {name: getattr(body, name) for name in stripe_links.FIELDS if getattr(body, name) is not None},
        current_provider_id=None, server_key=server_key)
    customer = Customer(
        id=new_id(), org_id=principal.org_id, mode=principal.mode, created_at=now, updated_at=now,
        name=body.name, legal_name=body.legal_name, external_customer_id=body.external_customer_id,
        external_company_ids=[], tags=body.tags,
        contacts=[c.model_dump(by_alias=True, mode="json") for c in body.contacts],
        billing_address=body.billing_address.model_dump(by_alias=True) if body.billing_address else None,
        is_paused=False, **payment,
    )
    await _write_unique(session, principal, customer, {})
    if customer.external_customer_id:
        await events.requeue_customer(session, customer, start=now - rematch_window, end=None)
    await _announce(session, customer, CUSTOMER_CREATED, now)
    return customer


async def get(session: AsyncSession, principal: Principal, customer_id: str) -> Customer:
    """The caller's customer ``customer_id``. Raises ``NotFound`` (404)."""
    customer = await repository.get(session, principal, customer_id)
    if customer is None:
        raise NotFound(f"Customer '{customer_id}' not found")
    return customer


async def update(
    session: AsyncSession, principal: Principal, customer_id: str, body: CustomerUpdate, now: datetime, *,
    rematch_window: timedelta, server_key: str,
) -> Customer:
    """Apply the fields present in ``body``. Raises ``NotFound`` (404) or ``Conflict`` (409) when the
    new ``externalCustomerId`` is another customer's, also one taken by a concurrent request.

    A new ``externalCustomerId`` sends the unmatched events naming it, with a timestamp at most
    ``rematch_window`` old, back to matching (``events.requeue_customer``). Events matched under the
    old external id stay matched. Stripe fields are checked as on create (400/503)."""
    customer = await get(session, principal, customer_id)
    fields = body.model_fields_set
    if "external_customer_id" in fields and body.external_customer_id != customer.external_customer_id:
        wanted = body.external_customer_id
        other = wanted and await repository.by_external_id(session, principal, wanted)
        if other:
            raise _taken(other.external_customer_id or "")
    changes: dict[str, Any] = {name: getattr(body, name) for name in (
        "name", "legal_name", "tags", "external_customer_id") if name in fields}
    changes |= await stripe_links.checked(
        session, principal.org_id, principal.mode,
        {name: getattr(body, name) for name in stripe_links.FIELDS if name in fields},
        current_provider_id=customer.payment_provider_id, server_key=server_key)
    renamed = "external_customer_id" in changes and changes["external_customer_id"] != customer.external_customer_id
    await _write_unique(session, principal, customer, {**changes, "updated_at": now})
    if renamed and customer.external_customer_id:
        await events.requeue_customer(session, customer, start=now - rematch_window, end=None)
    await _announce(session, customer, CUSTOMER_UPDATED, now)
    return customer

"""``customers.service`` on a real database: unique external ids (also between two transactions
at once, on PostgreSQL), scoped reads, and early events sent back to matching on creation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from monk.customers import service
from monk.customers.schemas import CustomerCreate, CustomerUpdate
from monk.kit.auth import Principal
from monk.kit.db import session_factory
from monk.kit.errors import Conflict, NotFound
from monk.models import Event
from tests import storage as build
from tests.waiting import until_blocked_on_lock

NOW = build.T0
WINDOW = timedelta(days=30)


def body(name: str = "Acme", external_id: str | None = "acme") -> CustomerCreate:
    return CustomerCreate.model_validate({"name": name, "externalCustomerId": external_id,
                                          "contacts": [{"email": "billing@acme.com", "roles": ["billing"]}]})


async def test_create_then_get(session: AsyncSession, who: Principal, stranger: Principal) -> None:
    c = await service.create(session, who, body(), NOW, rematch_window=WINDOW, server_key="")
    assert (c.org_id, c.mode, c.name, c.external_customer_id, c.created_at) == (who.org_id, "live", "Acme", "acme", NOW)
    assert c.contacts == [{"name": None, "email": "billing@acme.com", "roles": ["billing"],
                           "emailRecipientType": "to"}]
    assert (await service.get(session, who, c.id)).id == c.id
    with pytest.raises(NotFound):
        await service.get(session, stranger, c.id)


async def test_an_external_id_is_unique_per_organization(session: AsyncSession, who: Principal,
                                                         stranger: Principal) -> None:
    first = await service.create(session, who, body(), NOW, rematch_window=WINDOW, server_key="")
    with pytest.raises(Conflict):
        await service.create(session, who, body("Again"), NOW, rematch_window=WINDOW, server_key="")
    await service.create(session, stranger, body(), NOW, rematch_window=WINDOW, server_key="")  # another organization
    other = await service.create(session, who, body("Other", "other"), NOW, rematch_window=WINDOW, server_key="")
    with pytest.raises(Conflict):
        await service.update(session, who, other.id, CustomerUpdate.model_validate({"externalCustomerId": "acme"}),
                             NOW, rematch_window=WINDOW, server_key="")
    renamed = await service.update(session, who, first.id, CustomerUpdate.model_validate({"name": "Acme Inc"}),
                                   NOW + timedelta(hours=1), rematch_window=WINDOW, server_key="")
    assert (renamed.name, renamed.external_customer_id, renamed.updated_at) == (
        "Acme Inc", "acme", NOW + timedelta(hours=1))


async def test_creation_sends_recent_unmatched_events_back_to_matching(session: AsyncSession, who: Principal) -> None:
    lost = {"status": "unmatched", "reason": "CUSTOMER_NOT_FOUND", "external_id": "acme"}
    await build.event(session, who, "recent", timestamp=NOW - timedelta(days=2), **lost)
    await build.event(session, who, "too-old", timestamp=NOW - timedelta(days=31), **lost)
    await build.event(session, who, "someone-else", timestamp=NOW, **{**lost, "external_id": "globex"})
    await service.create(session, who, body(), NOW, rematch_window=WINDOW, server_key="")
    session.expunge_all()
    rows = (await session.execute(select(Event.idempotency_key, Event.status))).all()
    assert dict(rows) == {"recent": "pending", "too-old": "unmatched", "someone-else": "unmatched"}


async def test_two_transactions_creating_one_external_id_exactly_one_wins(
        engine: AsyncEngine, database_url: str, who: Principal, session: AsyncSession) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one write transaction at a time: the second sees the first's customer")
    await session.commit()  # the organization
    sessions = session_factory(engine)
    async with sessions() as first, sessions() as second:
        await service.create(first, who, body("First"), NOW, rematch_window=WINDOW,
                             server_key="")  # flushed, not committed
        racing = asyncio.create_task(service.create(second, who, body("Second"), NOW, rematch_window=WINDOW,
                                                    server_key=""))
        await until_blocked_on_lock(database_url)  # on the unique index entry the first holds
        await first.commit()
        with pytest.raises(Conflict):
            await racing

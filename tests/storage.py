"""Shared fixtures and builders for the repository and service tests (``tests/<domain>/``): a
session on a real migrated database (SQLite always, PostgreSQL when ``MONK_TEST_DATABASE_URL`` is
set: the ``database_url`` fixture of ``tests/conftest.py``), principals of fresh organizations,
and builders that store one row each with the fields a test names and plain defaults for the rest.

Registered as a plugin by ``tests/conftest.py`` (``pytest_plugins``), so every test sees the
``session``, ``engine``, ``who`` and ``stranger`` fixtures. Builders add through the ORM and flush;
they never commit (the test's session is rolled back and the database is fresh per test).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from monk.kit.auth import Principal
from monk.kit.db import create_engine, session_factory
from monk.kit.ids import new_id
from monk.models import (
    Contract,
    ContractPhase,
    Customer,
    Event,
    Invoice,
    InvoiceLine,
    Meter,
    Organization,
    Plan,
    PlanPricing,
    Pricing,
    Product,
    RateCard,
)

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
_tick = count(1)


def later() -> datetime:
    """A creation instant after every one handed out before in this run (T0 + n seconds): rows
    built one after another sort oldest first by ``created_at``."""
    return T0 + timedelta(seconds=next(_tick))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's migrated database (disposed at the end)."""
    eng = create_engine(database_url, pool_size=4)
    yield eng
    await eng.dispose()


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session as the app's (``kit.db.session_factory``); rolled back at the end."""
    async with session_factory(engine)() as s:
        yield s
        await s.rollback()


async def principal(session: AsyncSession, *, mode: str = "live", org_id: str | None = None,
                    name: str | None = None) -> Principal:
    """A principal with every scope, of a new organization (or of ``org_id``) in ``mode``."""
    if org_id is None:
        org = Organization(id=new_id(), name=name or f"org-{new_id()}", created_at=later())
        session.add(org)
        await session.flush()
        org_id = org.id
    return Principal(org_id=org_id, mode=mode, key_id=new_id(), scopes=frozenset({"*"}))


@pytest.fixture
async def who(session: AsyncSession) -> Principal:
    """The caller: a live principal of a fresh organization."""
    return await principal(session, name="acme")


@pytest.fixture
async def stranger(session: AsyncSession) -> Principal:
    """Another organization's live principal: whatever ``who`` owns must be invisible to it."""
    return await principal(session, name="globex")


def _tenant(who: Principal) -> dict[str, Any]:
    at = later()
    return {"id": new_id(), "org_id": who.org_id, "mode": who.mode, "created_at": at, "updated_at": at}


async def _store(session: AsyncSession, row: Any) -> Any:
    session.add(row)
    await session.flush()
    return row


async def customer(session: AsyncSession, who: Principal, name: str = "Customer", *,
                   external_id: str | None = None) -> Customer:
    """A customer of ``who``."""
    return await _store(session, Customer(**_tenant(who), name=name, external_customer_id=external_id))


async def meter(session: AsyncSession, who: Principal, code: str = "CALLS", *, aggregation: str = "COUNT",
                key: str | None = None, group_keys: list[str] | None = None, archived: bool = False) -> Meter:
    """A meter of ``who`` counting ``code.lower()`` events (archived when ``archived``)."""
    return await _store(session, Meter(
        **_tenant(who), code=code, display_name=code.title(), aggregation_type=aggregation,
        event_include=[code.lower()], aggregation_key=key, group_keys=group_keys or [],
        status="inactive" if archived else "active", archived_at=later() if archived else None))


async def product(session: AsyncSession, who: Principal, name: str = "Product") -> Product:
    """A product of ``who``."""
    return await _store(session, Product(**_tenant(who), name=name))


async def pricing(session: AsyncSession, who: Principal, code: str, *, of: Product | None = None,
                  meter_id: str | None = None, unit: str = "1") -> Pricing:
    """A pricing of ``who``: USAGE at ``unit`` dollars on ``meter_id``, else a FLAT monthly fee of
    ``unit`` dollars; in product ``of`` (a new one named after the code when None)."""
    prod = of or await product(session, who, f"{code} product")
    usage = meter_id is not None
    return await _store(session, Pricing(
        **_tenant(who), product_id=prod.id, name=code, code=code, model="USAGE" if usage else "FLAT",
        billing_mode="ARREARS" if usage else "ADVANCE", unit_amount=Decimal(unit),
        price_interval=None if usage else "MONTH",
        meter_id=meter_id))


async def plan(session: AsyncSession, who: Principal, code: str, pricings: Sequence[Pricing] = (), *,
               status: str = "ACTIVE") -> Plan:
    """A monthly plan of ``who`` bundling ``pricings`` at positions 0, 1, …"""
    p = await _store(session, Plan(**_tenant(who), name=code.title(), plan_code=code, billing_frequency="MONTHLY",
                                   status=status))
    for i, pr in enumerate(pricings):
        session.add(PlanPricing(plan_id=p.id, pricing_id=pr.id, position=i))
    await session.flush()
    return p


async def contract(session: AsyncSession, who: Principal, of: Customer, on: Plan, start: date = date(2026, 1, 1), *,
                   end: date | None = None, active: bool = True) -> Contract:
    """A monthly contract of customer ``of`` on plan ``on`` from ``start`` (rolling when ``end`` is
    None), with its phase 0 (same id as the contract)."""
    c = await _store(session, Contract(
        **_tenant(who), customer_id=of.id, plan_id=on.id, name=f"{of.name} on {on.plan_code}", start_date=start,
        end_date=end, billing_cycle_anchor=start, billing_frequency="MONTHLY", is_active=active))
    await phase(session, c, on, datetime(start.year, start.month, start.day, tzinfo=UTC), phase_id=c.id)
    return c


async def phase(session: AsyncSession, of: Contract, on: Plan, starts_at: datetime, *,
                phase_id: str | None = None) -> ContractPhase:
    """A phase of contract ``of`` billing plan ``on`` from ``starts_at``."""
    return await _store(session, ContractPhase(id=phase_id or new_id(), contract_id=of.id, plan_id=on.id,
                                               starts_at=starts_at, created_at=later()))


async def invoice(session: AsyncSession, who: Principal, of: Contract, slot: int | None, on: date, *,
                  status: str = "Drafted", usage: bool = True, kind: str = "regular",
                  reopened: bool = False, total_cents: int = 0) -> Invoice:
    """An invoice of contract ``of`` dated ``on`` in calendar ``slot``, billing the fees of the month
    starting ``on`` and (``usage``) the usage of the month before it."""
    prev = date(on.year - (on.month == 1), 12 if on.month == 1 else on.month - 1, 1)
    nxt = date(on.year + (on.month == 12), 1 if on.month == 12 else on.month + 1, 1)
    return await _store(session, Invoice(
        **_tenant(who), contract_id=of.id, customer_id=of.customer_id, slot=slot, kind=kind, status=status,
        invoice_date=on, due_date=on, fee_start=on, fee_end=nxt, usage_start=prev if usage else None,
        usage_end=on if usage else None, reopened=reopened, total_cents=total_cents, subtotal_cents=total_cents))


def line_row(invoice_id: str, position: int, *, identity: str = "", cents: int = 100, kind: str = "fee",
             service_start: date | None = None) -> dict[str, Any]:
    """An ``invoice_lines`` row (as ``invoices.repository.replace_lines`` takes them)."""
    amount = Decimal(cents) / 100
    return {"id": new_id(), "invoice_id": invoice_id, "kind": kind, "identity": identity, "pricing_id": None,
            "meter_id": None, "position": position, "name": f"line {position}", "description": None,
            "quantity": Decimal(1), "unit_price": amount, "amount": amount, "amount_cents": cents,
            "is_metered": kind == "usage", "service_start": service_start, "service_end": None, "dimensions": None}


async def line(session: AsyncSession, inv: Invoice, position: int, **fields: Any) -> InvoiceLine:
    """A stored line of ``inv`` (``line_row``'s fields)."""
    return await _store(session, InvoiceLine(**line_row(inv.id, position, **fields)))


async def rate_card(session: AsyncSession, who: Principal, on: Meter, *, fallback: str | None = None) -> RateCard:
    """The rate card of meter ``on`` with one entry (``{"model": "a"}`` at 2.00)."""
    return await _store(session, RateCard(**_tenant(who), meter_id=on.id,
                                          fallback_rate=Decimal(fallback) if fallback else None,
                                          entries=[{"dimensions": {"model": "a"}, "unitAmount": "2.00"}]))


def event_row(who: Principal, key: str, *, name: str = "call", customer_id: str | None = None,
              external_id: str | None = None, timestamp: datetime = T0, status: str = "pending",
              reason: str | None = None, received_at: datetime = T0, **properties: Any) -> dict[str, Any]:
    """An ``events`` row as ingestion writes it (``events.repository.upsert_events`` takes them)."""
    return {"id": new_id(), "org_id": who.org_id, "mode": who.mode, "idempotency_key": key, "event_name": name,
            "customer_id": customer_id, "external_customer_id": external_id, "contract_id": None,
            "timestamp": timestamp, "properties": properties, "received_at": received_at, "status": status,
            "unmatched_reason": reason}


async def event(session: AsyncSession, who: Principal, key: str, **fields: Any) -> Event:
    """A stored event (``event_row``'s fields)."""
    return await _store(session, Event(**event_row(who, key, **fields)))

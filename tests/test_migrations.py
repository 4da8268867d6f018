"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from monk.app import create_app
from monk.kit.clock import FrozenClock
from monk.kit.db import create_engine
from monk.kit.migrate import alembic_config, current_revision, head_revision
from monk.models import Base, UsageDay, UsageRecord
from monk.settings import Settings
from tests.conftest import SECRET_KEY, Api
from tests.e2e import scenario as s


def _diff(conn: AsyncConnection) -> list:
    return compare_metadata(MigrationContext.configure(conn), Base.metadata)


# SQLite cannot reflect expression indexes, so autogenerate skips ``ix_events_pending_customer``
# there (tests/events/test_claim_plan.py shows the claim using it on both databases).
@pytest.mark.filterwarnings("ignore:.*expression-based index")
async def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        assert await current_revision(engine) == head_revision()
        async with engine.connect() as conn:
            diff = await conn.run_sync(_diff)
        assert diff == []
    finally:
        await engine.dispose()


CENTS_COLUMNS = [("invoices", "total_cents"), ("invoice_lines", "amount_cents"),
                 ("contracts", "credit_grant_cents"), ("plans", "credit_grant_cents")]


async def _cents_types(engine: AsyncEngine) -> dict[tuple[str, str], str]:
    def read(conn: Connection) -> dict[tuple[str, str], str]:
        inspector = inspect(conn)
        return {(t, c): str(next(col["type"] for col in inspector.get_columns(t) if col["name"] == c))
                for t, c in CENTS_COLUMNS}
    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def _invoice_rows(engine: AsyncEngine) -> list[tuple]:
    async with engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(
            "SELECT i.id, i.total_cents, l.amount_cents, l.amount FROM invoices i "
            "JOIN invoice_lines l ON l.invoice_id = i.id ORDER BY i.invoice_date, l.position"))).all()]


async def test_an_existing_database_upgrades_to_64_bit_cents(database_url: str, clock: FrozenClock) -> None:
    """A database at 0005 with invoices in it is upgraded: its amounts are kept, and an amount over
    32 bits ($50,000,000.00) is then stored and read back exactly."""
    config = alembic_config(database_url)
    application = create_app(Settings(database_url=database_url), clock=clock, run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://monk.test") as c:
        api = Api(c, "")
        api.key = await api.new_key(["*"])
        fee = await s.flat_price(api, "Fee", "1234.56")
        await s.contract(api, (await s.customer(api, "Old", "old"))["id"],
                         (await s.plan(api, "old", [fee["id"]], creditGrantCents=2_000_000_000))["id"], "2026-01-01",
                         "2026-03-01", creditGrantCents=2_147_483_647 - 123456)
    before = await _invoice_rows(application.state.engine)
    # The first invoice bills the fee and the prepaid credits: the largest 32-bit total.
    assert [r[1:3] for r in before] == [(2_147_483_647, 123456), (2_147_483_647, 2_147_483_647 - 123456),
                                        (123456, 123456)]
    await application.state.engine.dispose()

    engine = create_engine(database_url)
    try:
        await asyncio.to_thread(command.downgrade, config, "0005")
        assert set((await _cents_types(engine)).values()) == {"INTEGER"}
        await asyncio.to_thread(command.upgrade, config, "head")
        assert set((await _cents_types(engine)).values()) == {"BIGINT"}
        assert await _invoice_rows(engine) == before
        async with engine.begin() as conn:
            await conn.execute(text("UPDATE invoice_lines SET amount_cents = 5000000000"))
            await conn.execute(text("UPDATE invoices SET total_cents = 5000000000"))
            await conn.execute(text("UPDATE contracts SET credit_grant_cents = 5000000000"))
            await conn.execute(text("UPDATE plans SET credit_grant_cents = 5000000000"))
        assert {r[1:3] for r in await _invoice_rows(engine)} == {(5_000_000_000, 5_000_000_000)}
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")  # leave the shared test database at head
        await engine.dispose()


async def test_existing_contracts_take_their_plans_auto_pay(database_url: str, clock: FrozenClock) -> None:
    """A database at 0016 upgraded to 0018: plans are ``invoice_and_collect``, each contract's auto-pay is
    its current plan's, and no contract has a payment method of its own."""
    config = alembic_config(database_url)
    application = create_app(Settings(database_url=database_url, secret_key=SECRET_KEY), clock=clock,
                             run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://monk.test") as c:
        api = Api(c, "")
        api.key = await api.new_key(["*"])
        assert (await api.put("/v1/payments/stripe", {"secretKey": "sk_live_migrations",
                                                      "webhookSecret": "whsec_migrations"})).status_code == 200
        fee = await s.flat_price(api, "Fee", "10")
        who = (await s.customer(api, "Old", "old"))["id"]
        keen = await s.plan(api, "keen", [fee["id"]], autoPay=True)
        plain = await s.plan(api, "plain", [fee["id"]])
        on_keen = await s.contract(api, who, keen["id"], "2026-01-01", autoPay=False)
        on_plain = await s.contract(api, who, plain["id"], "2026-01-01", autoPay=True)
    await application.state.engine.dispose()

    engine = create_engine(database_url)
    try:
        await asyncio.to_thread(command.downgrade, config, "0016")
        await asyncio.to_thread(command.upgrade, config, "0018")
        async with engine.connect() as conn:
            plans = dict((await conn.execute(text("SELECT plan_code, collection_method FROM plans"))).all())
            contracts = {r[0]: tuple(r[1:]) for r in (await conn.execute(text(
                "SELECT id, auto_pay, payment_method_id, payment_method_type, payment_method_brand, "
                "payment_method_last4 FROM contracts"))).all()}
        assert plans == {"keen": "invoice_and_collect", "plain": "invoice_and_collect"}
        assert contracts == {on_keen["id"]: (True, None, None, None, None),
                             on_plain["id"]: (False, None, None, None, None)}
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")  # leave the shared test database at head
        await engine.dispose()


async def _usage_days(engine: AsyncEngine) -> tuple[list[tuple], list[tuple]]:
    async with engine.connect() as conn:
        records = [tuple(r) for r in (await conn.execute(select(
            UsageRecord.event_id, UsageRecord.meter_id, UsageRecord.day).order_by(
            UsageRecord.event_id, UsageRecord.meter_id))).all()]
        d = UsageDay
        days = [tuple(r) for r in (await conn.execute(select(
            d.meter_id, d.day, d.count, d.sum, d.min, d.max, d.distinct_values).order_by(d.meter_id, d.day))).all()]
    return records, days


async def test_existing_usage_is_rolled_up_per_meter_and_day(database_url: str, clock: FrozenClock) -> None:
    """A database at 0021 with matched usage upgraded to 0022: each usage record takes its event's UTC
    day, and the day rows are built from them exactly as the worker keeps them (sums, extremes,
    distinct values)."""
    from monk.worker.runner import Worker

    config = alembic_config(database_url)
    application = create_app(Settings(database_url=database_url), clock=clock, run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://monk.test") as c:
        api = Api(c, "")
        api.key = await api.new_key(["*"])
        tokens = await s.meter(api, "TOKENS", "llm", "SUM", "tokens")
        users = await s.meter(api, "USERS", "login", "UNIQUE_COUNT", "user")
        prices = [await s.usage_price(api, "Tokens", tokens["id"], "0.001"),
                  await s.usage_price(api, "Users", users["id"], "2")]
        who = (await s.customer(api, "Old", "old"))["id"]
        await s.contract(api, who, (await s.plan(api, "old", [p["id"] for p in prices]))["id"], "2026-01-01")
        await s.send(api, [
            {"eventName": "llm", "externalCustomerId": "old", "idempotencyKey": f"t{i}", "timestamp": at,
             "properties": {"tokens": n}} for i, (at, n) in enumerate(
                [("2026-01-03T00:00:00Z", "0.1"), ("2026-01-03T23:59:59Z", "0.2"), ("2026-01-04T00:00:00Z", 7)])
        ] + [
            {"eventName": "login", "externalCustomerId": "old", "idempotencyKey": f"u{i}",
             "timestamp": "2026-01-05T10:00:00Z", "properties": {"user": u}} for i, u in enumerate("aba")])
        state = application.state
        await Worker(state.sessions, clock=state.clock, settings=state.settings).drain()
    before = await _usage_days(application.state.engine)
    await application.state.engine.dispose()
    assert [r[1:] for r in before[1]] == [  # what the worker kept (meters by id: TOKENS was created first)
        (date(2026, 1, 3), 2, Decimal("0.3"), Decimal("0.1"), Decimal("0.2"), 0),
        (date(2026, 1, 4), 1, Decimal(7), Decimal(7), Decimal(7), 0),
        (date(2026, 1, 5), 3, None, None, None, 2)]

    engine = create_engine(database_url)
    try:
        await asyncio.to_thread(command.downgrade, config, "0021")
        await asyncio.to_thread(command.upgrade, config, "0022")
        assert await _usage_days(engine) == before
    finally:
        await asyncio.to_thread(command.upgrade, config, "head")  # leave the shared test database at head
        await engine.dispose()

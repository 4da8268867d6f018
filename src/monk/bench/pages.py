"""The dashboard's page benchmark (issue 15): seed an organization with ``customers`` customers (one
contract each), ``invoices`` invoices and ``events`` usage events, then time every dashboard page.

Seeding: one customer, its contract (with its phase) and one usage event are made through the real API
(every rule applied), one invoice through the real worker; the benchmark then copies those rows in bulk
with new ids (customers ``BENCH-000001``…, invoices ``INV-B0000001``…, events across the last 90 days,
5% of them unmatched), so every page reads rows the application itself wrote. Pages are timed in
process through the ASGI app (the server's own time: routing, queries, rendering; no network), each
``samples`` times after one warm-up request, signed in as an admin.

PostgreSQL when a URL is given (the database is dropped and created again), else a temporary SQLite file.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Table, insert, select, text

from monk.bench.runner import BenchFailed, Database
from monk.models.base import Base

CHUNK = 5_000
PASSWORD = "bench password 1"
START = date(2026, 1, 1)


@dataclass(frozen=True)
class Seeded:
    """What the pages are timed on: ids of one customer, contract and invoice among the copies."""

    customer_id: str
    contract_id: str
    invoice_id: str
    meter_id: str
    plan_id: str
    pricing_id: str


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _new_id() -> str:
    return str(uuid.uuid4())


async def _rows(conn: Any, table: Table, **where: str) -> list[dict[str, Any]]:
    stmt = select(table).where(*(table.c[k] == v for k, v in where.items()))
    return [dict(r._mapping) for r in (await conn.execute(stmt)).all()]


async def _insert(conn: Any, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    """Insert ``rows`` in chunks → how many."""
    count, chunk = 0, []
    for row in rows:
        chunk.append(row)
        if len(chunk) == CHUNK:
            await conn.execute(insert(table), chunk)
            count, chunk = count + len(chunk), []
    if chunk:
        await conn.execute(insert(table), chunk)
        count += len(chunk)
    return count


async def _setup(client: httpx.AsyncClient, key: str) -> dict[str, str]:
    """The catalog (meter, two prices, a plan) and one customer with a contract, through the API."""
    h = {"Authorization": f"Bearer {key}"}

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await client.post(path, json=body, headers=h)
        if r.status_code != 201:
            raise BenchFailed(f"setup {path}: {r.status_code} {r.text[:300]}")
        data: dict[str, Any] = r.json()["data"]
        return data

    meter = await post("/v1/meters", {"code": "SMS", "displayName": "SMS", "aggregationType": "COUNT",
                                      "eventTypeFilter": {"include": ["sms_sent"]}})
    usage = await post("/v1/pricing", {"productName": "SMS", "name": "SMS", "model": "USAGE",
                                       "billingMode": "RECURRING", "priceInterval": "MONTH", "unitAmount": "0.045",
                                       "meterId": meter["id"]})
    flat = await post("/v1/pricing", {"productName": "Platform", "name": "Platform fee", "model": "FLAT",
                                      "billingMode": "RECURRING", "priceInterval": "MONTH", "unitAmount": "350"})
    plan = await post("/v1/plans", {"name": "SMS Pro", "planCode": "sms-pro", "billingFrequency": "MONTHLY",
                                    "pricingIds": [usage["id"], flat["id"]]})
    cust = await post("/v1/customers", {"name": "Template", "externalCustomerId": "BENCH-TEMPLATE",
                                        "contacts": [{"email": "billing@template.example",
                                                      "roles": ["accounts_payable"]}]})
    contract = await post("/v1/contracts", {"customerId": cust["id"], "planId": plan["id"],
                                            "startDate": START.isoformat()})
    r = await client.post("/v1/events", headers=h, json={"eventName": "sms_sent", "idempotencyKey": "template",
                                                        "customerId": cust["id"],
                                                        "timestamp": f"{START.isoformat()}T12:00:00Z"})
    if r.status_code >= 300:
        raise BenchFailed(f"setup event: {r.status_code} {r.text[:300]}")
    return {"customer": cust["id"], "contract": contract["id"], "meter": meter["id"], "plan": plan["id"],
            "pricing": usage["id"]}


def _copies(template: dict[str, Any], n: int, change: Callable[[int, dict[str, Any]], dict[str, Any]]
            ) -> Iterator[dict[str, Any]]:
    for i in range(n):
        row = dict(template)
        row.update(change(i, row))
        yield row


async def seed(app: Any, *, customers: int, invoices: int, events: int, echo: Callable[[str], None]) -> Seeded:
    """Seed the app's database (see the module's docstring) → the ids pages are timed on."""
    from monk.keys.service import create_key, default_organization
    from monk.users.service import create_user

    state = app.state
    now = datetime.now(UTC)
    async with state.sessions() as s:
        org, _ = await default_organization(s, name=None, now=now)
        key = await create_key(s, org_id=org.id, mode="live", scopes=["*"], now=now)
        await create_user(s, email="bench@example.com", org_id=org.id, role="admin", password=PASSWORD, now=now)
        await s.commit()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        ids = await _setup(client, key)
    from monk.worker.runner import Worker

    # the worker matches the event and builds the contract's draft invoice
    await Worker(state.sessions, clock=state.clock, settings=state.settings).drain()
    t0 = time.perf_counter()
    async with state.engine.begin() as conn:
        customer = (await _rows(conn, _table("customers"), id=ids["customer"]))[0]
        contract = (await _rows(conn, _table("contracts"), id=ids["contract"]))[0]
        phases = await _rows(conn, _table("contract_phases"), contract_id=ids["contract"])
        invoice_rows = await _rows(conn, _table("invoices"), contract_id=ids["contract"])
        event = (await _rows(conn, _table("events"), idempotency_key="template"))[0]
        records = await _rows(conn, _table("usage_records"), event_id=event["id"])
        if not invoice_rows:
            raise BenchFailed("the worker made no invoice for the template contract")
        invoice = invoice_rows[0]
        lines = await _rows(conn, _table("invoice_lines"), invoice_id=invoice["id"])
        cust_ids = [_new_id() for _ in range(customers)]
        contract_ids = [_new_id() for _ in range(customers)]
        await _insert(conn, _table("customers"), _copies(customer, customers, lambda i, _: {
            "id": cust_ids[i], "name": f"Customer {i:06d}", "external_customer_id": f"BENCH-{i:06d}"}))
        await _insert(conn, _table("contracts"), _copies(contract, customers, lambda i, _: {
            "id": contract_ids[i], "customer_id": cust_ids[i]}))
        for phase in phases:
            await _insert(conn, _table("contract_phases"), _copies(phase, customers, lambda i, _: {
                "id": _new_id(), "contract_id": contract_ids[i]}))
        echo(f"seeded {customers:,} customers and contracts in {time.perf_counter() - t0:.1f} s")
        statuses = ["Paid", "Paid", "Paid", "Sent", "Sent", "In Transit", "Cancelled", "Refunded", "Paid", "Sent"]
        per = max(1, invoices // max(1, customers))
        invoice_ids = [_new_id() for _ in range(invoices)]

        def invoice_copy(i: int, row: dict[str, Any]) -> dict[str, Any]:
            day = START + timedelta(days=31 * (i % per))
            final = i % per != per - 1  # each contract's latest invoice stays open, as the template's
            return {"id": invoice_ids[i], "contract_id": contract_ids[(i // per) % customers],
                    "customer_id": cust_ids[(i // per) % customers], "slot": 1000 + i % per,
                    "invoice_number": f"INV-B{i:07d}" if final else None, "invoice_date": day, "due_date": day,
                    "status": statuses[i % len(statuses)] if final else row["status"],
                    "finalized_at": now if final else None, "webhook_due_at": None}

        await _insert(conn, _table("invoices"), _copies(invoice, invoices, invoice_copy))
        for line in lines:
            await _insert(conn, _table("invoice_lines"), _copies(line, invoices, lambda i, _: {
                "id": _new_id(), "invoice_id": invoice_ids[i]}))
        echo(f"seeded {invoices:,} invoices ({len(lines)} lines each) in {time.perf_counter() - t0:.1f} s")
        spread = 90 * 24 * 3600

        event_ids = [_new_id() for _ in range(events)]

        def event_copy(i: int, _: dict[str, Any]) -> dict[str, Any]:
            at = now - timedelta(seconds=(i * 7919) % spread)
            unmatched = i % 20 == 0
            return {"id": event_ids[i], "idempotency_key": f"bench-{i:08d}", "timestamp": at, "received_at": at,
                    "customer_id": cust_ids[i % customers] if not unmatched else f"unknown-{i % 97}",
                    "status": "unmatched" if unmatched else "matched",
                    "unmatched_reason": "CUSTOMER_NOT_FOUND" if unmatched else None,
                    "matched_customer_id": None if unmatched else cust_ids[i % customers]}

        await _insert(conn, _table("events"), _copies(event, events, event_copy))
        for record in records:  # the usage each matched event recorded (its contract, its month)
            record.pop("id", None)
            await _insert(conn, _table("usage_records"), (
                {**record, "event_id": event_ids[i], "contract_id": contract_ids[i % customers],
                 "period_start": (now - timedelta(seconds=(i * 7919) % spread)).date().replace(day=1),
                 "day": (now - timedelta(seconds=(i * 7919) % spread)).date()}
                for i in range(events) if i % 20))
        await conn.execute(_table("usage_days").delete())  # the day rows the worker keeps, for every copy
        await conn.execute(text(
            "INSERT INTO usage_days (meter_id, day, count, sum, min, max, distinct_values) "
            "SELECT meter_id, day, count(*), sum(CAST(value AS NUMERIC)), min(CAST(value AS NUMERIC)), "
            "max(CAST(value AS NUMERIC)), 0 FROM usage_records GROUP BY meter_id, day"))
        echo(f"seeded {events:,} events and their usage records in {time.perf_counter() - t0:.1f} s")
        await conn.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would give a live database
    return Seeded(customer_id=cust_ids[customers // 2], contract_id=contract_ids[customers // 2],
                  invoice_id=invoice_ids[invoices // 2], meter_id=ids["meter"], plan_id=ids["plan"],
                  pricing_id=ids["pricing"])


def pages(s: Seeded) -> list[str]:
    """Every dashboard page timed, with the seeded ids filled in."""
    return [
        "/", "/customers", "/customers?q=Customer%20004", "/customers?offset=9000", f"/customers/{s.customer_id}",
        "/invoices", "/invoices?status=Sent", "/invoices?offset=90000", f"/invoices/{s.invoice_id}",
        "/contracts", f"/contracts/{s.contract_id}", "/contracts/new", f"/contracts/{s.contract_id}/credits",
        "/credits", "/usage", "/usage?tab=unmatched", "/usage/new",
        f"/usage/chart?meter={s.meter_id}", "/invoices?overdue=1", "/products", f"/products/{s.pricing_id}",
        "/meters", f"/meters/{s.meter_id}", "/plans", f"/plans/{s.plan_id}", "/settings/keys",
        "/settings/webhooks", "/settings/stripe", "/settings/users",
    ]


async def _signed_in(client: httpx.AsyncClient) -> None:
    form = await client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if token is None:
        raise BenchFailed("no login form")
    r = await client.post("/login", data={"email": "bench@example.com", "password": PASSWORD,
                                          "csrf": token.group(1)})
    if r.status_code != 303:
        raise BenchFailed(f"login: {r.status_code}")


async def time_pages(app: Any, paths: list[str], *, samples: int) -> list[dict[str, Any]]:
    """Each path requested once to warm up, then ``samples`` times → ``[{path, status, p50, p95, max}]``
    in milliseconds."""
    results = []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        await _signed_in(client)
        for path in paths:
            status = (await client.get(path)).status_code
            times = []
            for _ in range(samples):
                t = time.perf_counter()
                status = (await client.get(path)).status_code
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            results.append({"path": path, "status": status, "p50": statistics.median(times), "p95": p95,
                            "max": times[-1]})
    return results


async def _run(url: str, *, customers: int, invoices: int, events: int, samples: int,
               echo: Callable[[str], None]) -> list[dict[str, Any]]:
    from monk.app import create_app
    from monk.kit.secrets import new_key
    from monk.settings import Settings

    app = create_app(Settings(database_url=url, rate_limit_per_minute=0, secret_key=new_key()), run_worker=False)
    try:
        seeded = await seed(app, customers=customers, invoices=invoices, events=events, echo=echo)
        return await time_pages(app, pages(seeded), samples=samples)
    finally:
        await app.state.engine.dispose()


def run(database_url: str | None, *, customers: int, invoices: int, events: int, samples: int,
        echo: Callable[[str], None] = print) -> tuple[str, list[dict[str, Any]]]:
    """Seed a fresh database and time the pages → (database description, results)."""
    db = Database(database_url, Path(tempfile.mkdtemp(prefix="monk-bench-pages-")))
    db.create()
    try:
        results = asyncio.run(_run(db.url, customers=customers, invoices=invoices, events=events, samples=samples,
                                   echo=echo))
        return db.describe(), results
    finally:
        db.drop()


def table(database: str, results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (milliseconds), pages over 200 ms at p95 marked."""
    out = [f"Dashboard pages on {database}", "", "| page | status | p50 ms | p95 ms | max ms |",
           "|---|---:|---:|---:|---:|"]
    for r in results:
        mark = " ⚠" if r["p95"] > 200 or r["status"] != 200 else ""
        out.append(f"| `{r['path']}` | {r['status']} | {r['p50']:.1f} | {r['p95']:.1f}{mark} | {r['max']:.1f} |")
    return "\n".join(out)

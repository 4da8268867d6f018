"""One bad item never blocks anyone else (kit/jobs.py): a poison event or invoice of one
organization is set aside with its error, retried with backoff, and every other organization's
events are matched and invoices finalized in the same pass.

The poison is real: a database trigger refuses one value, as a database would refuse a value out
of its column's range, so the failure comes from the database itself and not from a stand-in."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from monk.kit.clock import FrozenClock
from monk.worker.runner import Worker
from tests.conftest import Api
from tests.e2e import scenario as s

POISON_SQLITE = {
    "usage": ("CREATE TRIGGER poison BEFORE INSERT ON usage_records WHEN NEW.value = '666' "
              "BEGIN SELECT RAISE(ABORT, 'poisoned value 666'); END"),
    "invoice": ("CREATE TRIGGER poison BEFORE UPDATE ON invoices WHEN NEW.status = 'Sent' AND NEW.contract_id = '{id}' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned invoice'); END"),
    "horizon": ("CREATE TRIGGER poison BEFORE INSERT ON invoices WHEN NEW.contract_id = '{id}' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned horizon'); END"),
}
POISON_PG = {
    "usage": ("usage_records", "NEW.value = '666'", "poisoned value 666"),
    "invoice": ("invoices", "NEW.status = 'Sent' AND NEW.contract_id = '{id}'", "poisoned invoice"),
    "horizon": ("invoices", "TG_OP = 'INSERT' AND NEW.contract_id = '{id}'", "poisoned horizon"),
}


async def _poison(app: Any, what: str, **fmt: str) -> None:
    async with app.state.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(text(POISON_SQLITE[what].format(**fmt)))
            return
        table, when, message = POISON_PG[what]
        await conn.execute(text(
            "CREATE OR REPLACE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {when.format(**fmt)} THEN RAISE EXCEPTION '{message}'; END IF; RETURN NEW; END $$"))
        await conn.execute(text(f"CREATE TRIGGER poison BEFORE INSERT OR UPDATE ON {table} "
                                "FOR EACH ROW EXECUTE FUNCTION poison()"))


async def _cure(app: Any, what: str) -> None:
    async with app.state.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            await conn.execute(text("DROP TRIGGER poison"))
        else:
            await conn.execute(text(f"DROP TRIGGER poison ON {POISON_PG[what][0]}"))
            await conn.execute(text("DROP FUNCTION poison()"))


async def _org(api: Api, name: str) -> Api:
    """An ``Api`` of a new organization, set up with a SUM meter at $1/unit and customer ``c``
    on it since 2026-01-01."""
    other = Api(api.client, await api.new_key(["*"], org=name))
    tokens = await s.meter(other, "TOKENS", "tokens", "SUM", key="n")
    p = await s.plan(other, "p", [(await s.usage_price(other, "Tokens", tokens["id"], "1"))["id"]])
    c = await s.customer(other, "C", "c")
    other.contract = await s.contract(other, c["id"], p["id"], "2026-01-01")  # type: ignore[attr-defined]
    other.customer = c  # type: ignore[attr-defined]
    return other


def _ev(key: str, n: int | str) -> dict[str, Any]:
    return {"eventName": "tokens", "externalCustomerId": "c", "idempotencyKey": key,
            "timestamp": "2026-01-10T10:00:00Z", "properties": {"n": n}}


async def _events(api: Api) -> dict[str, dict[str, Any]]:
    return {e["idempotencyKey"]: e for e in (await api.get("/v1/events", limit=100)).json()["events"]}


async def _upcoming_cents(api: Api) -> int:
    r = await api.get(f"/v1/customers/{api.customer['id']}/upcoming-invoice")  # type: ignore[attr-defined]
    return r.json()["data"]["totalCents"]


async def test_a_poison_event_is_set_aside_and_everyone_else_is_matched(
        api: Api, worker: Worker, app: Any, clock: FrozenClock) -> None:
    a, b = await _org(api, "A"), await _org(api, "B")
    await s.send(a, [_ev("a-1", 5), _ev("a-poison", "666"), _ev("a-2", 7)])
    await s.send(b, [_ev(f"b-{i}", 10) for i in range(5)])
    await _poison(app, "usage")
    await worker.drain()

    a_events, b_events = await _events(a), await _events(b)
    assert {k: e["status"] for k, e in b_events.items()} == {f"b-{i}": "matched" for i in range(5)}
    assert a_events["a-1"]["status"] == a_events["a-2"]["status"] == "matched"
    poison = a_events["a-poison"]
    assert poison["status"] == "unmatched"
    assert poison["unmatchedReason"].startswith("PROCESSING_ERROR: ")
    assert "poisoned value 666" in poison["unmatchedReason"]
    assert await _upcoming_cents(a) == 1200 and await _upcoming_cents(b) == 5000

    # Not a hot loop: before its retry time the event stays aside, however often the worker runs.
    async with app.state.sessions() as session:
        (attempts, retry_at), = (await session.execute(text("SELECT attempts, retry_at FROM job_failures"))).all()
    assert attempts == 1
    await worker.drain()
    assert (await _events(a))["a-poison"]["status"] == "unmatched"

    # Retried with backoff: a second failure backs off further; once cured it is matched.
    clock.advance(timedelta(seconds=31))
    await worker.drain()
    async with app.state.sessions() as session:
        assert (await session.execute(text("SELECT attempts FROM job_failures"))).scalar_one() == 2
    await _cure(app, "usage")
    clock.advance(timedelta(seconds=61))
    await worker.drain()
    assert (await _events(a))["a-poison"]["status"] == "matched"
    assert await _upcoming_cents(a) == 1200 + 66600
    await worker.finalize_once()  # the recovered item's failure record is forgotten
    async with app.state.sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM job_failures"))).scalar_one() == 0


async def test_a_resend_set_aside_no_longer_bills_its_earlier_version(
        api: Api, worker: Worker, app: Any, clock: FrozenClock) -> None:
    """An unmatched event is never billed: when the new version of a matched event is set aside,
    the earlier version's usage leaves the draft, and comes back with the new one on its retry."""
    a = await _org(api, "A")
    await s.send(a, [_ev("a-1", 5), _ev("a-2", 7)])
    await worker.drain()
    assert await _upcoming_cents(a) == 1200
    await _poison(app, "usage")
    await s.send(a, [_ev("a-2", "666")])  # the resend replaces the event (last write wins)
    await worker.drain()
    event = (await _events(a))["a-2"]
    assert event["status"] == "unmatched" and event["unmatchedReason"].startswith("PROCESSING_ERROR: ")
    assert await _upcoming_cents(a) == 500
    await _cure(app, "usage")
    clock.advance(timedelta(seconds=31))
    await worker.drain()
    assert (await _events(a))["a-2"]["status"] == "matched"
    assert await _upcoming_cents(a) == 500 + 66600


async def test_a_poison_invoice_is_set_aside_and_every_other_invoice_is_finalized(
        api: Api, worker: Worker, app: Any, clock: FrozenClock) -> None:
    a, b = await _org(api, "A"), await _org(api, "B")
    await s.send(a, [_ev("a-1", 5)])
    await s.send(b, [_ev("b-1", 10)])
    await worker.drain()
    await _poison(app, "invoice", id=a.contract["id"])  # type: ignore[attr-defined]
    clock.advance(timedelta(days=40))  # January's usage invoice (2026-02-01) is due
    await worker.drain()

    def february(invoices: list[dict[str, Any]]) -> dict[str, Any]:
        return next(i for i in invoices if i["invoiceDate"] == "2026-02-01")

    b_inv = february(await s.invoices(b, b.contract["id"]))  # type: ignore[attr-defined]
    assert b_inv["status"] == "Sent" and b_inv["totalCents"] == 1000 and b_inv["processingError"] is None
    a_inv = february(await s.invoices(a, a.contract["id"]))  # type: ignore[attr-defined]
    assert a_inv["status"] in ("Drafted", "In Progress") and a_inv["invoiceNumber"] is None
    assert "poisoned invoice" in a_inv["processingError"]
    shown = (await a.get(f"/v1/invoices/{a_inv['id']}")).json()["data"]
    assert "poisoned invoice" in shown["processingError"]

    await _cure(app, "invoice")
    clock.advance(timedelta(seconds=31))
    await worker.drain()
    a_inv = february(await s.invoices(a, a.contract["id"]))  # type: ignore[attr-defined]
    assert a_inv["status"] == "Sent" and a_inv["processingError"] is None and a_inv["totalCents"] == 500


async def test_a_contract_whose_horizon_cannot_be_extended_is_set_aside(
        api: Api, worker: Worker, app: Any, clock: FrozenClock) -> None:
    a, b = await _org(api, "A"), await _org(api, "B")
    before = {x: len(await s.invoices(x, x.contract["id"])) for x in (a, b)}  # type: ignore[attr-defined]
    await _poison(app, "horizon", id=a.contract["id"])  # type: ignore[attr-defined]
    clock.advance(timedelta(days=70))  # two more periods come into the rolling horizon
    await worker.drain()
    assert len(await s.invoices(b, b.contract["id"])) == before[b] + 2  # type: ignore[attr-defined]
    assert len(await s.invoices(a, a.contract["id"])) == before[a]  # type: ignore[attr-defined]
    async with app.state.sessions() as session:
        kind, attempts = (await session.execute(text("SELECT kind, attempts FROM job_failures"))).one()
    assert (kind, attempts) == ("horizon", 1)
    await worker.extend_horizons()  # before its retry time the contract is left alone
    async with app.state.sessions() as session:
        assert (await session.execute(text("SELECT attempts FROM job_failures"))).scalar_one() == 1
    await _cure(app, "horizon")
    clock.advance(timedelta(seconds=31))
    await worker.extend_horizons()
    assert len(await s.invoices(a, a.contract["id"])) == before[a] + 2  # type: ignore[attr-defined]
    async with app.state.sessions() as session:
        assert (await session.execute(text("SELECT count(*) FROM job_failures"))).scalar_one() == 0


async def test_inputs_that_overflow_a_column_are_unmatched_with_a_reason(api: Api, worker: Worker) -> None:
    """The issue's reproductions (a reason over 255 characters, a UNIQUE_COUNT value over 100, a
    group-key value of 1,000, a SUM of 1e30): each used to roll back every organization's batch."""
    a, b = await _org(api, "A"), await _org(api, "B")
    pricing = []
    for i in range(8):
        m = await s.meter(a, f"METER_WITH_A_RATHER_LONG_CODE_NUMBER_{i:02d}", f"other_{i}")
        pricing.append((await s.usage_price(a, f"P{i}", m["id"], "1"))["id"])
    users = await s.meter(a, "USERS", "users", "UNIQUE_COUNT", key="user")
    regions = await s.meter(a, "BY_REGION", "regional", "COUNT", groupKeys=["region"])
    tokens = await s.meter(a, "TOKENS_2", "tokens", "SUM", key="n")
    for m in (users, regions, tokens):
        pricing.append((await s.usage_price(a, m["code"], m["id"], "1"))["id"])
    d = await s.customer(a, "D", "d")
    await s.contract(a, d["id"], (await s.plan(a, "wide", pricing))["id"], "2026-01-01")
    d_ev = {"externalCustomerId": "d", "timestamp": "2026-01-10T10:00:00Z"}
    await s.send(a, [
        {"eventName": "nothing", "idempotencyKey": "d-none", **d_ev},
        {"eventName": "users", "idempotencyKey": "d-user", "properties": {"user": "u" * 150}, **d_ev},
        {"eventName": "regional", "idempotencyKey": "d-region", "properties": {"region": "r" * 1000}, **d_ev},
        {"eventName": "tokens", "idempotencyKey": "d-sum", "properties": {"n": "1e30"}, **d_ev},
        _ev("a-ok", 3),
    ])
    await s.send(b, [_ev("b-1", 10)])
    await worker.drain()
    events = await _events(a)
    assert events["a-ok"]["status"] == "matched"
    reasons = {k: e["unmatchedReason"] for k, e in events.items() if k.startswith("d-")}
    assert all(e["status"] == "unmatched" for k, e in events.items() if k.startswith("d-")), reasons
    assert all(len(r) <= 255 and r.startswith("NO_MATCHING_METER: ") for r in reasons.values()), reasons
    assert reasons["d-none"].endswith("…")
    assert "USERS: VALUE_TOO_LONG" in reasons["d-user"]
    assert "BY_REGION: DIMENSION_TOO_LONG" in reasons["d-region"]
    assert "TOKENS_2: VALUE_OUT_OF_RANGE" in reasons["d-sum"]
    assert (await _events(b))["b-1"]["status"] == "matched"
    assert await _upcoming_cents(b) == 1000 and await _upcoming_cents(a) == 300

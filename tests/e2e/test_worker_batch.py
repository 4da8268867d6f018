"""One worker batch naming many customers with different outcomes: the batch resolves customers and
loads every contract's billing context together and records all outcomes at once (one statement on
PostgreSQL); each event must still get its own status, reason and customer, and each invoice its
own usage."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event

from monk.worker.runner import Worker
from tests.conftest import Api
from tests.e2e import scenario as s


async def test_a_batch_of_many_customers_and_outcomes(api: Api, worker: Worker, app: object) -> None:
    tokens = await s.meter(api, "TOKENS", "call", "SUM", key="tokens")
    cheap = await s.plan(api, "cheap", [(await s.usage_price(api, "Tokens", tokens["id"], "0.01"))["id"]])
    dear = await s.plan(api, "dear", [(await s.usage_price(api, "Tokens+", tokens["id"], "0.05"))["id"]])
    customers = []
    for i in range(6):
        c = await s.customer(api, f"C{i}", f"c{i}")
        await s.contract(api, c["id"], (cheap if i % 2 else dear)["id"], "2026-01-01")
        customers.append(c)
    events = [{"eventName": "call", "externalCustomerId": f"c{i % 6}", "idempotencyKey": f"k{i}",
               "timestamp": "2026-01-15T10:00:00Z", "properties": {"tokens": i}} for i in range(60)]
    events += [{"eventName": "call", "externalCustomerId": "nobody", "idempotencyKey": "lost",
                "timestamp": "2026-01-15T10:00:00Z", "properties": {"tokens": 1}},
               {"eventName": "other", "customerId": customers[0]["id"], "idempotencyKey": "odd",
                "timestamp": "2026-01-15T10:00:00Z"},
               {"eventName": "call", "customerId": customers[1]["id"], "idempotencyKey": "early",
                "timestamp": "2025-06-01T10:00:00Z", "properties": {"tokens": 1}}]
    await s.send(api, events)
    statements: list[str] = []
    engine = app.state.engine.sync_engine  # type: ignore[attr-defined]

    def seen(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001, ARG001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert await worker.match_once() == 63
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    listed = {e["idempotencyKey"]: e for e in (await api.get("/v1/events", limit=100)).json()["events"]}
    for i in range(60):
        e = listed[f"k{i}"]
        assert (e["status"], e["unmatchedReason"], e["customerId"]) == ("matched", None, customers[i % 6]["id"])
    assert (listed["lost"]["status"], listed["lost"]["unmatchedReason"]) == ("unmatched", "CUSTOMER_NOT_FOUND")
    assert listed["odd"]["status"] == "unmatched" and listed["odd"]["unmatchedReason"].startswith("NO_MATCHING_METER")
    assert listed["odd"]["customerId"] == customers[0]["id"]
    assert (listed["early"]["status"], listed["early"]["unmatchedReason"]) == (
        "unmatched", "NO_CONTRACT_COVERS_TIMESTAMP")
    for n, c in enumerate(customers):
        up = (await api.get(f"/v1/customers/{c['id']}/upcoming-invoice")).json()["data"]
        usage = [li for li in up["lineItems"] if li.get("isMetered")]
        assert [li["quantity"] for li in usage] == [sum(range(n, 60, 6))]
    updates = Counter(st.split()[0] for st in statements if st.startswith("UPDATE events"))
    if not app.state.engine.dialect.name == "sqlite":  # type: ignore[attr-defined]
        assert updates == Counter({"UPDATE": 1})  # every outcome in one statement
        customer_queries = [st for st in statements if st.startswith("SELECT") and "FROM customers" in st]
        assert len(customer_queries) == 2  # by id and by external id: not one per customer

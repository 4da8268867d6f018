"""The Events API (reference §4): validation, idempotency, batches, listing, unmatched reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monk.kit.clock import FrozenClock
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s


def ev(key: str | None = "k1", **extra: object) -> dict[str, object]:
    body: dict[str, object] = {"eventName": "sms_sent", "externalCustomerId": "corp", "properties": {"quantity": 5}}
    if key:
        body["idempotencyKey"] = key
    return {**body, **extra}


async def setup_sms(api: Api) -> dict:
    sms = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    price = await s.usage_price(api, "SMS", sms["id"], "0.045")
    p = await s.plan(api, "sms", [price["id"]])
    cust = await s.customer(api, "Corp", "corp")
    return await s.contract(api, cust["id"], p["id"], "2026-01-01")


async def test_single_event_response_shape(api: Api) -> None:
    r = await api.post("/v1/events", ev())
    assert r.status_code == 202
    body = r.json()
    assert set(body) == {"status", "idempotencyKey", "requestId"}
    assert body["status"] == "accepted" and body["idempotencyKey"] == "k1"
    assert body["requestId"].startswith("req_") and len(body["requestId"]) == 20
    generated = (await api.post("/v1/events", ev(key=None))).json()["idempotencyKey"]
    assert len(generated) == 36
    listed = (await api.get("/v1/events")).json()
    assert listed["total"] == 2 and {e["idempotencyKey"] for e in listed["events"]} == {"k1", generated}
    assert all(e["status"] == "pending" for e in listed["events"])


async def test_idempotency_last_write_wins(api: Api, worker, clock: FrozenClock) -> None:
    c = await setup_sms(api)
    for _ in range(3):
        assert (await api.post("/v1/events", ev(timestamp="2026-01-10T00:00:00Z"))).status_code == 202
    await worker.drain()
    inv = (await s.invoices(api, c["id"]))[1]
    assert s.lines(inv) == [("SMS", 5, 23)]  # 5 x 0.045 = 0.225 -> $0.23 (half up)
    await api.post("/v1/events", ev(timestamp="2026-01-10T00:00:00Z", properties={"quantity": 7}))
    # Duplicates inside one batch resolve to the last one.
    await s.send(api, [ev("k2", properties={"quantity": 1}), ev("k2", properties={"quantity": 2}),
                       ev("k2", properties={"quantity": 3})])
    await worker.drain()
    listed = (await api.get("/v1/events")).json()
    assert listed["total"] == 2
    by_key = {e["idempotencyKey"]: e for e in listed["events"]}
    assert by_key["k1"]["properties"] == {"quantity": 7} and by_key["k2"]["properties"] == {"quantity": 3}
    assert s.lines((await s.invoices(api, c["id"]))[1]) == [("SMS", 10, 45)]


async def test_bad_events_are_rejected_and_nothing_is_stored(api: Api, clock: FrozenClock) -> None:
    future = (clock.now() + timedelta(hours=1, minutes=1)).isoformat()
    bad = [
        {},
        {"eventName": "x"},
        {"eventName": "x", "customerId": "a", "externalCustomerId": "b"},
        ev(timestamp=future),
        ev(timestamp="not-a-date"),
        ev(properties={"nested": {"a": 1}}),
        ev(properties={"list": [1, 2]}),
        ev(properties="flat"),
        ev(eventName=""),
        ev(eventName=5),
        ev(unknown=1),
        ev(idempotencyKey=""),
    ]
    for body in bad:
        assert_error(await api.post("/v1/events", body), 400, "VALIDATION_ERROR")
    err = assert_error(await api.post("/v1/events", ev(timestamp=future)), 400)
    assert "timestamp must not be more than 1 hour in the future" in err["message"]
    ok = (clock.now() + timedelta(minutes=59)).isoformat()
    assert (await api.post("/v1/events", ev("edge", timestamp=ok))).status_code == 202

    # One bad event rejects the whole batch, naming every bad index.
    batch = [ev("b0"), ev("b1", customerId="x"), ev("b2"), ev("b3", properties={"a": {"b": 1}})]
    err = assert_error(await api.post("/v1/events/batch", {"events": batch}), 400, "VALIDATION_ERROR")
    assert sorted({d["index"] for d in err["details"]}) == [1, 3]
    assert "1, 3" in err["message"]
    for body in ({"events": []}, {"events": [ev()] * 10_001}, {"events": "x"}, {}, [ev()], {"events": [1]}):
        assert_error(await api.post("/v1/events/batch", body), 400, "VALIDATION_ERROR")
    headers = {**api._h(None), "content-type": "application/json"}
    raw = await api.client.post("/v1/events", content=b"{", headers=headers)
    assert_error(raw, 400, "VALIDATION_ERROR")
    assert (await api.get("/v1/events")).json()["total"] == 1


async def test_batch_accepts_ten_thousand(api: Api) -> None:
    r = await api.post("/v1/events/batch", {"events": [ev(f"k{i}") for i in range(10_000)]})
    assert r.status_code == 202 and r.json()["count"] == 10_000 and r.json()["status"] == "accepted"
    assert (await api.get("/v1/events", limit=1)).json()["total"] == 10_000


async def test_listed_events_name_the_contract_they_are_billed_on(api: Api, worker) -> None:
    contract = await setup_sms(api)
    await s.send(api, [ev("ok", timestamp="2026-01-10T00:00:00Z"), ev("pinned-ok", contractId=contract["id"]),
                       ev("nocust", externalCustomerId="ghost"), ev("pinned-wrong", contractId="no-such-contract")])
    pending = {e["idempotencyKey"]: e for e in (await api.get("/v1/events")).json()["events"]}
    assert pending["ok"]["contractId"] is None and pending["pinned-ok"]["contractId"] == contract["id"]
    await worker.drain()
    got = {e["idempotencyKey"]: e for e in (await api.get("/v1/events")).json()["events"]}
    assert (got["ok"]["status"], got["ok"]["contractId"]) == ("matched", contract["id"])
    assert (got["pinned-ok"]["status"], got["pinned-ok"]["contractId"]) == ("matched", contract["id"])
    assert (got["nocust"]["status"], got["nocust"]["contractId"]) == ("unmatched", None)
    assert got["pinned-wrong"]["unmatchedReason"] == "CONTRACT_NOT_FOUND"
    assert got["pinned-wrong"]["contractId"] == "no-such-contract"  # as sent


async def test_unmatched_reasons_and_filters(api: Api, worker, clock: FrozenClock) -> None:
    await setup_sms(api)
    await s.send(api, [
        ev("ok", timestamp="2026-01-10T00:00:00Z"),
        ev("nocust", externalCustomerId="ghost"),
        ev("early", timestamp="2025-12-31T23:59:59Z"),
        ev("nokey", properties={"other": 1}),
        ev("other-name", eventName="page_view"),
    ])
    await worker.drain()
    got = {e["idempotencyKey"]: e for e in (await api.get("/v1/events", matched="false")).json()["events"]}
    assert got["nocust"]["unmatchedReason"] == "CUSTOMER_NOT_FOUND"
    assert got["early"]["unmatchedReason"] == "NO_CONTRACT_COVERS_TIMESTAMP"
    assert "AGGREGATION_KEY_MISSING" in got["nokey"]["unmatchedReason"]
    assert "EVENT_NAME_NOT_INCLUDED" in got["other-name"]["unmatchedReason"]
    assert set(got) == {"nocust", "early", "nokey", "other-name"}
    matched = (await api.get("/v1/events", matched="true")).json()
    assert [e["idempotencyKey"] for e in matched["events"]] == ["ok"]
    assert (await api.get("/v1/events", eventName="page_view")).json()["total"] == 1
    assert (await api.get("/v1/events", externalCustomerId="ghost")).json()["total"] == 1
    window = (await api.get("/v1/events", start="2026-01-01", end="2026-01-11")).json()
    assert {e["idempotencyKey"] for e in window["events"]} == {"ok"}
    assert_error(await api.get("/v1/events", start="yesterday"), 400, "VALIDATION_ERROR")
    assert clock.now() == datetime(2026, 1, 15, 12, tzinfo=UTC)


async def test_nul_characters_are_refused_everywhere(api: Api) -> None:
    assert_error(await api.post("/v1/events", ev(properties={"note": "a\u0000b"})), 400, "VALIDATION_ERROR")
    assert_error(await api.post("/v1/events/batch", {"events": [ev(eventName="x\u0000")]}), 400, "VALIDATION_ERROR")
    assert (await api.get("/v1/events")).json()["total"] == 0
    body = {"name": "Acme\u0000", "contacts": [{"email": "a@b.co", "roles": ["x"]}]}
    r = await api.post("/v1/customers", body)
    assert r.status_code in (201, 400), r.text  # SQLite can store NUL; PostgreSQL refuses it with a 400
    if r.status_code == 400:
        assert_error(r, 400, "VALIDATION_ERROR")


async def test_non_finite_numbers_are_refused_on_both_databases(api: Api) -> None:
    """``NaN`` and ``Infinity`` parse in Python but are not JSON, and PostgreSQL's ``jsonb`` refuses
    them: every such event is a 400 naming the property, nothing is stored, on SQLite too."""
    headers = {"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"}
    for token in (b"NaN", b"Infinity", b"-Infinity", b"1e400"):
        one = b'{"eventName":"x","externalCustomerId":"c","properties":{"v":' + token + b'}}'
        err = assert_error(await api.client.post("/v1/events", content=one, headers=headers), 400, "VALIDATION_ERROR")
        assert err["details"] == [{"field": "properties.v",
                                   "message": "property values must be finite numbers (not NaN or Infinity)"}]
        batch = b'{"events":[{"eventName":"x","externalCustomerId":"c"},' + one + b"]}"
        err = assert_error(await api.client.post("/v1/events/batch", content=batch, headers=headers), 400,
                           "VALIDATION_ERROR")
        assert [(d["index"], d["field"]) for d in err["details"]] == [(1, "properties.v")]
    assert (await api.get("/v1/events")).json()["total"] == 0
    # The same for every request body, e.g. a contract's metadata.
    p = await s.plan(api, "base", [(await s.flat_price(api, "Base", "10"))["id"]])
    c = await s.contract(api, (await s.customer(api, "Meta", "meta"))["id"], p["id"], "2026-01-01")
    for body in (b'{"metadata":{"x":NaN}}', b'{"metadata":{"x":-Infinity}}'):
        assert_error(await api.client.patch(f"/v1/contracts/{c['id']}", content=body, headers=headers), 400,
                     "VALIDATION_ERROR")
    r = await api.client.patch(f"/v1/contracts/{c['id']}", content=b'{"metadata":{"x":1.5}}', headers=headers)
    assert r.status_code == 200 and r.json()["data"]["metadata"] == {"x": 1.5}, r.text

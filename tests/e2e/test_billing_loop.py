"""The usage-to-invoice loop end to end: the SaaS scenario and a fixed-term contract (issue: Monk runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.e2e import scenario as s


async def test_saas_free_and_pro_plans(api: Api, worker, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 2, 25, tzinfo=UTC))
    m = await s.meter(api, "API_CALL", "call_count")
    free_calls = await s.usage_price(api, "API Calls (Free)", m["id"], "0.10")
    pro_fee = await s.flat_price(api, "Pro Platform Fee", "50.00")
    pro_calls = await s.usage_price(api, "API Calls (Pro)", m["id"], "0.08")
    free = await s.plan(api, "free", [free_calls["id"]])
    pro = await s.plan(api, "pro", [pro_fee["id"], pro_calls["id"]])
    alice = await s.customer(api, "Alice Apps", "alice")
    bob = await s.customer(api, "Bob Builds", "bob")
    ca = await s.contract(api, alice["id"], free["id"], "2026-03-01")
    cb = await s.contract(api, bob["id"], pro["id"], "2026-03-01")

    march = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    # Alice makes 1,234 calls and Bob 5,350 in March; one event of another type is ignored.
    events = [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"a-{i}",
               "timestamp": (march + timedelta(minutes=i)).isoformat()} for i in range(1234)]
    events += [{"eventName": "call_count", "customerId": bob["id"], "idempotencyKey": f"b-{i}",
                "timestamp": (march + timedelta(seconds=i)).isoformat()} for i in range(5350)]
    events.append({"eventName": "page_view", "customerId": bob["id"], "idempotencyKey": "pv-1"})
    clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    await s.send(api, events)
    clock.set(datetime(2026, 3, 20, 9, 0, tzinfo=UTC))
    assert await worker.drain() == 1234 + 5350 + 1

    up = (await api.get(f"/v1/customers/{alice['id']}/upcoming-invoice")).json()["data"]
    assert up["invoiceDate"] == "2026-04-01" and up["contractId"] == ca["id"]
    assert s.lines(up) == [("API Calls (Free)", 1234, 12340)]
    assert up["totalCents"] == 12340
    assert up["lineItems"][0]["description"] == "1,234 units × $0.10/unit = $123.40"
    assert up["lineItems"][0]["servicePeriod"] == {"start": "2026-03-01T00:00:00.000Z",
                                                   "end": "2026-03-31T23:59:59.999Z"}

    up = (await api.get(f"/v1/customers/{bob['id']}/upcoming-invoice")).json()["data"]
    assert s.lines(up) == [("Pro Platform Fee", 1, 5000), ("API Calls (Pro)", 5350, 42800)]
    assert up["totalCents"] == 47800
    first = (await s.invoices(api, cb["id"]))[0]
    assert first["invoiceDate"] == "2026-03-01" and s.lines(first) == [("Pro Platform Fee", 1, 5000)]

    unmatched = (await api.get("/v1/events", matched="false")).json()
    assert unmatched["total"] == 1
    assert unmatched["events"][0]["idempotencyKey"] == "pv-1"
    assert "EVENT_NAME_NOT_INCLUDED" in unmatched["events"][0]["unmatchedReason"]


async def test_fixed_term_contract_january_to_april(api: Api, worker, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 1, 1, 0, 0, tzinfo=UTC))
    sms = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    fee = await s.flat_price(api, "Platform Fee", "350.00")
    per_sms = await s.usage_price(api, "SMS Notifications", sms["id"], "0.045")
    p = await s.plan(api, "business", [fee["id"], per_sms["id"]], netTerms=30)
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01", "2026-05-01")

    invs = await s.invoices(api, c["id"])
    assert [i["invoiceDate"] for i in invs] == ["2026-01-01", "2026-02-01", "2026-03-01", "2026-04-01", "2026-05-01"]
    assert [i["dueDate"] for i in invs] == ["2026-01-31", "2026-03-03", "2026-03-31", "2026-05-01", "2026-05-31"]
    assert [i["totalCents"] for i in invs] == [35000, 35000, 35000, 35000, 0]
    assert all(i["status"] == "Drafted" for i in invs)

    # 400 SMS in January (4 events x 100), 10 in April.
    jan = [{"eventName": "sms_sent", "externalCustomerId": "corp", "idempotencyKey": f"jan-{i}",
            "timestamp": f"2026-01-{10 + i}T08:00:00Z", "properties": {"quantity": 100}} for i in range(4)]
    clock.set(datetime(2026, 4, 20, tzinfo=UTC))
    apr = [{"eventName": "sms_sent", "externalCustomerId": "corp", "idempotencyKey": "apr-1",
            "timestamp": "2026-04-15T08:00:00Z", "properties": {"quantity": "10"}}]
    await s.send(api, jan + apr)
    await worker.drain()

    invs = await s.invoices(api, c["id"])
    assert s.lines(invs[0]) == [("Platform Fee", 1, 35000)]
    assert s.lines(invs[1]) == [("Platform Fee", 1, 35000), ("SMS Notifications", 400, 1800)]
    assert invs[1]["totalCents"] == 36800
    usage = invs[1]["lineItems"][1]
    assert usage["isMetered"] is True and usage["unitPrice"] == "0.045" and usage["totalAmount"] == "18.00"
    assert usage["servicePeriod"] == {"start": "2026-01-01T00:00:00.000Z", "end": "2026-01-31T23:59:59.999Z"}
    assert s.lines(invs[2])[1] == ("SMS Notifications", 0, 0)
    assert s.lines(invs[4]) == [("SMS Notifications", 10, 45)]
    assert invs[4]["totalCents"] == 45
    assert invs[4]["lineItems"][0]["servicePeriod"]["start"] == "2026-04-01T00:00:00.000Z"


async def test_recompute_is_idempotent_and_resends_move_usage(api: Api, worker, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 2, 20, tzinfo=UTC))
    sms = await s.meter(api, "SMS", "sms_sent", "SUM", key="quantity")
    per_sms = await s.usage_price(api, "SMS", sms["id"], "0.045")
    p = await s.plan(api, "sms", [per_sms["id"]])
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01", "2026-04-01")
    ev = {"eventName": "sms_sent", "externalCustomerId": "corp", "idempotencyKey": "k1",
          "timestamp": "2026-01-05T00:00:00Z", "properties": {"quantity": 100}}
    for _ in range(3):
        await s.send(api, [ev])
    await worker.drain()
    before = await s.invoices(api, c["id"])
    assert s.lines(before[1]) == [("SMS", 100, 450)]
    await worker.drain()
    assert await s.invoices(api, c["id"]) == before

    # January's invoice was finalized on Feb 1 (+ grace): it never changes again.
    assert [i["status"] for i in before] == ["Sent", "Sent", "In Progress", "Drafted"]
    assert [i["invoiceNumber"] for i in before] == ["INV-00001", "INV-00002", None, None]

    # The resend moves the event to February with a new value: February bills 40, and January's
    # 100 already billed are credited back on the next open invoice as late usage.
    await s.send(api, [{**ev, "timestamp": "2026-02-05T00:00:00Z", "properties": {"quantity": 40}}])
    await worker.drain()
    after = await s.invoices(api, c["id"])
    assert after[:2] == before[:2]
    assert s.lines(after[2]) == [("SMS", 40, 180), ("SMS (late usage, 2026-01-01 to 2026-01-31)", -100, -450)]
    assert after[2]["totalCents"] == -270
    late = after[2]["lineItems"][1]
    assert late["servicePeriod"]["start"] == "2026-01-01T00:00:00.000Z" and late["isMetered"] is True
    listed = (await api.get("/v1/events")).json()
    assert listed["total"] == 1 and listed["events"][0]["properties"] == {"quantity": 40}

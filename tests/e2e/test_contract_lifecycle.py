"""Contract lifecycle end to end: cancellation, plan changes, metadata, invoice finalization."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from monk.kit.clock import FrozenClock
from monk.models import Invoice
from monk.worker.runner import Worker
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def sms_plan(api: Api, code: str = "sms", fee: str = "350.00", rate: str = "0.045") -> dict:
    meters = (await api.get("/v1/meters", limit=100)).json()["data"]
    sms = next((m for m in meters if m["code"] == "SMS"), None) or await s.meter(api, "SMS", "sms_sent", "SUM",
                                                                                 key="quantity")
    f = await s.flat_price(api, f"{code.title()} Fee", fee)
    u = await s.usage_price(api, f"{code.title()} SMS", sms["id"], rate)
    return await s.plan(api, code, [f["id"], u["id"]])


def sms(key: str, when: str, qty: int) -> dict:
    return {"eventName": "sms_sent", "externalCustomerId": "corp", "idempotencyKey": key, "timestamp": when,
            "properties": {"quantity": qty}}


async def test_cancel_at_end_of_period(api: Api, worker: Worker, clock: FrozenClock) -> None:
    clock.set(at(2026, 3, 15))
    p = await sms_plan(api)
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], p["id"], "2026-03-01")
    assert len(await s.invoices(api, c["id"])) == 13
    r = await api.post(f"/v1/contracts/{c['id']}/cancel", {"cancelAt": "end_of_period"})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"id": c["id"], "isActive": False, "effectiveCancellationDate": "2026-03-31",
                                "cancelledInvoiceCount": 11}
    assert_error(await api.post(f"/v1/contracts/{c['id']}/cancel", {"cancelAt": "end_of_period"}), 409, "CONFLICT")
    clock.set(at(2026, 4, 3))
    await s.send(api, [sms("mar", "2026-03-20T00:00:00Z", 100), sms("apr", "2026-04-02T00:00:00Z", 5)])
    await worker.drain()
    invs = await s.invoices(api, c["id"])
    assert [i["status"] for i in invs[:3]] == ["Sent", "Sent", "Cancelled"]
    # The April invoice now only bills March's usage: no April fee.
    assert s.lines(invs[1]) == [("Sms SMS", 100, 450)] and invs[1]["invoiceDate"] == "2026-04-01"
    got = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert got["isActive"] is False and got["endDate"] == "2026-04-01" and got["cancelledAt"]
    unmatched = (await api.get("/v1/events", matched="false")).json()["events"]
    assert [(e["idempotencyKey"], e["unmatchedReason"]) for e in unmatched] == [("apr", "NO_CONTRACT_COVERS_TIMESTAMP")]


async def test_cancel_immediately_bills_usage_to_date(api: Api, worker: Worker, clock: FrozenClock) -> None:
    clock.set(at(2026, 1, 1))
    p = await sms_plan(api)
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01", "2026-05-01")
    clock.set(at(2026, 2, 10, 12))
    await s.send(api, [sms("jan", "2026-01-10T00:00:00Z", 400), sms("feb", "2026-02-05T00:00:00Z", 10)])
    await worker.drain()
    r = await api.post(f"/v1/contracts/{c['id']}/cancel", {"cancelAt": "immediate"})
    assert r.json()["data"] == {"id": c["id"], "isActive": False, "effectiveCancellationDate": "2026-02-10",
                                "cancelledInvoiceCount": 2}
    await s.send(api, [sms("late-day", "2026-02-10T13:00:00Z", 7)])
    clock.set(at(2026, 2, 10, 12, 30))
    await worker.drain()
    invs = await s.invoices(api, c["id"])
    assert [i["status"] for i in invs] == ["Sent", "Sent", "In Progress", "Cancelled", "Cancelled"]
    final = invs[2]
    assert final["invoiceDate"] == "2026-02-10" and s.lines(final) == [("Sms SMS", 10, 45)]
    assert final["lineItems"][0]["servicePeriod"]["start"] == "2026-02-01T00:00:00.000Z"
    clock.set(at(2026, 2, 10, 13, 30))  # the grace period after the end has passed
    await worker.drain()
    assert (await s.invoices(api, c["id"]))[2]["status"] == "Sent"
    late = (await api.get("/v1/events", matched="false")).json()["events"]
    assert [e["idempotencyKey"] for e in late] == ["late-day"]


async def test_change_plan_immediately_prorates_and_splits_usage(api: Api, worker: Worker, clock: FrozenClock) -> None:
    clock.set(at(2026, 1, 1))
    pro = await sms_plan(api, "pro", "50.00", "0.08")
    ent = await sms_plan(api, "enterprise", "200.00", "0.05")
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], pro["id"], "2026-01-01")
    clock.set(at(2026, 1, 15))
    await s.send(api, [sms("before", "2026-01-10T00:00:00Z", 100)])
    await worker.drain()
    assert (await s.invoices(api, c["id"]))[0]["status"] == "Sent"
    r = await api.post(f"/v1/contracts/{c['id']}/change-plan", {"planId": ent["id"], "changeOption": "immediate"})
    assert r.status_code == 200, r.text
    assert r.json()["data"] == {"id": c["id"], "currentPlanId": pro["id"], "newPlanId": ent["id"],
                                "effectiveDate": "2026-01-15", "changeOption": "immediate", "prorate": True,
                                "status": "applied"}
    clock.set(at(2026, 1, 25))
    await s.send(api, [sms("after", "2026-01-20T00:00:00Z", 200)])
    await worker.drain()
    invs = await s.invoices(api, c["id"])
    assert s.lines(invs[0]) == [("Pro Fee", 1, 5000)]  # finalized: never changes
    feb = invs[1]
    got = sorted(s.lines(feb))
    assert got == sorted([
        ("Enterprise Fee", 1, 20000),  # February, in advance
        ("Pro SMS", 100, 800),  # January usage before the change: 100 x 0.08
        ("Enterprise SMS", 200, 1000),  # after the change: 200 x 0.05
        ("Pro Fee (adjustment, 2026-01-01 to 2026-01-31)", 1, -2742),  # 50 x 14/31 = 22.58 - 50.00
        ("Enterprise Fee (adjustment, 2026-01-01 to 2026-01-31)", 1, 10968),  # 200 x 17/31 = 109.68
    ])
    assert feb["totalCents"] == 20000 + 800 + 1000 - 2742 + 10968
    # A fee adjustment is one charge, 1 x the difference, and says what it is the difference of.
    pro_adj = next(li for li in feb["lineItems"] if li["name"].startswith("Pro Fee (adjustment"))
    assert (pro_adj["quantity"], pro_adj["unitPrice"], pro_adj["totalAmount"]) == (1, "-27.42", "-27.42")
    assert pro_adj["description"] == (
        "Adjustment for the service period 2026-01-01 to 2026-01-31: $22.58 now "
        "(Prorated: 14 days of 31 days × $50.00 = $22.58) less $50.00 billed = -$27.42")
    assert all(s.line_explained(li) for li in feb["lineItems"])
    contract = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert contract["planId"] == ent["id"]
    assert [(ph["planId"], ph["startsAt"]) for ph in contract["phases"]] == [
        (pro["id"], "2026-01-01T00:00:00.000Z"), (ent["id"], "2026-01-15T00:00:00.000Z")]


async def test_change_plan_without_proration(api: Api, worker: Worker, clock: FrozenClock) -> None:
    clock.set(at(2026, 1, 1))
    pro = await sms_plan(api, "pro", "50.00", "0.08")
    ent = await sms_plan(api, "enterprise", "200.00", "0.05")
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], pro["id"], "2026-01-01")
    clock.set(at(2026, 1, 15))
    await worker.drain()
    body = {"planId": ent["id"], "changeOption": "immediate", "prorate": False}
    assert (await api.post(f"/v1/contracts/{c['id']}/change-plan", body)).status_code == 200
    clock.set(at(2026, 1, 25))
    await s.send(api, [sms("after", "2026-01-20T00:00:00Z", 200)])
    await worker.drain()
    feb = (await s.invoices(api, c["id"]))[1]
    assert sorted(s.lines(feb)) == sorted([("Enterprise Fee", 1, 20000), ("Pro SMS", 0, 0),
                                           ("Enterprise SMS", 200, 1000)])


async def test_scheduled_plan_changes(api: Api, worker: Worker, clock: FrozenClock) -> None:
    clock.set(at(2026, 1, 1))
    pro = await sms_plan(api, "pro", "50.00", "0.08")
    ent = await sms_plan(api, "enterprise", "200.00", "0.05")
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], pro["id"], "2026-01-01")
    clock.set(at(2026, 1, 10))
    r = await api.post(f"/v1/contracts/{c['id']}/change-plan", {"planId": ent["id"], "changeOption": "end_of_period"})
    assert r.json()["data"]["status"] == "scheduled" and r.json()["data"]["effectiveDate"] == "2026-02-01"
    contract = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert contract["planId"] == pro["id"] and contract["phases"][1]["changeOption"] == "end_of_period"
    invs = await s.invoices(api, c["id"])
    assert s.lines(invs[1])[0] == ("Enterprise Fee", 1, 20000)
    # A requested date replaces the scheduled change: Jan 20, prorated 19/31 and 12/31.
    r = await api.post(f"/v1/contracts/{c['id']}/change-plan",
                       {"planId": ent["id"], "changeOption": "requested_date", "changeDate": "2026-01-20"})
    assert r.json()["data"]["effectiveDate"] == "2026-01-20"
    contract = (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]
    assert [ph["startsAt"][:10] for ph in contract["phases"]] == ["2026-01-01", "2026-01-20"]
    clock.set(at(2026, 1, 21))
    await worker.drain()
    assert (await api.get(f"/v1/contracts/{c['id']}")).json()["data"]["planId"] == ent["id"]
    jan, feb = (await s.invoices(api, c["id"]))[:2]
    # January's invoice was still open, so it bills the prorated fees itself (then is finalized):
    # 50 x 19/31 = 30.645 -> 30.65; 200 x 12/31 = 77.419 -> 77.42. No adjustment is needed.
    assert jan["status"] == "Sent" and s.lines(jan) == [("Pro Fee", 1, 3065), ("Enterprise Fee", 1, 7742)]
    assert jan["lineItems"][0]["description"] == "Prorated: 19 days of 31 days × $50.00 = $30.65"
    assert not [x for x in s.lines(feb) if "adjustment" in x[0]]


async def test_change_plan_rejects_bad_requests(api: Api, clock: FrozenClock) -> None:
    pro = await sms_plan(api, "pro", "50.00", "0.08")
    yearly = await s.plan(api, "yearly", [], billingFrequency="ANNUALLY")
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], pro["id"], "2026-01-01")
    path = f"/v1/contracts/{c['id']}/change-plan"
    for body in ({"planId": pro["id"], "changeOption": "immediate"},
                 {"planId": yearly["id"], "changeOption": "immediate"},
                 {"planId": "nope", "changeOption": "immediate"},
                 {"planId": pro["id"], "changeOption": "someday"},
                 {"planId": yearly["id"], "changeOption": "requested_date"},
                 {"changeOption": "immediate"}):
        assert_error(await api.post(path, body), 400, "VALIDATION_ERROR")
    other = await sms_plan(api, "other", "1.00", "0.01")
    for body in ({"planId": other["id"], "changeOption": "requested_date"},
                 {"planId": other["id"], "changeOption": "requested_date", "changeDate": "2026-01-01"}):
        assert_error(await api.post(path, body), 400, "VALIDATION_ERROR")
    assert_error(await api.post("/v1/contracts/nope/change-plan", {"planId": other["id"], "changeOption": "immediate"}),
                 404, "NOT_FOUND")
    assert (await api.post(f"/v1/contracts/{c['id']}/cancel", {"cancelAt": "immediate"})).status_code == 200
    assert_error(await api.post(path, {"planId": other["id"], "changeOption": "immediate"}), 409, "CONFLICT")
    assert_error(await api.post(f"/v1/contracts/{c['id']}/cancel", {"cancelAt": "later"}), 400)
    assert_error(await api.post("/v1/contracts/nope/cancel", {"cancelAt": "immediate"}), 404)


async def test_metadata_replace_and_clear(api: Api) -> None:
    pro = await sms_plan(api, "pro", "50.00", "0.08")
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], pro["id"], "2026-01-01", metadata={"a": 1})
    path = f"/v1/contracts/{c['id']}"
    meta = {"salesforceOpportunityId": "006xx000001234", "team": "growth", "priority": 1, "isEnterprise": True}
    r = await api.patch(path, {"metadata": meta})
    assert r.status_code == 200 and r.json()["data"]["metadata"] == meta
    for bad in ({}, {"metadata": {f"k{i}": 1 for i in range(11)}}, {"metadata": {"x" * 41: 1}},
                {"metadata": {"k": "v" * 501}}, {"metadata": {"k": [1]}}, {"metadata": "x"}):
        assert_error(await api.patch(path, bad), 400, "VALIDATION_ERROR")
    assert (await api.get(path)).json()["data"]["metadata"] == meta
    assert (await api.patch(path, {"metadata": None})).json()["data"]["metadata"] == {}
    reader = await api.new_key(["contracts:read"])
    assert_error(await api.patch(path, {"metadata": None}, key=reader), 403, "FORBIDDEN")


async def test_finalization_numbers_each_invoice_once(api: Api, app, clock: FrozenClock) -> None:
    clock.set(at(2026, 1, 1))
    p = await sms_plan(api)
    for i in range(3):
        cust = await s.customer(api, f"C{i}", f"c{i}")
        await s.contract(api, cust["id"], p["id"], "2026-01-01", "2026-07-01")
    clock.set(at(2026, 7, 2))
    workers = [Worker(app.state.sessions, clock=clock, settings=app.state.settings) for _ in range(3)]
    for _ in range(10):
        await asyncio.gather(*(w.finalize_once() for w in workers))
    invs = (await api.get("/v1/invoices", limit=100)).json()["data"]
    numbers = sorted(i["invoiceNumber"] for i in invs)
    assert numbers == [f"INV-{n:05d}" for n in range(1, 22)]  # 3 contracts x 7 invoices
    assert all(i["status"] == "Sent" for i in invs)
    # The database itself refuses a second invoice with the same number.
    async with app.state.sessions() as session:
        from sqlalchemy import select, update
        ids = (await session.execute(select(Invoice.id).limit(2))).scalars().all()
        with pytest.raises(IntegrityError):
            await session.execute(update(Invoice).where(Invoice.id.in_(ids)).values(invoice_number="INV-99999"))


async def test_mark_paid_and_late_usage_after_the_contract_ended(api: Api, worker: Worker, clock: FrozenClock) -> None:
    clock.set(at(2026, 1, 1))
    p = await sms_plan(api)
    cust = await s.customer(api, "Corp", "corp")
    c = await s.contract(api, cust["id"], p["id"], "2026-01-01", "2026-03-01")
    clock.set(at(2026, 3, 5))
    await s.send(api, [sms("feb", "2026-02-10T00:00:00Z", 100)])
    await worker.drain()
    invs = await s.invoices(api, c["id"])
    assert [(i["invoiceNumber"], i["status"], i["totalCents"]) for i in invs] == [
        ("INV-00001", "Sent", 35000), ("INV-00002", "Sent", 35000), ("INV-00003", "Sent", 450)]
    assert_error(await api.post(f"/v1/invoices/{invs[0]['id']}/mark-paid", key=await api.new_key(["invoices:read"])),
                 403, "FORBIDDEN")
    r = await api.post(f"/v1/invoices/{invs[0]['id']}/mark-paid")
    assert r.status_code == 200 and r.json()["data"]["status"] == "Paid"
    assert_error(await api.post(f"/v1/invoices/{invs[0]['id']}/mark-paid"), 409, "CONFLICT")
    assert_error(await api.post("/v1/invoices/nope/mark-paid"), 404, "NOT_FOUND")

    # February usage arriving after the last invoice was issued lands on a new adjustment invoice.
    await s.send(api, [sms("feb-late", "2026-02-20T00:00:00Z", 20)])
    await worker.drain()
    invs = await s.invoices(api, c["id"])
    assert len(invs) == 4 and invs[3]["invoiceDate"] == "2026-03-05" and invs[3]["status"] == "Drafted"
    assert s.lines(invs[3]) == [("Sms SMS (late usage, 2026-02-01 to 2026-02-28)", 20, 90)]
    assert invs[2]["totalCents"] == 450  # the finalized invoice never changes
    clock.set(at(2026, 3, 6, 2))
    await worker.drain()
    assert (await s.invoices(api, c["id"]))[3]["invoiceNumber"] == "INV-00004"

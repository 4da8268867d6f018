"""The catalogue of reference §13.2 end to end: the SaaS scenario produces exactly the expected events,
each signed, with the documented headers and payload shapes; ``docs/webhooks.md`` shows one real
payload of each type, written by this test (``MONK_WRITE_DOCS=1``) and checked against it otherwise."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monk.kit.clock import FrozenClock
from monk.webhooks.catalogue import (
    CREDIT_BALANCE_DEPLETED,
    CREDIT_BUDGET_EXHAUSTED,
    CREDIT_THRESHOLD_CROSSED,
    EVENT_TYPES,
    PING,
)
from monk.webhooks.dispatch import Dispatcher
from tests.conftest import Api
from tests.e2e import scenario as s
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Received, Receiver

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
INVOICE_KEYS = {"id", "invoiceNum", "customerId", "contractId", "status", "invoiceDate", "dueDate", "subtotalCents",
                "creditsAppliedCents", "totalCents", "heldForReview", "memo", "paymentLink", "processingError",
                "customer", "createdAt", "updatedAt"}


async def _run_saas(api: Api, receiver: Receiver, dispatcher: Dispatcher, worker: Any,
                    clock: FrozenClock) -> tuple[dict[str, Any], dict[str, Any]]:
    clock.set(datetime(2026, 2, 25, tzinfo=UTC))
    endpoint = await subscribe(api, receiver, "/all")
    assert (await api.post(f"/v1/webhooks/endpoints/{endpoint['id']}/test")).status_code == 202
    m = await s.meter(api, "API_CALL", "call_count")
    free_calls = await s.usage_price(api, "API Calls (Free)", m["id"], "0.10")
    pro_fee = await s.flat_price(api, "Pro Platform Fee", "50.00")
    pro_calls = await s.usage_price(api, "API Calls (Pro)", m["id"], "0.08")
    free = await s.plan(api, "free", [free_calls["id"]])
    pro = await s.plan(api, "pro", [pro_fee["id"], pro_calls["id"]])
    alice = await s.customer(api, "Alice Apps", "alice")
    ca = await s.contract(api, alice["id"], free["id"], "2026-03-01", "2026-07-01")
    await dispatcher.drain()
    clock.set(datetime(2026, 3, 5, tzinfo=UTC))
    await s.send(api, [{"eventName": "call_count", "externalCustomerId": "alice", "idempotencyKey": f"a-{i}",
                        "timestamp": "2026-03-04T10:00:00Z"} for i in range(100)])
    await worker.drain()  # Drafted → In Progress (March usage) and the usage itself
    await dispatcher.drain()  # (delivery is unordered: each step is sent before the next one is made)
    clock.advance(timedelta(minutes=2))
    await worker.drain()  # the coalesced invoice.updated with the new total
    await dispatcher.drain()
    assert (await api.patch(f"/v1/customers/{alice['id']}", {"name": "Alice Apps Inc."})).status_code == 200
    assert (await api.patch(f"/v1/contracts/{ca['id']}", {"metadata": {"crm": "42"}})).status_code == 200
    r = await api.post(f"/v1/contracts/{ca['id']}/change-plan", {"planId": pro["id"], "changeOption": "immediate"})
    assert r.status_code == 200, r.text
    await dispatcher.drain()
    clock.set(datetime(2026, 4, 2, tzinfo=UTC))
    await worker.drain()  # the April invoice is finalized (Sent)
    await dispatcher.drain()
    april = next(i for i in await s.invoices(api, ca["id"]) if i["invoiceDate"] == "2026-04-01")
    assert april["status"] == "Sent"
    assert (await api.post(f"/v1/invoices/{april['id']}/mark-paid")).status_code == 200
    await dispatcher.drain()
    r = await api.post(f"/v1/contracts/{ca['id']}/cancel", {"cancelAt": "immediate"})
    assert r.status_code == 200, r.text
    await dispatcher.drain()
    return alice, ca


async def test_the_saas_scenario_sends_the_documented_events(
        api: Api, receiver: Receiver, dispatcher: Dispatcher, worker: Any, clock: FrozenClock) -> None:
    alice, contract = await _run_saas(api, receiver, dispatcher, worker, clock)
    got = receiver.at("/all")
    assert got and all(r.verified for r in got)
    for r in got:
        assert r.headers["content-type"] == "application/json"
        assert r.headers["user-agent"] == "Monk-Webhook/1.0"
        assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", r.headers["x-monk-signature"])
        assert {"id", "createdAt", "updatedAt"} <= set(r.json)
    assert len({r.delivery_id for r in got}) == len(got)  # every one delivered once
    counts = Counter(r.event for r in got)
    invoices = await s.invoices(api, contract["id"])
    assert counts[PING] == 1 and counts["customer.created"] == 1 and counts["customer.updated"] == 1
    assert counts["contract.created"] == 1 and counts["contract.terminated"] == 1
    assert counts["contract.updated"] == 2  # metadata, plan change
    assert counts["invoice.created"] == len(invoices)  # one per invoice generated
    assert {r.json["id"] for r in got if r.event == "invoice.created"} == {i["id"] for i in invoices}
    for r in got:
        if r.event.startswith("invoice."):
            assert set(r.json) == INVOICE_KEYS and r.json["customer"]["id"] == alice["id"]
    updates = [r.json for r in got if r.event == "invoice.updated"]
    april = next(i for i in invoices if i["invoiceDate"] == "2026-04-01")
    april_states = [(u["status"], u["totalCents"]) for u in updates if u["id"] == april["id"]]
    assert april_states[0] == ("In Progress", 0)  # its usage period (March) began
    assert ("In Progress", 1000) in april_states  # 100 calls × $0.10, coalesced: one update for the batch
    assert [st for st, _ in april_states][-2:] == ["Sent", "Paid"]  # finalized, then paid
    cancelled = {i["id"] for i in invoices if i["status"] == "Cancelled"}
    assert cancelled and cancelled <= {u["id"] for u in updates if u["status"] == "Cancelled"}
    terminated = next(r.json for r in got if r.event == "contract.terminated")
    assert terminated["isActive"] is False and terminated["id"] == contract["id"]
    assert (await api.get(f"/v1/contracts/{contract['id']}")).json()["data"] == terminated
    credit_events = await _run_credits(api, receiver, dispatcher, worker, clock)
    _check_or_write_doc(got + credit_events)


async def _run_credits(api: Api, receiver: Receiver, dispatcher: Dispatcher, worker: Any,
                       clock: FrozenClock) -> list[Received]:
    """A wallet run to empty, past its alert threshold and its budget: the three credit events, once
    each, to an endpoint subscribed to them alone."""
    endpoint = await subscribe(api, receiver, "/credits", [CREDIT_THRESHOLD_CROSSED, CREDIT_BALANCE_DEPLETED,
                                                            CREDIT_BUDGET_EXHAUSTED])
    m = await s.meter(api, "TOKENS", "tokens", "SUM", "count")
    plan = await s.plan(api, "ai", [(await s.usage_price(api, "Tokens", m["id"], "0.01"))["id"]])
    bob = await s.customer(api, "Bob Bots", "bob")
    c = await s.contract(api, bob["id"], plan["id"], "2026-04-01", "2026-07-01", creditGrantCents=7000,
                         creditSettings={"lowBalanceThresholdCents": 2000})
    r = await api.post(f"/v1/contracts/{c['id']}/budgets", {"label": "Dove", "eventPropertyKey": "business_unit",
                                                             "eventPropertyValue": "dove", "maxCreditsCents": 1000})
    assert r.status_code == 201, r.text
    await worker.drain()
    await s.send(api, [{"eventName": "tokens", "externalCustomerId": "bob", "idempotencyKey": f"b-{i}",
                        "timestamp": "2026-04-01T12:00:00Z",
                        "properties": {"count": 2000, "business_unit": "dove" if i == 0 else "soap"}}
                       for i in range(4)])  # $20 of Dove usage (a $10 cap) and $60 of other usage: $70 drawn
    await worker.drain()
    await dispatcher.drain()
    got = receiver.at("/credits")
    assert all(r.verified for r in got) and {r.event for r in got} <= set(endpoint["eventTypes"])
    assert Counter(r.event for r in got) == {CREDIT_THRESHOLD_CROSSED: 1, CREDIT_BALANCE_DEPLETED: 1,
                                             CREDIT_BUDGET_EXHAUSTED: 1}
    return got


def _shape(value: Any) -> Any:
    """The keys of ``value``, recursively (what a receiver's parser depends on)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def _render(samples: dict[str, Received]) -> str:
    out = [
        "# Webhook events",
        "",
        "Generated by `tests/webhooks/test_catalogue.py` from a real run of the SaaS scenario (`MONK_WRITE_DOCS=1`",
        "rewrites it); the suite fails when a payload's shape drifts from what is shown here.",
        "",
        "Every delivery is a `POST` of the resource itself, as the API returns it, with `Content-Type:",
        "application/json`, `User-Agent: Monk-Webhook/1.0`, `X-Monk-Event` (the type), `X-Monk-Delivery-Id`",
        "(the same on every attempt of a delivery) and `X-Monk-Signature: t=<unix>,v1=<hex>` (README,",
        "\"Receiving webhooks\"). Invoice payloads name the number `invoiceNum` (the REST API: `invoiceNumber`)",
        "and carry the `customer` object. Usage-driven total changes of an open invoice are coalesced: at most",
        "one `invoice.updated` per invoice per minute (`MONK_WEBHOOK_COALESCE_SECONDS`), carrying the state at",
        "the time it is written; status changes and finalization are sent at once. The credit events come",
        "from a wallet of $70.00 with a $20.00 alert threshold and a $10.00 budget, drawn by $80.00 of usage.",
        "",
    ]
    for event_type in (*EVENT_TYPES, PING):
        sample = samples.get(event_type)
        if sample is None:
            continue
        out += [f"## `{event_type}`", "", "```json", json.dumps(sample.json, indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(out)


def _documented(text: str) -> dict[str, Any]:
    found = re.findall(r"## `([a-z_.]+)`\n\n```json\n(.*?)\n```", text, flags=re.DOTALL)
    return {name: json.loads(body) for name, body in found}


def _check_or_write_doc(got: list[Received]) -> None:
    samples: dict[str, Received] = {}
    for r in got:
        samples.setdefault(r.event, r)
    samples["invoice.updated"] = next(r for r in got if r.event == "invoice.updated" and r.json["invoiceNum"])
    if os.environ.get("MONK_WRITE_DOCS") == "1":
        DOC.write_text(_render(samples))
    documented = _documented(DOC.read_text())
    assert set(documented) == set(samples), "docs/webhooks.md lists other event types (MONK_WRITE_DOCS=1 rewrites it)"
    for name, sample in samples.items():
        assert _shape(documented[name]) == _shape(sample.json), f"{name}: payload shape drifted from docs/webhooks.md"

"""Run one golden scenario end to end through Monk's real HTTP API and worker.

A scenario is a plain dict of Python literals (see ``tests/golden/scenarios/``)::

    {
        "name": "issue-fixed-term-jan-apr",          # unique; the pytest id
        "doc": "why this scenario exists",
        "now": "2026-01-01T00:00:00Z",               # the clock while the setup is created
        "meters": {"sms": {"code": "SMS", "aggregationType": "SUM", "aggregationKey": "quantity",
                           "eventTypeFilter": {"include": ["sms_sent"]}}},
        "rateCards": {},                             # optional: meter local name -> PUT rate-card body
        "pricing": {"fee": {"name": "Platform Fee", "model": "FLAT", "billingMode": "RECURRING",
                            "unitAmount": "350.00", "priceInterval": "MONTH"},
                    "sms": {"name": "SMS", "model": "USAGE", "billingMode": "RECURRING",
                            "unitAmount": "0.045", "meter": "sms"}},
        "plans": {"biz": {"billingFrequency": "MONTHLY", "pricing": ["fee", "sms"]}},
        "customers": ["acme"],                       # local name = externalCustomerId
        "contracts": {"c1": {"customer": "acme", "plan": "biz",
                             "startDate": "2026-01-01", "endDate": "2026-05-01"}},
        "steps": [
            {"at": "2026-01-31T12:00:00Z"},
            {"events": [{"eventName": "sms_sent", "customer": "acme", "idempotencyKey": "s1",
                         "timestamp": "2026-01-10T08:00:00Z", "properties": {"quantity": 400}}]},
            {"expect": {"contract": "c1", "invoices": [
                {"date": "2026-01-01", "total": 35000, "lines": [["Platform Fee", 1, 35000]]},
                {"date": "2026-02-01", "total": 36800,
                 "lines": [["Platform Fee", 1, 35000], ["SMS", 400, 1800]]},
                ...]}},
        ],
        "xfail": "optional: a known product bug, with file:line; runs as a strict xfail",
    }

Setup entities are keyed by a local name and created in this order: meters, rate cards, pricing, plans,
customers, contracts. Bodies are the API's own request bodies (reference §6, §7, §9; rate cards:
``PUT /v1/meters/{id}/rate-card``) with local references instead of ids: a meter's ``code`` defaults to
its upper-cased local name; pricing ``meter`` → ``meterId`` (``productName`` defaults to ``name``);
plan ``pricing`` → ``pricingIds`` (``planCode`` defaults to the local name); contract ``customer`` /
``plan`` → ``customerId`` / ``planId``, and an override's ``basePricingId`` may name a local pricing.
Anything else in a body is sent as is. :func:`setup_bodies` builds every body without I/O, so the coverage test reads
the very bodies the runner sends.

Steps run in order; each is a one-key dict ``{kind: argument}`` dispatched through :data:`STEPS`:

* ``{"at": "2026-02-10T00:00:00Z"}``: move the clock (a date means midnight UTC), then let the worker
  run (``worker.drain()``), as time passing does in a deployment: rolling horizons extend and due
  invoices are finalized (an invoice is final once its date is one hour, the grace period, in the
  past). Send a period's events before that, unless the scenario is about late usage.
* ``{"events": [event, ...]}``: send through ``POST /v1/events/batch`` (chunks of 10,000), then
  ``worker.drain()``; afterwards no event may still be pending (each is matched or unmatched). An
  event is the API body plus shorthands: ``customer`` (local name → ``externalCustomerId``),
  ``contract`` (local name → ``contractId``) and ``repeat: n`` (n copies; the idempotency key gets
  ``-0`` … ``-{n-1}`` appended and ``{i}`` in string property values is replaced by the copy's index).
* ``{"expect": {"contract": "c1", "invoices": [...]}}``: ``GET /v1/invoices?contractId=…&include=lineItems``
  must return exactly these invoices in date order. An invoice is ``{"date", "total" (totalCents),
  "lines"}`` plus optional raw invoice fields to compare (``"status"``, ``"dueDate"``…). A line is
  ``[name, quantity, totalAmountCents]`` or ``[name, quantity, totalAmountCents, {extra}]`` where
  ``extra`` holds ``"period": "2026-01-01..2026-01-31"`` (servicePeriod, first..last day) and/or raw
  lineItem fields (``"unitPrice": "0.045"``, ``"isMetered": True``…). With ``"dates": [...]`` (the full
  calendar, for rolling contracts whose horizon holds many drafts) the invoice dates must equal
  ``dates`` and ``invoices`` lists only the invoices to check in detail, matched by date.
* ``{"unmatched": {"idempotencyKey": "REASON prefix", ...}}``: exactly these events are unmatched
  (``GET /v1/events?matched=false``), each with an ``unmatchedReason`` starting with the given text.

Extension points: a new step kind is one ``async def handler(run: Run, argument) -> None`` decorated
with ``@step("<kind>")`` (the well-formedness test accepts every registered kind; nothing else
changes). The handler gets the :class:`Run` (api, worker, clock, ``run.id_of(kind, local)``) and the
step's argument; it should assert the HTTP status and end with ``await run.worker.drain()`` when the
change leaves work for the worker. Lifecycle steps:

* ``cancel``: ``{"cancel": {"contract": "c1", "cancelAt": "end_of_period"}}`` →
  ``POST /v1/contracts/{id}/cancel`` (reference §9.5); assert 200 and, when given,
  ``effectiveCancellationDate`` / ``cancelledInvoiceCount``. Later ``expect`` steps then list the
  cancelled drafts with ``"status": "Cancelled"``.
* ``change_plan``: ``{"change_plan": {"contract": "c1", "plan": "pro", "changeOption": "immediate",
  "changeDate": ..., "prorate": True}}`` → ``POST /v1/contracts/{id}/change-plan`` (§9.6), with
  ``plan`` resolved through ``run.id_of("plans", ...)``.
* ``finalize``: ``{"finalize": {"contract": "c1", "date": "2026-02-01"}}`` → an explicit
  finalization endpoint, if one is added. Today the worker finalizes by itself: an ``at`` step past
  ``date + 1 hour`` does it, and ``expect`` can check ``"status"`` (``"Sent"``) and late-usage lines.

Credit steps (``tests/golden/credit_steps.py``, registered on import at the end of this module):
``grant`` (promotional) and ``purchase`` (paid top-up) change a contract's wallet and drain the worker;
``wallet`` (balance, blocks) and ``ledger`` (entries oldest first) are expectations. An ``expect``
invoice checks credits with the raw fields ``subtotalCents``/``creditsAppliedCents`` and the lines
``["Credits applied", 1, -N]`` (last) and ``["Prepaid credits", quantity, N]``.
"""

from __future__ import annotations

import pprint
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.e2e.scenario import line_explained

ENTITY_KINDS = ("meters", "pricing", "plans", "customers", "contracts")
MAX_BATCH = 10_000

StepHandler = Callable[["Run", Any], Awaitable[None]]
STEPS: dict[str, StepHandler] = {}


def step(kind: str) -> Callable[[StepHandler], StepHandler]:
    """Register ``handler`` as the step kind ``kind`` (a scenario step ``{kind: argument}``)."""

    def register(handler: StepHandler) -> StepHandler:
        if kind in STEPS:
            raise ValueError(f"step kind {kind!r} registered twice")
        STEPS[kind] = handler
        return handler

    return register


@dataclass
class Run:
    """One scenario's execution state: the HTTP client, the worker, the clock and the ids created."""

    api: Api
    worker: Any
    clock: FrozenClock
    scenario: dict[str, Any]
    ids: dict[str, dict[str, str]] = field(default_factory=lambda: {k: {} for k in ENTITY_KINDS})

    def id_of(self, kind: str, local: str) -> str:
        """The API id of the ``kind`` entity the scenario calls ``local``."""
        try:
            return self.ids[kind][local]
        except KeyError:
            raise AssertionError(f"{self.scenario['name']}: unknown {kind} {local!r}") from None


# ---------------------------------------------------------------------------------------------------
# Setup bodies (pure: shared with the coverage test)
# ---------------------------------------------------------------------------------------------------


def instant(text: str) -> datetime:
    """``"2026-02-10T00:00:00Z"`` (or a bare date = midnight UTC) as a tz-aware UTC datetime."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if at.tzinfo is None:
        raise ValueError(f"instant {text!r} needs a timezone")
    return at.astimezone(UTC)


def meter_body(local: str, spec: dict[str, Any]) -> dict[str, Any]:
    """``POST /v1/meters`` body: ``code`` defaults to ``LOCAL`` and ``displayName`` to the code."""
    body = {"code": local.upper(), **spec}
    body.setdefault("displayName", body["code"].replace("_", " ").title())
    return body


def pricing_body(spec: dict[str, Any], meter_ids: dict[str, str]) -> dict[str, Any]:
    """``POST /v1/pricing`` body: ``meter`` → ``meterId``; ``productName`` defaults to ``name``."""
    body = {k: v for k, v in spec.items() if k != "meter"}
    if "meter" in spec:
        body["meterId"] = meter_ids[spec["meter"]]
    if "productId" not in body:
        body.setdefault("productName", body["name"])
    return body


def plan_body(local: str, spec: dict[str, Any], pricing_ids: dict[str, str]) -> dict[str, Any]:
    """``POST /v1/plans`` body: ``pricing`` (local names) → ``pricingIds``; code/name default to ``local``."""
    body = {k: v for k, v in spec.items() if k != "pricing"}
    body.setdefault("planCode", local)
    body.setdefault("name", local.replace("-", " ").title())
    body["pricingIds"] = [pricing_ids[p] for p in spec.get("pricing", [])]
    return body


def customer_body(local: str) -> dict[str, Any]:
    """``POST /v1/customers`` body for a customer whose ``externalCustomerId`` is ``local``."""
    return {"name": local.title(), "externalCustomerId": local,
            "contacts": [{"email": f"billing@{local}.example", "roles": ["accounts_payable"]}]}


def contract_body(spec: dict[str, Any], ids: dict[str, dict[str, str]]) -> dict[str, Any]:
    """``POST /v1/contracts`` body: ``customer``/``plan`` → ids; local ``basePricingId`` → pricing id."""
    body = {k: v for k, v in spec.items() if k not in ("customer", "plan")}
    body["customerId"] = ids["customers"][spec["customer"]]
    body["planId"] = ids["plans"][spec["plan"]]
    if "overrides" in body:
        body["overrides"] = [{**o, "basePricingId": ids["pricing"].get(o["basePricingId"], o["basePricingId"])}
                             for o in body["overrides"]]
    return body


def expand_events(events: list[dict[str, Any]], ids: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """API event bodies from scenario events (``customer``, ``contract`` and ``repeat`` shorthands)."""
    out: list[dict[str, Any]] = []
    for spec in events:
        body = {k: v for k, v in spec.items() if k not in ("customer", "contract", "repeat")}
        if "customer" in spec:
            body["externalCustomerId"] = spec["customer"]
        if "contract" in spec:
            body["contractId"] = ids["contracts"][spec["contract"]]
        if "repeat" not in spec:
            out.append(body)
            continue
        for i in range(spec["repeat"]):
            copy = {**body, "idempotencyKey": f"{body['idempotencyKey']}-{i}"}
            if "properties" in body:
                copy["properties"] = {k: v.format(i=i) if isinstance(v, str) else v
                                      for k, v in body["properties"].items()}
            out.append(copy)
    return out


def setup_bodies(scenario: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """Every setup body of ``scenario`` by kind and local name, with local names standing in for ids."""
    names = {kind: {local: local for local in scenario.get(kind, [])} for kind in ENTITY_KINDS}
    return {
        "meters": {k: meter_body(k, v) for k, v in scenario.get("meters", {}).items()},
        "pricing": {k: pricing_body(v, names["meters"]) for k, v in scenario.get("pricing", {}).items()},
        "plans": {k: plan_body(k, v, names["pricing"]) for k, v in scenario.get("plans", {}).items()},
        "customers": {k: customer_body(k) for k in scenario.get("customers", [])},
        "contracts": {k: contract_body(v, names) for k, v in scenario.get("contracts", {}).items()},
    }


# ---------------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------------


async def _create(run: Run, path: str, body: dict[str, Any], what: str) -> str:
    resp = await run.api.post(path, body)
    assert resp.status_code == 201, f"{run.scenario['name']}: creating {what} failed: {resp.text}\nbody: {body}"
    return resp.json()["data"]["id"]


async def setup(run: Run) -> None:
    """Create the scenario's meters, rate cards, pricing, plans, customers and contracts (in that order)."""
    sc, ids = run.scenario, run.ids
    for local, spec in sc.get("meters", {}).items():
        ids["meters"][local] = await _create(run, "/v1/meters", meter_body(local, spec), f"meter {local}")
    for local, body in sc.get("rateCards", {}).items():
        resp = await run.api.put(f"/v1/meters/{run.id_of('meters', local)}/rate-card", body)
        assert resp.status_code == 200, f"{sc['name']}: rate card of {local} failed: {resp.text}"
    for local, spec in sc.get("pricing", {}).items():
        ids["pricing"][local] = await _create(run, "/v1/pricing", pricing_body(spec, ids["meters"]),
                                              f"pricing {local}")
    for local, spec in sc.get("plans", {}).items():
        ids["plans"][local] = await _create(run, "/v1/plans", plan_body(local, spec, ids["pricing"]),
                                            f"plan {local}")
    for local in sc.get("customers", []):
        ids["customers"][local] = await _create(run, "/v1/customers", customer_body(local), f"customer {local}")
    for local, spec in sc.get("contracts", {}).items():
        ids["contracts"][local] = await _create(run, "/v1/contracts", contract_body(spec, ids),
                                                f"contract {local}")


async def run_scenario(scenario: dict[str, Any], *, api: Api, worker: Any, clock: FrozenClock) -> None:
    """Set the clock to ``scenario["now"]``, create the setup, then run every step in order."""
    clock.set(instant(scenario["now"]))
    run = Run(api=api, worker=worker, clock=clock, scenario=scenario)
    await setup(run)
    for index, st in enumerate(scenario["steps"]):
        (kind, argument), = st.items()
        try:
            await STEPS[kind](run, argument)
        except AssertionError as exc:
            raise AssertionError(f"{scenario['name']}, step {index} ({kind}):\n{exc}") from None


# ---------------------------------------------------------------------------------------------------
# Step handlers
# ---------------------------------------------------------------------------------------------------


@step("at")
async def step_at(run: Run, when: str) -> None:
    """Move the clock to ``when``, then let the worker do what became due (rolling horizons)."""
    run.clock.set(instant(when))
    await run.worker.drain()


@step("events")
async def step_events(run: Run, events: list[dict[str, Any]]) -> None:
    """Send ``events`` through ``POST /v1/events/batch`` and drain the worker."""
    bodies = expand_events(events, run.ids)
    for i in range(0, len(bodies), MAX_BATCH):
        resp = await run.api.post("/v1/events/batch", {"events": bodies[i:i + MAX_BATCH]})
        assert resp.status_code == 202, resp.text
    await run.worker.drain()
    counts = [(await run.api.get("/v1/events", limit=1, **flt)).json()["total"]
              for flt in ({}, {"matched": "true"}, {"matched": "false"})]
    assert counts[0] == counts[1] + counts[2], \
        f"{counts[0] - counts[1] - counts[2]} event(s) still pending after the worker drained"


def _period(sp: dict[str, str] | None) -> str | None:
    """An API servicePeriod as ``"first..last"`` day."""
    if sp is None:
        return None
    return f"{sp['start'][:10]}..{sp['end'][:10]}"


def _line(actual: dict[str, Any], expected: list[Any]) -> list[Any]:
    """``actual`` (an API lineItem) in the shape of ``expected`` (a scenario line)."""
    out: list[Any] = [actual["name"], actual["quantity"], actual["totalAmountCents"]]
    if len(expected) > 3:
        extra = {}
        for key in expected[3]:
            extra[key] = _period(actual.get("servicePeriod")) if key == "period" else actual.get(key, "<absent>")
        out.append(extra)
    return out


def _invoice(actual: dict[str, Any], expected: dict[str, Any] | None) -> dict[str, Any]:
    """``actual`` (an API invoice) in the shape of ``expected`` (a scenario invoice, or None)."""
    out: dict[str, Any] = {"date": actual["invoiceDate"], "total": actual["totalCents"]}
    exp_lines = (expected or {}).get("lines", [])
    out["lines"] = [_line(li, exp_lines[i] if i < len(exp_lines) else []) for i, li in enumerate(actual["lineItems"])]
    for key in expected or {}:
        if key not in out:
            out[key] = actual.get(key, "<absent>")
    return out


async def contract_invoices(run: Run, contract: str) -> list[dict[str, Any]]:
    """All invoices of the local contract ``contract``, in date order, with line items (every page)."""
    out: list[dict[str, Any]] = []
    while True:
        resp = await run.api.get("/v1/invoices", contractId=run.id_of("contracts", contract),
                                 include="lineItems", limit=100, offset=len(out))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        out.extend(body["data"])
        if not body["hasMore"]:
            return out


def _show(value: Any) -> str:
    return pprint.pformat(value, width=118, sort_dicts=False)


@step("expect")
async def step_expect(run: Run, spec: dict[str, Any]) -> None:
    """Compare the contract's invoices with ``spec["invoices"]`` (all, or by date with ``dates``)."""
    invoices = await contract_invoices(run, spec["contract"])
    expected: list[dict[str, Any]] = spec["invoices"]
    if "dates" in spec:
        dates = [inv["invoiceDate"] for inv in invoices]
        assert dates == spec["dates"], f"contract {spec['contract']}: invoice dates\n{_show(dates)}\n" \
                                       f"expected\n{_show(spec['dates'])}"
        by_date = {inv["invoiceDate"]: inv for inv in invoices}
        actual = [_invoice(by_date[e["date"]], e) if e["date"] in by_date else {"date": e["date"], "missing": True}
                  for e in expected]
    else:
        actual = [_invoice(inv, expected[i] if i < len(expected) else None) for i, inv in enumerate(invoices)]
    if actual != expected:
        diffs = [f"  invoice {i}: expected {_show(e)}\n             actual   {_show(a)}"
                 for i, (e, a) in enumerate(zip(expected, actual, strict=False)) if e != a]
        if len(actual) != len(expected):
            diffs.append(f"  {len(actual)} invoices, expected {len(expected)}")
        raise AssertionError(f"contract {spec['contract']}: invoices differ\n" + "\n".join(diffs)
                             + f"\nactual invoices:\n{_show(actual)}")
    unexplained = [(inv["invoiceDate"], li["name"], li["quantity"], li["unitPrice"], li["totalAmount"],
                    li["description"]) for inv in invoices for li in inv.get("lineItems") or []
                   if not line_explained(li)]
    assert not unexplained, f"contract {spec['contract']}: quantity x unit price is not the amount and the " \
                            f"description does not say why:\n{_show(unexplained)}"


@step("unmatched")
async def step_unmatched(run: Run, expected: dict[str, str]) -> None:
    """Exactly the events keyed in ``expected`` are unmatched, each with a reason starting as given."""
    reasons: dict[str, str] = {}
    while True:
        resp = await run.api.get("/v1/events", matched="false", limit=100, offset=len(reasons))
        assert resp.status_code == 200, resp.text
        body = resp.json()
        reasons.update({e["idempotencyKey"]: e["unmatchedReason"] or "" for e in body["events"]})
        if not body["hasMore"] or not body["events"]:
            break
    assert set(reasons) == set(expected), f"unmatched events {sorted(reasons)}, expected {sorted(expected)}"
    wrong = {k: r for k, r in reasons.items() if not r.startswith(expected[k])}
    assert not wrong, f"unmatched reasons {wrong}, expected prefixes {expected}"


@step("cancel")
async def step_cancel(run: Run, spec: dict[str, Any]) -> None:
    """``{"contract", "cancelAt", "effectiveCancellationDate"?, "cancelledInvoiceCount"?}`` →
    ``POST /v1/contracts/{id}/cancel``; then the worker drains."""
    r = await run.api.post(f"/v1/contracts/{run.id_of('contracts', spec['contract'])}/cancel",
                           {"cancelAt": spec["cancelAt"]})
    assert r.status_code == 200, f"{run.scenario['name']}: cancel: {r.text}"
    data = r.json()["data"]
    for key in ("effectiveCancellationDate", "cancelledInvoiceCount"):
        if key in spec:
            assert data[key] == spec[key], f"{run.scenario['name']}: cancel {key}: {data[key]} != {spec[key]}"
    await run.worker.drain()


@step("change_plan")
async def step_change_plan(run: Run, spec: dict[str, Any]) -> None:
    """``{"contract", "plan", "changeOption", "changeDate"?, "prorate"?, "effectiveDate"?}`` →
    ``POST /v1/contracts/{id}/change-plan``; then the worker drains."""
    body: dict[str, Any] = {"planId": run.id_of("plans", spec["plan"]), "changeOption": spec["changeOption"]}
    for key in ("changeDate", "prorate"):
        if key in spec:
            body[key] = spec[key]
    r = await run.api.post(f"/v1/contracts/{run.id_of('contracts', spec['contract'])}/change-plan", body)
    assert r.status_code == 200, f"{run.scenario['name']}: change_plan: {r.text}"
    if "effectiveDate" in spec:
        assert r.json()["data"]["effectiveDate"] == spec["effectiveDate"]
    await run.worker.drain()


from tests.golden import credit_steps  # noqa: E402, F401 - registers the credit step kinds

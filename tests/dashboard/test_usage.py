"""The usage pages through HTTP against the real app on both databases: the Matched/Unmatched/Pending tabs
with reasons, filters and pagination, re-match, "+ Add usage" (the legacy shim's service) and the SVG chart
per meter; roles, CSRF, other organizations and test mode."""

from __future__ import annotations

import re
from typing import Any

from monk.kit.clock import FrozenClock
from tests.conftest import Api
from tests.dashboard.browser import Browser

DAY = "2026-01-10"


def person(name: str, ext: str) -> dict[str, Any]:
    return {"name": name, "externalCustomerId": ext,
            "contacts": [{"email": f"{ext.lower()}@example.com", "roles": ["accounts_payable"]}]}


async def catalog(api: Api, *, key: str | None = None, ext: str = "ACME-1") -> dict[str, Any]:
    """A SUM meter ``API_CALLS`` (event ``api_call``, key ``calls``), its USAGE pricing in a plan and a
    customer ``ext`` on a contract from 2026-01-01."""

    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await api.post(path, body, key=key)
        assert r.status_code == 201, r.text
        data: dict[str, Any] = r.json()["data"]
        return data

    meter = await post("/v1/meters", {"code": "API_CALLS", "displayName": "API calls", "aggregationType": "SUM",
                                      "aggregationKey": "calls", "eventTypeFilter": {"include": ["api_call"]}})
    pricing = await post("/v1/pricing", {"productName": "API", "name": "Calls", "model": "USAGE",
                                         "billingMode": "RECURRING", "priceInterval": "MONTH", "unitAmount": "0.01",
                                         "meterId": meter["id"]})
    plan = await post("/v1/plans", {"name": "API plan", "planCode": "api", "billingFrequency": "MONTHLY",
                                    "pricingIds": [pricing["id"]]})
    customer = await post("/v1/customers", person("Acme Corp", ext))
    await post("/v1/contracts", {"customerId": customer["id"], "planId": plan["id"], "startDate": "2026-01-01"})
    return {"meter": meter, "pricing": pricing, "customer": customer, "plan": plan}


async def send(api: Api, body: dict[str, Any], *, key: str | None = None) -> None:
    r = await api.post("/v1/events", body, key=key)
    assert r.status_code == 202, r.text


async def events(api: Api, **params: object) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (await api.get("/v1/events", limit=100, **params)).json()["events"]
    return listed


def rows(html: str) -> list[str]:
    return re.findall(r'<tr class="event" id="event-[^"]+">(.*?)</tr>', html, re.S)


async def test_matched_and_unmatched_tabs_show_events_with_reasons_then_rematch_moves_them(
        api: Api, admin: Browser, worker: Any) -> None:
    c = await catalog(api)
    await send(api, {"eventName": "api_call", "externalCustomerId": "ACME-1", "idempotencyKey": "m1",
                     "timestamp": f"{DAY}T08:30:00Z", "properties": {"calls": 12}})
    await send(api, {"eventName": "api_call", "externalCustomerId": "NEWCO", "idempotencyKey": "u1",
                     "timestamp": f"{DAY}T09:00:00Z", "properties": {"calls": 5}})
    pending = await admin.get("/usage", tab="pending")
    assert len(rows(pending.text)) == 2 and 'class="badge count-pending">2<' in pending.text
    await worker.drain()

    matched = await admin.get("/usage")
    assert matched.status_code == 200
    [row] = rows(matched.text)
    assert "2026-01-10 08:30 UTC" in row and f'href="/customers/{c["customer"]["id"]}">Acme Corp</a>' in row
    assert "api_call" in row and "calls=12" in row and "ACME-1" in row

    unmatched = await admin.get("/usage", tab="unmatched")
    assert 'class="badge count-unmatched">1<' in unmatched.text
    [row] = rows(unmatched.text)
    assert "NEWCO" in row and "calls=5" in row and "CUSTOMER_NOT_FOUND" in row
    assert "No customer has this customer id or external customer id." in row
    assert 'action="/usage/rematch"' in unmatched.text and 'href="/usage/new"' in unmatched.text

    # An old event naming an external id no customer has yet; the customer, on a contract covering it,
    # takes that id later: older than the automatic re-match window, so only a re-match moves it.
    late = (await api.post("/v1/customers", person("Late Ltd", "LATE-NEW"))).json()["data"]
    assert (await api.post("/v1/contracts", {"customerId": late["id"], "planId": c["plan"]["id"],
                                             "startDate": "2025-01-01"})).status_code == 201
    await send(api, {"eventName": "api_call", "externalCustomerId": "LATE", "idempotencyKey": "u2",
                     "timestamp": "2025-06-01T10:00:00Z", "properties": {"calls": 7}})
    await worker.drain()
    assert (await api.patch(f"/v1/customers/{late['id']}", {"externalCustomerId": "LATE"})).status_code == 200
    await worker.drain()
    assert [e["idempotencyKey"] for e in await events(api, matched="false")] == ["u1", "u2"]
    resp = await admin.submit("/usage/rematch", {"customer": "LATE", "from": "2025-05-01", "to": "2025-06-30"})
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == "/usage?tab=unmatched&customer=LATE&rematched=1"
    assert "1 unmatched event(s) sent back to matching" in (await admin.get(resp.headers["location"])).text
    await worker.drain()
    assert [e["idempotencyKey"] for e in await events(api, matched="false")] == ["u1"]
    moved = await admin.get("/usage", tab="matched", customer="LATE")
    [row] = rows(moved.text)
    assert "2025-06-01 10:00 UTC" in row and "Late Ltd" in row and "calls=7" in row
    assert rows((await admin.get("/usage", tab="unmatched", customer="LATE")).text) == []


async def test_rematch_bad_input_is_400_next_to_the_field_and_changes_nothing(
        api: Api, admin: Browser, worker: Any) -> None:
    await send(api, {"eventName": "api_call", "externalCustomerId": "GHOST", "idempotencyKey": "g1",
                     "timestamp": f"{DAY}T09:00:00Z"})
    await worker.drain()
    for form, field, message in (
            ({"customer": "GHOST", "from": "2026-01-01", "to": "2026-01-31"}, "customer", "not found"),
            ({"customer": "", "from": "2026-01-01", "to": "2026-01-31"}, "customer", "Enter the customer"),
            ({"customer": "GHOST", "from": "2026-13-01", "to": "2026-01-31"}, "from", "YYYY-MM-DD"),
            ({"customer": "GHOST", "from": "2024-01-01", "to": "2026-01-31"}, "to", "366 days")):
        resp = await admin.submit("/usage/rematch", form)
        assert resp.status_code == 400, (form, resp.text)
        assert re.search(rf'<p class="error" id="rme-{field}">[^<]*{message}', resp.text), (form, resp.text)
        assert f'value="{form["customer"]}"' in resp.text
    assert [e["status"] for e in await events(api)] == ["unmatched"]


async def test_filters_and_pagination_are_server_side(api: Api, admin: Browser, worker: Any) -> None:
    await catalog(api)
    batch = [{"eventName": "api_call" if i % 2 else "other", "externalCustomerId": "ACME-1",
              "idempotencyKey": f"e{i}", "timestamp": f"2026-01-{1 + i // 10:02d}T{i % 10:02d}:00:00Z",
              "properties": {"calls": i}} for i in range(60)]
    assert (await api.post("/v1/events/batch", {"events": batch})).status_code == 202
    await send(api, {"eventName": "api_call", "externalCustomerId": "ACME-1", "idempotencyKey": "nometer",
                     "timestamp": "2025-12-01T00:00:00Z"})
    await worker.drain()
    first = await admin.get("/usage", limit=25)
    assert len(rows(first.text)) == 25 and 'rel="next"' in first.text and "1–25" in first.text
    assert "calls=59" in rows(first.text)[0]  # newest first
    last = await admin.get("/usage", limit=25, offset=25)
    assert len(rows(last.text)) == 5 and 'rel="next"' not in last.text and 'rel="prev"' in last.text
    named = await admin.get("/usage", event="other", limit=100)
    assert len(rows(named.text)) == 0  # "other" matches no meter: unmatched
    other = await admin.get("/usage", tab="unmatched", event="other", reason="NO_MATCHING_METER", limit=100)
    assert len(rows(other.text)) == 30 and "No meter of the customer&#39;s plan accepts this event." in other.text
    covered = await admin.get("/usage", tab="unmatched", reason="NO_CONTRACT_COVERS_TIMESTAMP")
    [row] = rows(covered.text)
    assert "2025-12-01 00:00 UTC" in row
    ranged = await admin.get("/usage", **{"from": "2026-01-02", "to": "2026-01-03"})
    assert len(rows(ranged.text)) == 10  # the odd events of Jan 2 and 3
    assert len(rows((await admin.get("/usage", customer="NOBODY")).text)) == 0
    bad = await admin.get("/usage", **{"from": "yesterday"})
    assert bad.status_code == 400 and re.search(r'id="e-from">Enter a date', bad.text)
    assert 'value="yesterday"' in bad.text


async def test_add_usage_records_it_as_the_legacy_shim_does_and_it_is_matched(
        api: Api, admin: Browser, worker: Any, clock: FrozenClock) -> None:
    c = await catalog(api)
    form = await admin.get("/usage/new")
    assert form.status_code == 200
    assert f'<option value="{c["pricing"]["code"]}">{c["pricing"]["code"]} — API · Calls</option>' in form.text
    for name in ("customer", "pricing", "quantity", "timestamp"):
        assert f'<label for="f-{name}">' in form.text
    resp = await admin.submit("/usage/new", {"customer": "ACME-1", "pricing": c["pricing"]["code"],
                                             "quantity": "12.5", "timestamp": "2026-01-14T10:30"})
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == "/usage?tab=matched&customer=ACME-1"
    await worker.drain()
    [event] = await events(api)
    assert event["status"] == "matched" and event["eventName"] == "api_call"
    assert event["customerId"] == c["customer"]["id"] and event["properties"] == {"calls": "12.5"}
    assert event["timestamp"] == "2026-01-14T10:30:00.000Z"
    [row] = rows((await admin.get(resp.headers["location"])).text)
    assert "calls=12.5" in row and "2026-01-14 10:30 UTC" in row


async def test_add_usage_bad_input_is_400_next_to_the_field_and_stores_nothing(api: Api, admin: Browser) -> None:
    c = await catalog(api)
    code = c["pricing"]["code"]
    for form, field, message in (
            ({"customer": "NOBODY", "pricing": code, "quantity": "1"}, "customer", "not found"),
            ({"customer": "ACME-1", "pricing": code, "quantity": "0"}, "quantity", "greater than 0"),
            ({"customer": "ACME-1", "pricing": code, "quantity": "abc"}, "quantity", "positive decimal"),
            ({"customer": "ACME-1", "pricing": "NOPE", "quantity": "1"}, "pricing", "not found"),
            ({"customer": "ACME-1", "pricing": code, "quantity": "1", "timestamp": "2026-01-16T12:00"},
             "timestamp", "1 hour"),
            ({"customer": "ACME-1", "pricing": code, "quantity": "1", "timestamp": "garbage"}, "timestamp", "")):
        resp = await admin.submit("/usage/new", form)
        assert resp.status_code == 400, (form, resp.text)
        assert re.search(rf'<p class="error" id="e-{field}">[^<]*{message}', resp.text), (form, resp.text)
        assert f'value="{form["customer"]}"' in resp.text
    assert await events(api) == []


async def test_chart_draws_one_bar_per_day_with_the_exact_total_in_its_title(
        api: Api, admin: Browser, worker: Any) -> None:
    c = await catalog(api)
    old = (await api.post("/v1/customers", person("Old Co", "OLD-1"))).json()["data"]
    assert (await api.post("/v1/contracts", {"customerId": old["id"], "planId": c["plan"]["id"],
                                             "startDate": "2025-10-01"})).status_code == 201
    sent = (("ACME-1", "2026-01-10T01:00:00Z", 12), ("OLD-1", "2026-01-10T23:59:00Z", "0.5"),
            ("ACME-1", "2026-01-12T05:00:00Z", 3), ("OLD-1", "2025-11-01T05:00:00Z", 1000))
    for i, (ext, ts, calls) in enumerate(sent):
        await send(api, {"eventName": "api_call", "externalCustomerId": ext, "idempotencyKey": f"c{i}",
                         "timestamp": ts, "properties": {"calls": calls}})
    await worker.drain()
    page = await admin.get("/usage/chart", meter=c["meter"]["id"])
    assert page.status_code == 200
    svg = page.text[page.text.index("<svg"):page.text.index("</svg>")]
    assert 'role="img"' in svg and 'aria-label="Usage of meter API_CALLS per day from 2025-12-17 to 2026-01-15' in svg
    assert svg.count('<rect class="bar-day"') == 30
    assert "<title>2026-01-10: 12.5</title>" in svg and "<title>2026-01-12: 3</title>" in svg
    assert "<title>2026-01-11: 0</title>" in svg and "1000" not in svg  # outside the 30 days
    assert 'class="chart-total">15.5<' in page.text
    tall = re.search(r'data-day="2026-01-10"[^>]* height="([\d.]+)"', svg)
    assert tall and float(tall.group(1)) == 260 - 16 - 40  # the highest day fills the plot
    default = await admin.get("/usage/chart")
    assert "<title>2026-01-10: 12.5</title>" in default.text
    week = await admin.get("/usage/chart", meter=c["meter"]["id"], days="7")
    assert week.text.count('<rect class="bar-day"') == 7
    older = await admin.get("/usage/chart", meter=c["meter"]["id"], days="7", to="2025-11-03")
    assert "<title>2025-11-01: 1000</title>" in older.text and "<title>2025-10-28: 0</title>" in older.text
    bad = await admin.get("/usage/chart", meter=c["meter"]["id"], to="soon")
    assert bad.status_code == 400 and re.search(r'id="e-to">Enter a date', bad.text) and "<svg" not in bad.text
    # A resend moves ACME-1's 3 calls from the 12th to the 11th and the 0.5 call of the 10th to 2.25:
    # the day rows follow the re-match.
    await send(api, {"eventName": "api_call", "externalCustomerId": "ACME-1", "idempotencyKey": "c2",
                     "timestamp": "2026-01-11T05:00:00Z", "properties": {"calls": 3}})
    await send(api, {"eventName": "api_call", "externalCustomerId": "OLD-1", "idempotencyKey": "c1",
                     "timestamp": "2026-01-10T23:59:00Z", "properties": {"calls": "2.25"}})
    await worker.drain()
    moved = await admin.get("/usage/chart", meter=c["meter"]["id"])
    assert "<title>2026-01-11: 3</title>" in moved.text and "<title>2026-01-12: 0</title>" in moved.text
    assert "<title>2026-01-10: 14.25</title>" in moved.text and 'class="chart-total">17.25<' in moved.text
    other = await api.new_key(["*"], org="Other")
    theirs = await catalog(api, key=other)
    assert (await admin.get("/usage/chart", meter=theirs["meter"]["id"])).status_code == 404


async def test_viewer_sees_no_actions_and_cannot_post(api: Api, admin: Browser, viewer: Browser,
                                                       worker: Any) -> None:
    c = await catalog(api)
    await send(api, {"eventName": "api_call", "externalCustomerId": "X-1", "idempotencyKey": "v1",
                     "timestamp": f"{DAY}T09:00:00Z"})
    await worker.drain()
    page = await viewer.get("/usage", tab="unmatched")
    assert page.status_code == 200 and len(rows(page.text)) == 1
    assert 'action="/usage/rematch"' not in page.text and 'href="/usage/new"' not in page.text
    assert 'method="post" action="/usage/new"' not in (await viewer.get("/usage/new")).text
    r = await api.post("/v1/customers", person("X", "X-1"))
    assert r.status_code == 201
    await api.post("/v1/events/rematch", {"externalCustomerId": "X-1", "start": "2026-01-01", "end": "2026-01-02"})
    denied = await viewer.submit("/usage/rematch", {"customer": "X-1", "from": "2026-01-01", "to": "2026-01-31"})
    assert denied.status_code == 403
    denied = await viewer.submit("/usage/new", {"customer": "ACME-1", "pricing": c["pricing"]["code"],
                                                "quantity": "1"})
    assert denied.status_code == 403
    no_csrf = await admin.submit("/usage/new", {"customer": "ACME-1", "pricing": c["pricing"]["code"],
                                                "quantity": "1"}, csrf="")
    assert no_csrf.status_code == 403
    assert (await admin.submit("/usage/rematch", {"customer": "X-1", "from": "2026-01-01", "to": "2026-01-31"},
                               csrf="")).status_code == 403
    listed = await events(api)
    assert len(listed) == 1 and listed[0]["status"] == "pending"  # re-queued by the customer's creation only


async def test_test_mode_shows_test_data_only(api: Api, admin: Browser, worker: Any) -> None:
    test_key = await api.new_key(["*"], mode="test")
    c = await catalog(api, key=test_key, ext="TEST-1")
    await send(api, {"eventName": "api_call", "externalCustomerId": "TEST-1", "idempotencyKey": "t1",
                     "timestamp": f"{DAY}T09:00:00Z", "properties": {"calls": 4}}, key=test_key)
    await worker.drain()
    assert rows((await admin.get("/usage")).text) == []
    assert (await admin.get("/usage/chart", meter=c["meter"]["id"])).status_code == 404
    assert 'value="' + c["pricing"]["code"] + '"' not in (await admin.get("/usage/new")).text
    await admin.mode("test")
    [row] = rows((await admin.get("/usage")).text)
    assert "calls=4" in row and "Acme Corp" in row
    assert "<title>2026-01-10: 4</title>" in (await admin.get("/usage/chart", meter=c["meter"]["id"])).text

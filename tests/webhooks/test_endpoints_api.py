"""Webhook endpoint management (an extension in the reference's style): validation, URLs Monk refuses,
scopes, tenancy."""

from __future__ import annotations

from typing import Any

import pytest

from monk.kit.clock import FrozenClock
from monk.webhooks.dispatch import Dispatcher
from monk.webhooks.urls import UnsafeUrl, parse, refusal
from tests.conftest import Api, assert_error
from tests.e2e import scenario as s
from tests.webhooks.conftest import subscribe
from tests.webhooks.receiver import Receiver


def _body(url: str, **extra: Any) -> dict[str, Any]:
    return {"url": url, "eventTypes": ["*"], **extra}


@pytest.mark.parametrize("url, reason", [
    ("http://example.com/hooks", "https://"),
    ("ftp://example.com/hooks", "https://"),
    ("https:///nohost", "https://"),
    ("https://user:pw@example.com/", "credentials"),
    ("https://10.0.0.5/hooks", "private"),
    ("https://192.168.1.10/hooks", "private"),
    ("https://169.254.169.254/latest/meta-data", "private"),  # cloud metadata: link-local
    ("https://[fe80::1]/hooks", "private"),
    ("https://100.64.0.1/hooks", "private"),  # shared address space
    ("https://0.0.0.0/hooks", "unicast"),
    ("https://224.0.0.1/hooks", "unicast"),
    ("https://[::ffff:10.0.0.1]/hooks", "private"),
    ("https://no-such-host.invalid/hooks", "does not resolve"),
    ("https://example.com:99999/", "valid URL"),
])
async def test_urls_monk_refuses(api: Api, url: str, reason: str) -> None:
    err = assert_error(await api.post("/v1/webhooks/endpoints", _body(url)), 400, "VALIDATION_ERROR")
    assert reason in err["message"]
    assert (await api.get("/v1/webhooks/endpoints")).json()["total"] == 0


async def test_loopback_is_allowed_for_development(api: Api) -> None:
    for url in ("http://localhost:8000/hooks", "http://127.0.0.1:9/hooks", "http://[::1]:9/x", "https://127.0.0.1/x"):
        r = await api.post("/v1/webhooks/endpoints", _body(url))
        assert r.status_code == 201, (url, r.text)


def test_private_networks_when_allowed() -> None:
    import ipaddress
    assert refusal(ipaddress.ip_address("10.1.2.3"), allow_private=True) is None
    assert refusal(ipaddress.ip_address("10.1.2.3"), allow_private=False) is not None
    assert refusal(ipaddress.ip_address("8.8.8.8"), allow_private=False) is None
    assert refusal(ipaddress.ip_address("224.0.0.1"), allow_private=True) is not None
    with pytest.raises(UnsafeUrl):
        parse("http://10.0.0.1/")  # plain http only to loopback, whatever the network setting
    assert parse("HTTPS://Example.COM/x") == ("https", "example.com")


@pytest.mark.parametrize("body, field", [
    ({"url": "https://127.0.0.1/x", "eventTypes": []}, "eventTypes"),
    ({"url": "https://127.0.0.1/x", "eventTypes": ["invoice.deleted"]}, "eventTypes"),
    ({"url": "https://127.0.0.1/x", "eventTypes": ["*", "invoice.created"]}, "eventTypes"),
    ({"url": "https://127.0.0.1/x"}, "eventTypes"),
    ({"eventTypes": ["*"]}, "url"),
    ({"url": "https://127.0.0.1/" + "x" * 2100, "eventTypes": ["*"]}, "url"),
    ({"url": "https://127.0.0.1/x", "eventTypes": ["*"], "description": "d" * 501}, "description"),
    ({"url": "https://127.0.0.1/x", "eventTypes": ["*"], "secret": "mine"}, "secret"),
])
async def test_bad_bodies_are_400_naming_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    err = assert_error(await api.post("/v1/webhooks/endpoints", body), 400, "VALIDATION_ERROR")
    assert field in err["message"]


async def test_update_list_delete(api: Api) -> None:
    made = (await api.post("/v1/webhooks/endpoints", _body("https://127.0.0.1/a", eventTypes=[
        "invoice.created", "invoice.created", "invoice.updated"]))).json()["data"]
    assert made["eventTypes"] == ["invoice.created", "invoice.updated"]  # duplicates dropped
    r = await api.patch(f"/v1/webhooks/endpoints/{made['id']}", {"description": "billing", "enabled": False})
    got = r.json()["data"]
    assert (got["description"], got["enabled"], "secret" in got) == ("billing", False, False)
    assert_error(await api.patch(f"/v1/webhooks/endpoints/{made['id']}", {}), 400)
    assert_error(await api.patch(f"/v1/webhooks/endpoints/{made['id']}", {"url": "http://example.com"}), 400)
    assert_error(await api.post(f"/v1/webhooks/endpoints/{made['id']}/test"), 409, "CONFLICT")  # disabled
    listed = (await api.get("/v1/webhooks/endpoints")).json()
    assert (listed["total"], listed["hasMore"], listed["data"][0]["id"]) == (1, False, made["id"])
    assert (await api.delete(f"/v1/webhooks/endpoints/{made['id']}")).json() == {"data": {"success": True}}
    assert_error(await api.get(f"/v1/webhooks/endpoints/{made['id']}"), 404, "NOT_FOUND")
    assert_error(await api.delete(f"/v1/webhooks/endpoints/{made['id']}"), 404, "NOT_FOUND")


async def test_scopes(api: Api) -> None:
    reader = await api.new_key(["webhooks:read"])
    other = await api.new_key(["customers:write"])
    assert_error(await api.post("/v1/webhooks/endpoints", _body("https://127.0.0.1/x"), key=reader), 403, "FORBIDDEN")
    assert_error(await api.get("/v1/webhooks/endpoints", key=other), 403, "FORBIDDEN")
    assert_error(await api.get("/v1/webhooks/deliveries", key=other), 403, "FORBIDDEN")
    assert (await api.get("/v1/webhooks/endpoints", key=reader)).status_code == 200


async def test_endpoints_deliveries_and_payloads_never_cross_organizations_or_modes(
        api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: FrozenClock) -> None:
    mine = await subscribe(api, receiver, "/mine")
    test_key = await api.new_key(["*"], mode="test")
    theirs_key = await api.new_key(["*"], org="Other Org")
    r = await api.post("/v1/webhooks/endpoints", {"url": receiver.url("/test-mode"), "eventTypes": ["*"]},
                       key=test_key)
    receiver.secrets["/test-mode"] = r.json()["data"]["secret"]
    r = await api.post("/v1/webhooks/endpoints", {"url": receiver.url("/theirs"), "eventTypes": ["*"]},
                       key=theirs_key)
    theirs = r.json()["data"]
    receiver.secrets["/theirs"] = theirs["secret"]
    alice = await s.customer(api, "Alice Apps", "alice")
    r = await api.post("/v1/customers", {"name": "Test Customer", "externalCustomerId": "t1", "contacts": [
        {"email": "t@t1.example", "roles": ["accounts_payable"]}]}, key=test_key)
    assert r.status_code == 201
    await dispatcher.drain()
    assert [x.json["id"] for x in receiver.at("/mine")] == [alice["id"]]
    assert [x.json["name"] for x in receiver.at("/test-mode")] == ["Test Customer"]
    assert receiver.at("/theirs") == []
    assert all(x.verified for x in receiver.received)
    # Foreign ids are 404s; lists show only one's own.
    assert_error(await api.get(f"/v1/webhooks/endpoints/{theirs['id']}"), 404)
    assert_error(await api.get(f"/v1/webhooks/endpoints/{mine['id']}", key=test_key), 404)
    assert_error(await api.patch(f"/v1/webhooks/endpoints/{mine['id']}", {"enabled": False}, key=theirs_key), 404)
    [delivery] = (await api.get("/v1/webhooks/deliveries")).json()["data"]
    assert_error(await api.get(f"/v1/webhooks/deliveries/{delivery['id']}", key=theirs_key), 404)
    assert_error(await api.post(f"/v1/webhooks/deliveries/{delivery['id']}/retry", key=test_key), 404)
    assert (await api.get("/v1/webhooks/deliveries", key=theirs_key)).json()["total"] == 0
    assert (await api.get("/v1/webhooks/deliveries", key=test_key)).json()["total"] == 1

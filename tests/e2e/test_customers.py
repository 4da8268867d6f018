"""Customers end to end (reference §5)."""

from __future__ import annotations

from tests.conftest import Api, assert_error

ACME = {"name": "Acme", "externalCustomerId": "acme-1",
        "contacts": [{"name": "Jo", "email": "jo@acme.com", "roles": ["accounts_payable"]}]}


async def test_create_get_list_update(api: Api) -> None:
    r = await api.post("/v1/customers", ACME)
    assert r.status_code == 201, r.text
    c = r.json()["data"]
    assert c["name"] == "Acme" and c["metadata"]["externalCustomerId"] == "acme-1"
    assert c["isPaused"] is False and c["tags"] == [] and c["createdAt"].endswith("Z")
    got = (await api.get(f"/v1/customers/{c['id']}")).json()["data"]
    assert got == c
    lst = (await api.get("/v1/customers", externalCustomerId="acme-1")).json()
    assert lst["total"] == 1 and lst["hasMore"] is False and lst["data"][0]["id"] == c["id"]
    r = await api.patch(f"/v1/customers/{c['id']}", {"tags": ["vip"], "legalName": None})
    assert r.status_code == 200 and r.json()["data"]["tags"] == ["vip"]


async def test_pagination(api: Api) -> None:
    for i in range(3):
        assert (await api.post("/v1/customers", {**ACME, "externalCustomerId": f"x{i}"})).status_code == 201
    body = (await api.get("/v1/customers", limit=2)).json()
    assert len(body["data"]) == 2 and body["hasMore"] is True and body["total"] == 3
    body = (await api.get("/v1/customers", limit=2, offset=2)).json()
    assert len(body["data"]) == 1 and body["hasMore"] is False
    assert_error(await api.get("/v1/customers", limit=101), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/customers", offset=-1), 400, "VALIDATION_ERROR")


async def test_bad_input_stores_nothing(api: Api) -> None:
    bad = [
        {},
        {"name": "A", "contacts": []},
        {"name": "A", "contacts": [{"email": "not-an-email", "roles": ["x"]}]},
        {"name": "A", "contacts": [{"email": "a@b.co", "roles": []}]},
        {**ACME, "provider": "stripe"},
        {**ACME, "unknownField": 1},
        {**ACME, "name": ""},
    ]
    for body in bad:
        assert_error(await api.post("/v1/customers", body), 400, "VALIDATION_ERROR")
    headers = {**api._h(None), "content-type": "application/json"}
    r = await api.client.post("/v1/customers", content=b"{not json", headers=headers)
    assert_error(r, 400, "VALIDATION_ERROR")
    assert (await api.get("/v1/customers")).json()["total"] == 0
    assert (await api.post("/v1/customers", ACME)).status_code == 201
    assert_error(await api.post("/v1/customers", ACME), 409, "CONFLICT")
    cid = (await api.get("/v1/customers")).json()["data"][0]["id"]
    assert_error(await api.patch(f"/v1/customers/{cid}", {}), 400, "VALIDATION_ERROR")
    assert_error(await api.get("/v1/customers/nope"), 404, "NOT_FOUND")

"""Authentication, scopes, tenancy and modes (reference §1.2–1.4)."""

from __future__ import annotations

import pytest

from monk.keys.service import revoke
from tests.conftest import Api, assert_error
from tests.e2e.scenario import customer

MISSING = "Missing or invalid Authorization header. Use: Authorization: Bearer <api_key>"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer "},
                                     {"Authorization": "mk_live_" + "a" * 48}])
async def test_missing_or_malformed_header(api: Api, headers: dict[str, str]) -> None:
    err = assert_error(await api.client.get("/v1/customers", headers=headers), 401, "UNAUTHORIZED")
    assert err["message"] == MISSING


async def test_invalid_revoked_and_unscoped_keys(api: Api, app) -> None:
    err = assert_error(await api.get("/v1/customers", key="mk_live_" + "0" * 48), 401, "UNAUTHORIZED")
    assert err["message"] == "Invalid API key"
    err = assert_error(await api.get("/v1/customers", key="not-a-key"), 401, "UNAUTHORIZED")
    assert err["message"] == "Invalid API key"

    reader = await api.new_key(["customers:read"])
    assert (await api.get("/v1/customers", key=reader)).status_code == 200
    err = assert_error(await api.post("/v1/customers", {"name": "x"}, key=reader), 403, "FORBIDDEN")
    assert err["message"] == "API key does not have the required permission: customers:write"
    err = assert_error(await api.post("/v1/events", {"eventName": "x", "customerId": "c"}, key=reader), 403)
    assert err["message"] == "API key does not have the required permission: usage:write"
    err = assert_error(await api.get("/v1/invoices", key=reader), 403, "FORBIDDEN")
    assert err["message"] == "API key does not have the required permission: invoices:read"

    async with app.state.sessions() as session:
        assert await revoke(session, reader[:20], app.state.clock.now()) == 1
        await session.commit()
    err = assert_error(await api.get("/v1/customers", key=reader), 401, "UNAUTHORIZED")
    assert err["message"] == "API key has been revoked"


@pytest.mark.parametrize("path", ["/v1/customers", "/v1/meters", "/v1/pricing", "/v1/plans", "/v1/contracts",
                                  "/v1/invoices", "/v1/events"])
async def test_every_endpoint_requires_a_key(api: Api, path: str) -> None:
    assert_error(await api.client.get(path), 401, "UNAUTHORIZED")
    if path != "/v1/invoices":
        assert_error(await api.client.post(path, json={}), 401, "UNAUTHORIZED")


async def test_other_organization_and_other_mode_see_nothing(api: Api) -> None:
    c = await customer(api, "Acme", "acme")
    other_org = await api.new_key(["*"], org="other-org")
    test_mode = await api.new_key(["*"], mode="test")
    assert test_mode.startswith("mk_test_") and len(test_mode) == 8 + 48
    for key in (other_org, test_mode):
        assert_error(await api.get(f"/v1/customers/{c['id']}", key=key), 404, "NOT_FOUND")
        assert_error(await api.patch(f"/v1/customers/{c['id']}", {"name": "x"}, key=key), 404, "NOT_FOUND")
        assert_error(await api.get(f"/v1/customers/{c['id']}/upcoming-invoice", key=key), 404, "NOT_FOUND")
        assert (await api.get("/v1/customers", key=key)).json()["total"] == 0
    # The same external id is free in the other mode: the modes hold disjoint data.
    r = await api.post("/v1/customers", {"name": "Acme test", "externalCustomerId": "acme",
                                         "contacts": [{"email": "a@b.co", "roles": ["x"]}]}, key=test_mode)
    assert r.status_code == 201
    assert (await api.get("/v1/customers")).json()["total"] == 1


async def test_health_is_unauthenticated(api: Api) -> None:
    assert (await api.client.get("/health/live")).json() == {"status": "ok"}
    assert (await api.client.get("/health/ready")).json() == {"status": "ok"}


async def test_unknown_route_and_method_use_the_envelope(api: Api) -> None:
    assert_error(await api.get("/v1/nothing-here"), 404, "NOT_FOUND")
    assert_error(await api.client.put("/v1/customers", headers=api._h(None)), 405)

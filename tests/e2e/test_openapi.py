"""The OpenAPI document describes the server truthfully, and /docs works without internet."""

from __future__ import annotations

import re

import httpx
import pytest

from monk.kit.auth import SCOPES

# No API key: health probes, and Stripe's webhooks (verified by their Stripe-Signature instead).
UNSCOPED = {"/health/live", "/health/ready", "/v1/payments/stripe/webhooks/{org_id}/{mode}"}
# Operations only a full-access key may call (the scope ``*``): connecting an organization's Stripe
# account hands over its money, so no narrower scope admits it (issue: getting paid).
FULL_ACCESS = {"/v1/payments/stripe"}
# GET paths without an id whose answer is not the Monk API's list envelope: the events listing (the
# Events API's own list shape) and the Stripe connection (one per organization and mode).
SINGLETONS = {"/v1/events", "/v1/payments/stripe"}


@pytest.fixture
async def client(app: object):  # noqa: ANN201
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://monk.test") as c:  # type: ignore[arg-type]
        yield c


async def operations(client: httpx.AsyncClient) -> list[tuple[str, str, dict]]:
    doc = (await client.get("/openapi.json")).json()
    return [(path, method, op) for path, ops in doc["paths"].items() for method, op in ops.items()]


async def test_every_operation_behind_a_key_names_its_scope_and_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer") and "mk_live_" in scheme["description"]
    ops = await operations(client)
    assert len(ops) >= 30
    for path, method, op in ops:
        if path in UNSCOPED:
            assert "security" not in op and "401" not in op["responses"], (method, path)
            continue
        [scope] = op["x-scopes"]
        assert scope in SCOPES and (scope != "*") == (path not in FULL_ACCESS), (method, path)
        assert op["security"] == [{"bearerAuth": [scope]}], (method, path)
        assert f"`{scope}`" in op["description"]
        assert {"401", "403", "503"} <= set(op["responses"]), (method, path)
    scopes = {(m, p): op["x-scopes"][0] for p, m, op in ops if p not in UNSCOPED}
    assert scopes[("post", "/v1/events")] == scopes[("post", "/v1/events/batch")] == "usage:write"
    assert scopes[("get", "/v1/customers/{customer_id}")] == "customers:read"
    assert scopes[("post", "/v1/contracts")] == "contracts:write"


async def test_errors_are_documented_as_the_server_sends_them(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert schemas["ErrorResponse"]["required"] == ["error"]
    assert set(schemas["ErrorBody"]["required"]) == {"message", "code"}
    for path, method, op in await operations(client):
        responses = op["responses"]
        assert "422" not in responses or path == "/api/v1/usages", (method, path)
        if op.get("parameters") or op.get("requestBody"):
            assert "400" in responses, (method, path)
        if op.get("requestBody"):
            assert "413" in responses, (method, path)
        for status, response in responses.items():
            if status.startswith(("4", "5")) and path not in UNSCOPED:
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorResponse"}, (method, path, status)
    ops = {(m, p): op for p, m, op in await operations(client)}
    assert {"404", "409"} <= set(ops[("post", "/v1/contracts/{contract_id}/cancel")]["responses"])
    assert "409" in ops[("post", "/v1/customers")]["responses"]


async def test_every_success_is_typed_with_the_reference_envelopes(client: httpx.AsyncClient) -> None:
    doc = (await client.get("/openapi.json")).json()
    schemas = doc["components"]["schemas"]

    def resolve(schema: dict) -> dict:
        return schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema

    for path, method, op in await operations(client):
        [(status, response)] = [(s, r) for s, r in op["responses"].items() if s.startswith("2")]
        schema = resolve(response["content"]["application/json"]["schema"])
        assert schema.get("properties"), (method, path, schema)
        if path.startswith("/v1/") and method == "get" and "{" not in path and path not in SINGLETONS:
            assert set(schema["required"]) == {"data", "hasMore", "total"}, path  # a list
            assert schema["properties"]["data"]["type"] == "array"
    customer = schemas["Customer"]
    assert {"id", "name", "createdAt", "metadata"} <= set(customer["properties"])
    assert customer["additionalProperties"] is False
    assert resolve(schemas["Data_Customer_"]["properties"]["data"]) == customer


async def test_docs_load_only_packaged_assets(client: httpx.AsyncClient) -> None:
    for page in ("/docs", "/redoc"):
        html = (await client.get(page)).text
        urls = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert urls, page
        for url in urls:
            assert url.startswith("/docs/assets/"), (page, url)  # nothing from a CDN
            r = await client.get(url)
            assert r.status_code == 200 and len(r.content) > 1000, url
        assert "/openapi.json" in html and "https://" not in html and "http://" not in html
    js = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in js.text and js.headers["content-type"].startswith(("text/javascript",
                                                                                   "application/javascript"))


async def test_an_app_is_freed_once_nothing_uses_it(database_url: str) -> None:
    """Nothing process-wide keeps an app alive (FastAPI caches what it learns of endpoint functions for the
    process's life, so an endpoint closing over its app pinned every app a process ever built)."""
    import gc
    import weakref

    from monk.app import create_app
    from monk.settings import Settings

    application = create_app(Settings(database_url=database_url), run_worker=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="http://monk.test") as c:
        for page in ("/docs", "/redoc", "/openapi.json", "/login", "/health/live"):
            assert (await c.get(page)).status_code == 200, page
    await application.state.engine.dispose()
    freed = weakref.ref(application)
    del application, c
    gc.collect()
    assert freed() is None

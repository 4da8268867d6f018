"""The OpenAPI document as the server really behaves, and the docs UI served from installed assets.

- Security: one HTTP bearer scheme (``bearerAuth``, an ``mk_live_``/``mk_test_`` key); every operation
  behind a key names its scope in its security requirement (OpenAPI 3.1 allows role names there),
  in ``x-scopes`` and in its description, and documents 401 and 403.
- Errors: FastAPI's ``422 HTTPValidationError`` is replaced by the real ``400`` with the documented
  envelope (``ErrorResponse``); every operation lists the statuses it can answer with that envelope:
  400 when it takes parameters or a body, 413 when it takes a body, 429 on the rate-limited Monk API
  (``kit.ratelimit``), 503 when the database is down, and what its route declares (``typed(..., 404, 409)``).
- ``/docs`` (Swagger UI) and ``/redoc`` load their scripts from ``fastapi_offline``'s packaged
  static files under ``/docs/assets``: no CDN, so they work without internet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from monk.kit.ratelimit import is_limited
from monk.kit.schemas import ErrorResponse

SCHEME = "bearerAuth"
ASSETS = "/docs/assets"
_ASSET_DIR = Path(fastapi_offline.__file__).parent / "static"
_DESCRIPTIONS = {
    400: "Invalid request (`VALIDATION_ERROR`); nothing was changed",
    401: "Missing, unknown, revoked or expired API key (`UNAUTHORIZED`)",
    403: "The key lacks the required scope (`FORBIDDEN`)",
    404: "Unknown id, or one of another organization or mode (`NOT_FOUND`)",
    409: "Conflicts with the current state (`CONFLICT`)",
    413: "Request body too large (`PAYLOAD_TOO_LARGE`)",
    422: "Refers to something that cannot be used (`UNPROCESSABLE_ENTITY`)",
    429: "Over the rate limit of the Monk API; retry after `Retry-After` seconds (`RATE_LIMITED`)",
    503: "The database is unavailable; retry after `Retry-After` seconds (`SERVICE_UNAVAILABLE`)",
}
_BODY_MODELS: dict[str, type[BaseModel]] = {}


def error(status: int) -> dict[str, Any]:
    """The ``responses`` entry of an error status: the envelope and what the status means."""
    return {"model": ErrorResponse, "description": _DESCRIPTIONS[status]}


def typed(model: Any, *statuses: int) -> dict[str, Any]:
    """Route keyword arguments: ``model`` as the validated ``response_model`` (the endpoint's dict keeps
    exactly its keys) and the error ``statuses`` this route can answer beyond the automatic ones."""
    return {"response_model": model, "response_model_exclude_unset": True,
            "responses": {s: error(s) for s in statuses}}


def documented(*, status: int, model: type[BaseModel], body: type[BaseModel], scope: str) -> dict[str, Any]:
    """Route keyword arguments for an endpoint that reads its raw request (the ingestion fast path):
    its body, response and scope in the document only, at no cost per request."""
    _BODY_MODELS[body.__name__] = body
    return {"status_code": status, "responses": {status: {"model": model, "description": "Accepted"}},
            "openapi_extra": {"x-scopes": [scope], "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{body.__name__}"}}}}}}


def _api_routes(app: FastAPI) -> list[Any]:
    """Every API route with its full path: FastAPI 0.16x keeps included routers as lazy contexts
    (``iter_route_contexts``); older versions list flat ``APIRoute`` objects."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:
        return [r for r in app.routes if isinstance(r, APIRoute)]
    return [c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)]


def scope_of(route: APIRoute) -> str | None:
    """The scope a route requires: from its ``require(scope)`` dependency or its ``x-scopes``."""
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        scope = getattr(dependant.call, "monk_scope", None)
        if scope:
            return str(scope)
        pending.extend(dependant.dependencies)
    first = ((route.openapi_extra or {}).get("x-scopes") or [None])[0]
    return None if first is None else str(first)


def build(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with security, scopes and the real error responses."""
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    components["securitySchemes"] = {SCHEME: {
        "type": "http", "scheme": "bearer",
        "description": "An API key, `mk_live_` or `mk_test_` and 48 hex characters (`monk keys create`)",
    }}
    if _BODY_MODELS:
        _, defs = models_json_schema([(m, "validation") for m in _BODY_MODELS.values()],
                                     ref_template="#/components/schemas/{model}")
        for name, schema in defs.get("$defs", {}).items():
            schemas.setdefault(name, schema)
    envelope_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    for route in _api_routes(app):
        if not route.include_in_schema:
            continue
        for method in route.methods:
            op = doc["paths"][route.path_format][method.lower()]
            _document(op, route, envelope_ref)
    if "#/components/schemas/HTTPValidationError" not in json.dumps(doc["paths"]):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return doc


def _document(op: dict[str, Any], route: APIRoute, envelope_ref: dict[str, str]) -> None:
    responses = op.setdefault("responses", {})
    if 422 not in route.responses:
        responses.pop("422", None)
    statuses = set()
    if op.get("parameters") or op.get("requestBody"):
        statuses.add(400)
    if op.get("requestBody"):
        statuses.add(413)
    scope = scope_of(route)
    if scope:
        statuses |= {401, 403}
        op["security"] = [{SCHEME: [scope]}]
        op["x-scopes"] = [scope]
        note = f"Requires an API key with the scope `{scope}` (or `*`)."
        op["description"] = f"{op['description']}\n\n{note}" if op.get("description") else note
    if route.path_format != "/health/live":
        statuses.add(503)
    if is_limited(route.path_format):
        statuses.add(429)
    for status in sorted(statuses):
        responses.setdefault(str(status), {"description": _DESCRIPTIONS[status],
                                           "content": {"application/json": {"schema": envelope_ref}}})


def install(app: FastAPI) -> None:
    """Serve the truthful document at ``/openapi.json`` and the docs pages from packaged assets:
    ``/docs`` (Swagger UI), ``/redoc`` and their scripts under ``/docs/assets``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(ASSETS, StaticFiles(directory=_ASSET_DIR), name="docs-assets")

    # The pages read the app from the request, not from this closure: FastAPI caches what it learns of
    # each endpoint function (for the process's life), and a closure over the app would keep it alive.
    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root, served = request.scope.get("root_path", ""), request.app
        return get_swagger_ui_html(
            openapi_url=f"{root}{served.openapi_url}", title=f"{served.title} API",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js", swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS}/favicon.png", swagger_ui_parameters={"persistAuthorization": True},
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root, served = request.scope.get("root_path", ""), request.app
        return get_redoc_html(openapi_url=f"{root}{served.openapi_url}", title=f"{served.title} API",
                              redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{root}{ASSETS}/favicon.png", with_google_fonts=False)

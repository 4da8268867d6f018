"""The ASGI application: the Monk API and the Events API, one error envelope, the in-process worker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from monk.events.batcher import PG_WRITERS, EventBatcher
from monk.keys.service import KeyResolver
from monk.kit import notify, openapi
from monk.kit.clock import Clock
from monk.kit.db import create_engine, is_connection_failure, is_data_error, session_factory
from monk.kit.errors import HttpError, MonkError, ServiceUnavailable, error_response
from monk.kit.limits import BodyLimit
from monk.kit.ratelimit import RateLimit
from monk.kit.schemas import invalid_json
from monk.settings import Settings, get_settings

log = structlog.get_logger("monk")

_HTTP_CODES = {400: "VALIDATION_ERROR", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
               405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 429: "RATE_LIMITED"}


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    only: str | None = None,
    run_worker: bool = True,
) -> FastAPI:
    """Build the app.

    ``only="events"`` serves the Events API alone (its own ingestion tier); ``run_worker`` starts
    the worker inside the server process (the embedded default). ``clock`` is injectable for tests.
    """
    settings = settings or get_settings()
    engine = create_engine(settings.database_url, pool_size=settings.pool_size)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        if run_worker:
            from monk.webhooks.dispatch import Dispatcher
            from monk.worker.runner import Worker

            app.state.worker = Worker(app.state.sessions, clock=app.state.clock, settings=settings)
            app.state.dispatcher = Dispatcher(app.state.sessions, clock=app.state.clock, settings=settings)
            tasks = [asyncio.create_task(app.state.worker.run_forever()),
                     asyncio.create_task(app.state.dispatcher.run_forever())]
        try:
            yield
        finally:
            if tasks:
                app.state.worker.stop()
                app.state.dispatcher.stop()
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):  # attempts in flight: at most 10 s
                    await asyncio.wait_for(asyncio.gather(*tasks), timeout=10)
            await engine.dispose()

    app = FastAPI(
        title="Monk",
        version="0.1.0",
        description="Usage-based billing: meters, pricing, plans, contracts, events and invoices.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    notify.install(app.state.sessions)  # announcing commits wake the embedded worker (kit.notify)
    app.state.clock = clock or Clock()
    app.state.keys = KeyResolver(app.state.sessions, ttl_seconds=settings.key_cache_seconds)  # kit.auth
    app.state.event_batcher = EventBatcher(app.state.sessions,
                                           max_inflight=1 if engine.dialect.name == "sqlite" else PG_WRITERS)
    app.state.worker = None
    app.state.dispatcher = None
    from monk.dashboard.sessions import SessionSigner
    from monk.dashboard.throttle import LoginThrottle

    app.state.web_sessions = SessionSigner.from_settings(settings)  # the dashboard's cookies (dashboard.sessions)
    app.state.login_throttle = LoginThrottle()  # in this process's memory (dashboard.throttle)
    _install_error_handlers(app)
    _include_routers(app, only=only)
    openapi.install(app)  # the document as the server behaves; /docs and /redoc from packaged assets
    from monk.events.endpoints import IngestFastPath, Intake

    # event ingestion without routing overhead (events/endpoints.py)
    app.add_middleware(IngestFastPath, intake=Intake(clock=app.state.clock, batcher=app.state.event_batcher))
    app.add_middleware(BodyLimit, default=settings.max_body_bytes,  # before anything reads a body
                       per_path={"/v1/events/batch": settings.max_batch_body_bytes})
    if settings.rate_limit_per_minute > 0:  # outermost: a limited client costs no more than this
        app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute)
    return app


def _include_routers(app: FastAPI, *, only: str | None) -> None:
    from monk.events.endpoints import router as events_router
    from monk.health import router as health_router

    app.include_router(health_router)
    app.include_router(events_router)
    if only == "events":
        return
    from fastapi.staticfiles import StaticFiles

    from monk.budgets.endpoints import router as budgets_router
    from monk.contracts.endpoints import router as contracts_router
    from monk.costing.endpoints import router as costing_router
    from monk.credits.endpoints import router as credits_router
    from monk.customers.endpoints import router as customers_router
    from monk.dashboard.endpoints import router as dashboard_router
    from monk.dashboard.pages import ROUTERS as dashboard_pages
    from monk.gateway.endpoints import router as gateway_router
    from monk.invoices.endpoints import router as invoices_router
    from monk.legacy_usage.endpoints import router as legacy_usage_router
    from monk.meters.endpoints import router as meters_router
    from monk.payments.endpoints import router as payments_router
    from monk.payments.page_endpoints import router as page_router
    from monk.plans.endpoints import router as plans_router
    from monk.pricing.endpoints import router as pricing_router
    from monk.ratecards.endpoints import router as ratecards_router
    from monk.webhooks.endpoints import router as webhooks_router

    for router in (customers_router, meters_router, pricing_router, plans_router, contracts_router,
                   invoices_router, ratecards_router, costing_router, legacy_usage_router, webhooks_router,
                   credits_router, budgets_router, gateway_router, payments_router, page_router, dashboard_router,
                   *dashboard_pages):
        app.include_router(router)
    # the dashboard's CSS and vendored scripts (htmx), installed with the package
    app.mount("/static", StaticFiles(packages=[("monk.dashboard", "static")]), name="static")


def _error(status: int, code: str, message: str, *, details: Any = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    return error_response(HttpError(status, code, message, details=details, headers=headers))


def _describe(errors: list[dict[str, Any]], body: Any = None) -> list[dict[str, str]]:
    """``[{"field", "message"}]`` for a request's validation errors; a body that is not JSON is reported
    as field ``body`` with the parser's reason and position, not as FastAPI's ``0: JSON decode error``."""
    out = []
    for e in errors:
        if e.get("type") == "json_invalid":
            loc = e.get("loc", ())
            pos = loc[-1] if loc and isinstance(loc[-1], int) else 0
            reason = (e.get("ctx") or {}).get("error") or "not JSON"
            text = body if isinstance(body, str | bytes) else ""
            out.append({"field": "body", "message": invalid_json(text, pos, str(reason))})
            continue
        loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path")]
        out.append({"field": ".".join(loc) or "body", "message": e.get("msg", "invalid")})
    return out


def _install_error_handlers(app: FastAPI) -> None:
    from monk.dashboard.web import LoggedOut, Refused, html_error

    @app.exception_handler(MonkError)
    async def _monk(request: Request, exc: MonkError) -> Response:
        return html_error(request, exc) or error_response(exc)  # a dashboard request gets a page

    @app.exception_handler(LoggedOut)
    @app.exception_handler(Refused)
    async def _dashboard(request: Request, exc: Exception) -> Response:
        return html_error(request, exc) or _error(500, "INTERNAL_ERROR", "Internal error")

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _describe(list(exc.errors()), exc.body)
        first = details[0] if details else {"field": "body", "message": "invalid request"}
        return _error(400, "VALIDATION_ERROR", f"{first['field']}: {first['message']}", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "ERROR")
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        return _error(exc.status_code, code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(ConnectionError)
    @app.exception_handler(OSError)
    async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable", error=str(exc)[:200])
        err = ServiceUnavailable("The database is unavailable; retry later", headers={"Retry-After": "1"})
        return error_response(err)

    @app.exception_handler(DBAPIError)
    @app.exception_handler(Exception)
    async def _internal(_: Request, exc: Exception) -> JSONResponse:
        if is_connection_failure(exc):
            return await _unavailable(_, exc)
        if is_data_error(exc):
            return _error(400, "VALIDATION_ERROR", "A value cannot be stored (for example a NUL character in a "
                          "string, or a number out of range)")
        log.exception("unhandled error", error=str(exc)[:500])
        return _error(500, "INTERNAL_ERROR", "Internal error")


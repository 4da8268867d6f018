"""Typed errors and the one builder of the documented envelope ``{"error": {"message", "code"[,
"details"]}}``: every error response (the app's handlers, the ingestion fast path, the body limit,
the rate limit) is made by ``error_response``."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The envelope ``{"error": {"message", "code"[, "details"]}}`` (``details`` only when not None)."""
    err: dict[str, Any] = {"message": message, "code": code}
    if details is not None:
        err["details"] = details
    return {"error": err}


def error_response(exc: MonkError) -> JSONResponse:
    """The HTTP response of ``exc``: its status, its envelope and its headers (e.g. ``Retry-After``)."""
    return JSONResponse(error_body(exc.code, exc.message, exc.details), status_code=exc.status_code,
                        headers=exc.headers or None)


class MonkError(Exception):
    """Base error: an HTTP status, an UPPER_SNAKE code and a human message."""

    status_code = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class ValidationFailed(MonkError):
    """400: the request is malformed or breaks a documented rule."""

    status_code = 400
    code = "VALIDATION_ERROR"


class Unauthorized(MonkError):
    """401: missing, unknown, revoked or expired API key (reference §1.4)."""

    status_code = 401
    code = "UNAUTHORIZED"


class Forbidden(MonkError):
    """403: the key lacks the scope (reference §1.4)."""

    status_code = 403
    code = "FORBIDDEN"


class NotFound(MonkError):
    """404: unknown id, or an id of another organization or mode (never leaks existence)."""

    status_code = 404
    code = "NOT_FOUND"


class Conflict(MonkError):
    """409: the request conflicts with the current state (duplicates, wrong status)."""

    status_code = 409
    code = "CONFLICT"


class Unprocessable(MonkError):
    """422: well-formed but refers to something that cannot be used (legacy usages endpoint)."""

    status_code = 422
    code = "UNPROCESSABLE_ENTITY"


class ServiceUnavailable(MonkError):
    """503: the database is unreachable; retry after ``Retry-After`` seconds."""

    status_code = 503
    code = "SERVICE_UNAVAILABLE"


class PayloadTooLarge(MonkError):
    """413: the request body is larger than the limit (``kit.limits``)."""

    status_code = 413
    code = "PAYLOAD_TOO_LARGE"


class RateLimited(MonkError):
    """429: too many requests from one client (``kit.ratelimit``); retry after ``Retry-After`` seconds."""

    status_code = 429
    code = "RATE_LIMITED"


class HttpError(MonkError):
    """Any other HTTP status with its code (the framework's own 404/405…, mapped by ``monk.app``)."""

    def __init__(self, status_code: int, code: str, message: str, *, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message, details=details, headers=headers)
        self.status_code = status_code
        self.code = code

"""Typed errors mapped, in one place, to the documented envelope ``{"error": {"message", "code"}}``."""

from __future__ import annotations

from typing import Any


class MonkError(Exception):
    """Base error: an HTTP status, an UPPER_SNAKE code and a human message."""

    status_code = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The response body: ``{"error": {"message", "code"[, "details"]}}``."""
        err: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.details is not None:
            err["details"] = self.details
        return {"error": err}


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

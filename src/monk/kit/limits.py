"""Request body size limits: a body larger than its route allows is refused with 413
``PAYLOAD_TOO_LARGE`` in the error envelope, before it is read into memory.

A declared ``Content-Length`` over the limit is answered at once, without calling the app. A
body without one (chunked) is counted as it streams; once it passes the limit, the app's read
fails and whatever response the app would have sent is replaced by the 413.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monk.kit.errors import PayloadTooLarge, error_response


def _too_large(limit: int) -> JSONResponse:
    return error_response(PayloadTooLarge(f"Request body is larger than {limit} bytes"))


class _Exceeded(Exception):
    """The streamed body passed its limit."""


class BodyLimit:
    """ASGI middleware: at most ``per_path[path]`` (else ``default``) bytes of request body."""

    def __init__(self, app: ASGIApp, *, default: int, per_path: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        self.per_path = dict(per_path or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.default)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        seen = 0
        exceeded = False
        started = False

        async def counted() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    raise _Exceeded
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's own answer to the failed read is replaced by the 413 below
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _Exceeded:
            pass
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await _too_large(limit)(scope, receive, send)

"""API keys, scopes and modes (reference §1.2–1.4): who is calling, and the dependency that says so.

A key is ``mk_live_`` or ``mk_test_`` followed by 48 hex characters. ``invoices:write`` (marking an
invoice paid) is Monk's extension of the reference's scopes. Only its SHA-256 is stored
(the key carries 192 random bits, so a fast hash is enough); the first 16 characters are kept as
a prefix to name it. A key sees its own organization and mode only.

Every authenticated request, on the Monk API (``require``) or the Events API fast path
(``authorize``), resolves its key through the app's one ``Resolver`` (``monk.keys.service.KeyResolver``,
made by ``create_app``) and passes the one policy hook, ``kit.policy.admit``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from starlette.requests import Request

from monk.kit.policy import admit

SCOPES = (
    "*", "customers:read", "customers:write", "invoices:read", "invoices:write", "contracts:read", "contracts:write",
    "plans:read", "plans:write", "meters:read", "meters:write", "pricing:read", "pricing:write",
    "usage:read", "usage:write", "webhooks:read", "webhooks:write",
)
MODES = ("live", "test")
KEY_RE = re.compile(r"^mk_(live|test)_[0-9a-f]{48}$")
MISSING_HEADER = "Missing or invalid Authorization header. Use: Authorization: Bearer <api_key>"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the organization, the mode (``live``/``test``) and the key's scopes."""

    org_id: str
    mode: str
    key_id: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        """Whether the key holds ``scope`` or ``*``."""
        return "*" in self.scopes or scope in self.scopes


class Resolver(Protocol):
    """Resolves an ``Authorization`` header to its principal at ``now`` (raises ``Unauthorized``)."""

    async def resolve(self, authorization: str | None, now: datetime) -> Principal: ...


def hash_key(key: str) -> str:
    """SHA-256 hex digest of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def generate_key(mode: str) -> str:
    """A new key for ``mode``: ``mk_<mode>_`` + 48 hex characters."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}")
    return f"mk_{mode}_{secrets.token_hex(24)}"


async def authorize(request: Request, scope: str) -> Principal:
    """The caller of ``request``, admitted for ``scope``: 401 ``Unauthorized`` / 403 ``Forbidden`` with
    the documented messages. The one way in for both the Monk API and the Events API fast path."""
    state = request.app.state
    keys: Resolver = state.keys
    principal = await keys.resolve(request.headers.get("authorization"), state.clock.now())
    admit(principal, scope)
    return principal


def require(scope: str) -> Callable[[Request], Awaitable[Principal]]:
    """A dependency that authenticates the request and checks ``scope`` (``authorize``); declare it as
    ``Annotated[Principal, Depends(require("customers:read"))]``."""

    async def dependency(request: Request) -> Principal:
        return await authorize(request, scope)

    dependency.monk_scope = scope  # type: ignore[attr-defined]  # read by kit.openapi for the document
    return dependency

"""Dashboard sessions: a signed cookie, with no server-side state.

The cookie ``monk_session`` is ``<payload>.<signature>``: the payload is url-safe base64 of compact JSON
``{"u": user id, "o": organization id, "m": "live"|"test", "i": issued at, "s": last seen, "n": nonce}``
(instants in Unix seconds), the signature HMAC-SHA256 of the payload with a key derived from
``MONK_SECRET_KEY``. Without a secret key the key is random per process: sessions then end when the
process restarts (and, with several server processes, hold only in the one that issued them).

A session whose last request is older than ``MONK_SESSION_IDLE_MINUTES`` is over; each request that
uses it re-issues the cookie with a new ``last seen``. Logging out clears the cookie in the browser;
being stateless, a copied cookie stays valid until its idle timeout.

The CSRF token of a session is HMAC-SHA256 of its user, organization, issue time and nonce (so it does
not change when the mode or ``last seen`` does): every dashboard form carries it as the field ``csrf``.
The login form, sent before any session exists, carries a token bound the same way to a short-lived
signed cookie ``monk_login`` set by ``GET /login``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from monk.settings import Settings

COOKIE = "monk_session"
LOGIN_COOKIE = "monk_login"
MODES = ("live", "test")
_PROCESS_KEY = secrets.token_bytes(32)  # without MONK_SECRET_KEY: sessions last as long as the process


@dataclass(frozen=True)
class WebSession:
    """One signed-in browser: who, which organization, which mode, since when and last seen when."""

    user_id: str
    org_id: str
    mode: str
    issued_at: datetime
    last_seen: datetime
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _ts(instant: datetime) -> int:
    return int(instant.timestamp())


@dataclass(frozen=True)
class SessionSigner:
    """Makes and reads session cookies and CSRF tokens with ``key``; ``idle`` ends unused sessions;
    ``secure`` (``MONK_PUBLIC_URL`` is https) sets the cookie's ``Secure`` flag on every response."""

    key: bytes
    idle: timedelta
    secure: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionSigner:
        """The signer of this process: keyed by ``MONK_SECRET_KEY`` (or a per-process random key)."""
        key = (hmac.new(settings.secret_key.encode(), b"monk dashboard session", hashlib.sha256).digest()
               if settings.secret_key else _PROCESS_KEY)
        return cls(key=key, idle=timedelta(minutes=settings.session_idle_minutes),
                   secure=settings.public_url.lower().startswith("https://"))

    def _sign(self, body: str) -> str:
        return hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()

    def new(self, *, user_id: str, org_id: str, mode: str, now: datetime) -> WebSession:
        """A fresh session (a new nonce, hence a new CSRF token)."""
        return WebSession(user_id=user_id, org_id=org_id, mode=mode, issued_at=now, last_seen=now,
                          nonce=secrets.token_urlsafe(12))

    def dump(self, ws: WebSession) -> str:
        """The cookie value of ``ws``."""
        body = _b64(json.dumps({"u": ws.user_id, "o": ws.org_id, "m": ws.mode, "i": _ts(ws.issued_at),
                                "s": _ts(ws.last_seen), "n": ws.nonce}, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def load(self, cookie: str | None, *, now: datetime) -> WebSession | None:
        """The session in ``cookie``, or None if it is missing, not signed with this key, malformed or
        idle for longer than ``idle``."""
        if not cookie or len(cookie) > 4096:
            return None
        body, _, signature = cookie.partition(".")
        if not body or not hmac.compare_digest(self._sign(body), signature):
            return None
        try:
            data = json.loads(_unb64(body))
            ws = WebSession(user_id=str(data["u"]), org_id=str(data["o"]), mode=str(data["m"]),
                            issued_at=datetime.fromtimestamp(int(data["i"]), tz=UTC),
                            last_seen=datetime.fromtimestamp(int(data["s"]), tz=UTC), nonce=str(data["n"]))
        except (ValueError, KeyError, TypeError, OverflowError, binascii.Error):
            return None
        if ws.mode not in MODES or now - ws.last_seen > self.idle:
            return None
        return ws

    def touch(self, ws: WebSession, *, now: datetime) -> WebSession:
        """``ws`` seen at ``now``."""
        return replace(ws, last_seen=now)

    def csrf(self, ws: WebSession) -> str:
        """The CSRF token of ``ws`` (stable for the session's life; a new login gets a new one)."""
        return self._sign(f"csrf\x00{ws.user_id}\x00{ws.org_id}\x00{_ts(ws.issued_at)}\x00{ws.nonce}")

    def check_csrf(self, ws: WebSession, token: str | None) -> bool:
        """Whether ``token`` is the CSRF token of ``ws``."""
        return bool(token) and hmac.compare_digest(self.csrf(ws), token or "")

    def login_nonce(self) -> tuple[str, str]:
        """``(cookie value, form token)`` for the login form: the token is bound to the cookie."""
        nonce = secrets.token_urlsafe(16)
        return nonce, self._sign(f"login\x00{nonce}")

    def check_login(self, nonce: str | None, token: str | None) -> bool:
        """Whether the login form's ``token`` belongs to the ``monk_login`` cookie ``nonce``."""
        return bool(nonce and token) and hmac.compare_digest(self._sign(f"login\x00{nonce}"), token or "")

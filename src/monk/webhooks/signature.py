"""Monk's webhook signature (reference §13.4): ``X-Monk-Signature: t=<unix seconds>,v1=<hex>``.

``v1`` is the hex HMAC-SHA256 of ``"{t}." + raw body`` with the endpoint's signing secret (the whole
``whsec_…`` string, UTF-8) as key. While a rotated secret overlaps (24 hours), the header carries
one ``v1=`` per secret. Stdlib only: receivers can import this module without the rest of Monk.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets as _random
import time
from collections.abc import Sequence
from typing import Any

SIGNATURE_HEADER = "X-Monk-Signature"
SECRET_PREFIX = "whsec_"
DEFAULT_TOLERANCE_S = 300


class WebhookSignatureError(ValueError):
    """A webhook request that must be refused (answer 401)."""


class MalformedSignatureHeader(WebhookSignatureError):
    """The header is not ``t=<int>,v1=<hex>[,v1=<hex>…]`` (``t`` ASCII digits, ``v1`` 64 hex characters)."""


class TimestampOutsideTolerance(WebhookSignatureError):
    """``t`` is further than the tolerance from now (a replay, or a clock far off)."""


class NoMatchingSignature(WebhookSignatureError):
    """No ``v1`` matches any of the secrets: the body was changed or the secret is wrong."""


class InvalidPayload(WebhookSignatureError):
    """The signature matches but the body is not JSON."""


def new_secret() -> str:
    """A new signing secret: ``whsec_`` and 64 hex characters (256 random bits)."""
    return SECRET_PREFIX + _random.token_hex(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}."`` + ``body`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def sign(body: bytes, secrets: Sequence[str], timestamp: int) -> str:
    """The header value for ``body`` signed at ``timestamp`` (Unix seconds): ``t=…`` then one ``v1=…``
    per secret, in order. Raises ``ValueError`` without secrets."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    return ",".join([f"t={timestamp}", *(f"v1={signature(s, timestamp, body)}" for s in secrets)])


def _parse(header: str) -> tuple[int, list[str]]:
    timestamps: list[str] = []
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            timestamps.append(value.strip())
        elif key == "v1":
            candidates.append(value.strip().lower())
    # ASCII digits only (str.isdigit also takes "²" and other scripts' digits), and a length int() accepts
    if len(timestamps) != 1 or not (timestamps[0].isascii() and timestamps[0].isdigit()) or len(timestamps[0]) > 18:
        raise MalformedSignatureHeader("X-Monk-Signature needs exactly one integer t=")
    hexdigits = set("0123456789abcdef")
    if not candidates or any(len(c) != 64 or not set(c) <= hexdigits for c in candidates):
        raise MalformedSignatureHeader("X-Monk-Signature needs v1= with a 64-character hex digest")
    return int(timestamps[0]), candidates


def verify_signature(payload: bytes, header: str, secrets: str | list[str], tolerance_s: int = DEFAULT_TOLERANCE_S,
                     *, now: float | None = None) -> Any:
    """Check a webhook request and return its parsed JSON body.

    ``payload``: the raw request body (bytes, exactly as received); ``header``: the
    ``X-Monk-Signature`` value; ``secrets``: the endpoint's secret, or a list of them (during a
    rotation); ``tolerance_s``: the largest difference between ``t`` and ``now`` (Unix seconds,
    default the time) that is accepted. Raises ``MalformedSignatureHeader``,
    ``TimestampOutsideTolerance``, ``NoMatchingSignature`` or ``InvalidPayload`` (all
    ``WebhookSignatureError``). Digests are compared in constant time, every pair of them."""
    timestamp, candidates = _parse(header or "")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise TimestampOutsideTolerance("Webhook timestamp outside tolerance window")
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    matched = False
    for key in keys:
        expected = signature(key, timestamp, payload)
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise NoMatchingSignature("No signature matches the webhook's secret")
    try:
        return json.loads(payload)
    except ValueError:
        raise InvalidPayload("The webhook body is not JSON") from None

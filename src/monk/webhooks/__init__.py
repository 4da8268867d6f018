"""Outbound webhooks (reference §13)."""

from monk.webhooks.signature import (
    InvalidPayload,
    MalformedSignatureHeader,
    NoMatchingSignature,
    TimestampOutsideTolerance,
    WebhookSignatureError,
    new_secret,
    sign,
    verify_signature,
)

__all__ = [
    "InvalidPayload", "MalformedSignatureHeader", "NoMatchingSignature", "TimestampOutsideTolerance",
    "WebhookSignatureError", "new_secret", "sign", "verify_signature",
]

"""Payment links (reference §3.3 ``paymentLink``; concepts §18): a signed URL to the payment page of one
invoice, valid for ``MONK_PAYMENT_LINK_DAYS`` (90) days from finalization.

The token is ``<invoice id>.<expiry, Unix seconds>.<signature>``: the signature is HMAC-SHA256 of the
first two parts with a key derived from ``MONK_SECRET_KEY`` (hex, 64 characters). Without a secret key
no link is made (nor could a Stripe connection exist). A link cannot be altered to name another invoice
or a later expiry without the key.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from monk.settings import Settings

PATH = "/pay/"


class LinkRefused(Exception):
    """The token is not one Monk signed (``tampered``) or its time is over (``expired``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PaymentLinks:
    """Makes and checks payment links: ``base_url`` is where clients reach Monk (``MONK_PUBLIC_URL``),
    ``days`` how long a link is valid."""

    key: bytes
    base_url: str
    days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> PaymentLinks | None:
        """The links of this server (None without ``MONK_SECRET_KEY``)."""
        if not settings.secret_key:
            return None
        key = hmac.new(settings.secret_key.encode(), b"monk payment link", hashlib.sha256).digest()
        base = settings.public_url or f"http://{settings.host}:{settings.port}"
        return cls(key=key, base_url=base.rstrip("/"), days=settings.payment_link_days)

    def _sign(self, body: str) -> str:
        return hmac.new(self.key, body.encode(), hashlib.sha256).hexdigest()

    def token(self, invoice_id: str, finalized_at: datetime) -> str:
        """The token of ``invoice_id``'s link, valid ``days`` after ``finalized_at``."""
        body = f"{invoice_id}.{int((finalized_at + timedelta(days=self.days)).timestamp())}"
        return f"{body}.{self._sign(body)}"

    def url(self, invoice_id: str, finalized_at: datetime) -> str:
        """The full payment link of ``invoice_id``."""
        return f"{self.base_url}{PATH}{self.token(invoice_id, finalized_at)}"

    def open(self, token: str, *, now: datetime) -> str:
        """The invoice id a token names. Raises ``LinkRefused`` (``tampered`` or ``expired``)."""
        invoice_id, _, rest = token.partition(".")
        expires, _, signature = rest.partition(".")
        if not (invoice_id and expires.isdigit() and len(expires) <= 12 and signature):
            raise LinkRefused("tampered")
        if not hmac.compare_digest(self._sign(f"{invoice_id}.{expires}"), signature):
            raise LinkRefused("tampered")
        if now >= datetime.fromtimestamp(int(expires), tz=UTC):
            raise LinkRefused("expired")
        return invoice_id

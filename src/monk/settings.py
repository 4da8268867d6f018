"""Runtime settings, read from the environment with the ``MONK_`` prefix."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All of Monk's settings.

    ``database_url`` accepts ``sqlite+aiosqlite:///path`` (the embedded default) or
    ``postgresql+asyncpg://…``; plain ``postgresql://`` and ``sqlite:///`` are normalised.
    """

    model_config = SettingsConfigDict(env_prefix="MONK_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./monk.db"
    host: str = "127.0.0.1"
    port: int = 8080
    log_level: str = "info"
    # Worker: how often it polls for work when nothing wakes it (seconds).
    worker_poll_seconds: float = 0.25
    # Events claimed per worker transaction.
    worker_batch_size: int = 2000
    # After a batch smaller than worker_batch_size (the worker is keeping up with a steady stream),
    # wait this long before the next claim so that events arriving one by one are matched in
    # batches (seconds; 0 = claim again at once). An idle worker still starts at once when woken.
    worker_linger_seconds: float = 0.1
    # Rolling contracts keep this many billing periods of draft invoices ahead of today.
    rolling_horizon_periods: int = 12
    # Grace period for late events after a usage period closes, before its invoice is finalized.
    finalize_grace_seconds: int = 3600
    # Creating a customer or changing its externalCustomerId re-queues its unmatched events with a
    # timestamp at most this many days old (older ones: POST /v1/events/rematch).
    rematch_window_days: int = 90
    # SQL pool size (PostgreSQL).
    pool_size: int = 10
    # Largest request body accepted (bytes); larger ones get 413 before they are read into memory.
    max_body_bytes: int = 1 << 20
    # Largest body of POST /v1/events/batch (bytes): 10,000 events of up to ~2 KiB each.
    max_batch_body_bytes: int = 20 << 20
    # Monk API requests per client IP per minute (reference §1.5; the Events API is unlimited);
    # beyond it 429 RATE_LIMITED with Retry-After. 0 turns rate limiting off.
    rate_limit_per_minute: int = Field(100, ge=0)
    # What a server process serves: "" everything, "events" the Events API alone (its own tier).
    serve_only: Literal["", "events"] = ""
    # Whether a server process runs the worker inside it (``monk serve`` turns it off for
    # ``--no-worker``, ``--only events`` and several processes).
    serve_worker: bool = True
    # The key that seals secrets at rest (a Fernet key: 32 url-safe base64-encoded bytes; ``monk
    # secret-key`` prints a new one). Without it, nothing that stores a secret (a Stripe connection)
    # can be set up; everything else works.
    secret_key: str = ""
    # The daily auto-pay run (concepts §18): invoices dated today are charged from this time of day (UTC;
    # 11:00 = 6:00 AM EST), earlier ones at once. ``monk payments run`` charges today's at any time.
    autopay_time: time = time(11, 0)
    # Where clients reach this Monk (payment links, the payment page); "" = http://{host}:{port}.
    public_url: str = ""
    # The dashboard: a signed-in session ends after this many minutes without a request (sliding).
    session_idle_minutes: int = Field(60, ge=1, le=60 * 24 * 30)
    # How long an invoice's payment link is valid after finalization (days; the docs say 90).
    payment_link_days: int = Field(90, ge=1, le=3650)
    # The PostgreSQL database ``monk bench`` drops, creates and loads ("" = a temporary SQLite file).
    bench_database_url: str = ""
    # How long an API key's resolution is reused (seconds): a revoked key keeps working at most this
    # long on either path (the Monk API and the Events API fast path share one cache). Expiry is
    # checked on every request.
    key_cache_seconds: float = Field(2.0, ge=0)
    # Webhooks (reference §13). Endpoint URLs resolving to private, link-local or otherwise
    # non-public addresses are refused unless this is set (loopback is always allowed, for development).
    webhook_allow_private_networks: bool = False
    # Seconds one attempt may take before it counts as failed (the reference: 10 s).
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=60)
    # Attempts sent at once: by the whole dispatcher, and to any one endpoint (a slow endpoint holds
    # at most its own share).
    webhook_concurrency: int = Field(64, ge=1, le=1000)
    webhook_endpoint_concurrency: int = Field(4, ge=1, le=100)
    # An endpoint whose attempts have all failed for this long is disabled (days).
    webhook_disable_after_days: float = Field(3.0, gt=0)
    # Finished deliveries (and their attempts and events) are deleted after this many days.
    webhook_retention_days: float = Field(30.0, gt=0)
    # How often the dispatcher looks for due deliveries when nothing woke it (seconds).
    webhook_poll_seconds: float = Field(1.0, gt=0)
    # Usage-driven total changes of an open invoice send at most one invoice.updated per this many seconds.
    webhook_coalesce_seconds: float = Field(60.0, ge=0)
    # Emails to customers (invoices, payment notices). The SMTP server: ``smtp://host:port`` (plain, with
    # STARTTLS when the server offers it), ``smtp://user:password@host:port`` (percent-encode special
    # characters), ``smtps://…`` (implicit TLS, port 465 by default), ``?starttls=1`` to require STARTTLS
    # or ``?starttls=0`` to never use it. "" = no SMTP server: nothing is sent, and emails that come due
    # are marked ``skipped`` (never sent later); the worker logs that once.
    smtp_url: str = ""
    # The From header of every email (an address, or ``Name <address>``).
    email_from: str = "Monk <billing@localhost>"
    # Seconds one SMTP operation (connect, a command, a message) may take.
    smtp_timeout_seconds: float = Field(20.0, gt=0, le=300)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str) -> str:
        value = value.strip()
        if value:
            parts = urlsplit(value)
            if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
                raise ValueError("MONK_SMTP_URL must look like smtp://[user:password@]host[:port] or smtps://…")
        return value


def normalise_database_url(url: str) -> str:
    """Return ``url`` with the async driver Monk uses for its dialect.

    ``postgres://``/``postgresql://`` become ``postgresql+asyncpg://``; ``sqlite://`` becomes
    ``sqlite+aiosqlite://``. Other URLs are returned unchanged.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix):]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://"):]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()

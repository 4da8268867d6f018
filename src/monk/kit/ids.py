"""Identifiers: UUIDv7 strings for rows, random request ids."""

from __future__ import annotations

import secrets

import uuid_utils


def new_id() -> str:
    """A new UUIDv7 as its canonical 36-character string (time-ordered)."""
    return str(uuid_utils.uuid7())


def request_id() -> str:
    """A request id as documented for the Events API: ``req_`` + 16 hex characters."""
    return "req_" + secrets.token_hex(8)

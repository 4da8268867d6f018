"""Fixtures of the payment tests: a real SMTP server (the app served over HTTP, ``served``, is in
``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.peers.smtp import SmtpPeer, smtp_peer


@pytest.fixture
def smtp() -> Iterator[SmtpPeer]:
    """A real SMTP server on loopback (``aiosmtpd``) with an empty inbox."""
    with smtp_peer() as peer:
        yield peer

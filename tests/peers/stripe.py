"""A running ``localstripe`` (``tests.peers.localstripe_server``) for the payment tests: the
``stripe`` SDK is pointed at it with ``api_base``; its webhooks are configured at
``/_config/webhooks/{id}`` and signed as Stripe signs them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.peers.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class StripePeer:
    """A localstripe server on ``base`` (``http://127.0.0.1:PORT``)."""

    base: str
    process: subprocess.Popen[bytes]

    def reset(self) -> None:
        """Forget every object and webhook endpoint the server holds."""
        httpx.delete(f"{self.base}/_config/data", timeout=10).raise_for_status()

    def send_webhooks_to(self, url: str, secret: str, *, name: str = "monk", events: list[str] | None = None) -> None:
        """Have the server POST its events (signed with ``secret``) to ``url``."""
        data: dict[str, object] = {"url": url, "secret": secret}
        if events is not None:
            data["events"] = events
        httpx.post(f"{self.base}/_config/webhooks/{name}", json=data, timeout=10).raise_for_status()

    def stop(self) -> None:
        """Stop the server (a Stripe outage); ``start_stripe_peer`` can start another on the same port."""
        self.process.terminate()
        self.process.wait(timeout=10)


def _spawn(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "tests.peers.localstripe_server", "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_stripe_peer(port: int | None = None) -> StripePeer:
    """Start a localstripe server on ``port`` (a free one when None) and wait until it answers."""
    port = port or free_port()
    process = _spawn(port)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{base}/v1/customers", headers={"Authorization": "Bearer sk_test_ready"}, timeout=1)
            return StripePeer(base, process)
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("localstripe did not start") from None
            time.sleep(0.1)


@contextmanager
def stripe_peer() -> Iterator[StripePeer]:
    """A localstripe server for the block's duration."""
    peer = start_stripe_peer()
    try:
        yield peer
    finally:
        if peer.process.poll() is None:
            peer.stop()

"""A running ``localstripe`` (``tests.peers.localstripe_server``) for the payment tests: the
``stripe`` SDK is pointed at it with ``api_base``; its webhooks are configured at
``/_config/webhooks/{id}`` and signed as Stripe signs them."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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
    state: Path

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
        """Stop the server (a Stripe outage); ``restart`` brings it back with its data."""
        self.process.terminate()
        self.process.wait(timeout=10)

    def restart(self) -> None:
        """Start the stopped server again on the same address, with the objects it held."""
        self.process = start_stripe_peer(int(self.base.rsplit(":", 1)[1]), self.state).process


def _spawn(port: int, state: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, "-m", "tests.peers.localstripe_server", "--port", str(port),
                             "--state", str(state)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_stripe_peer(port: int | None = None, state: Path | None = None) -> StripePeer:
    """Start a localstripe server on ``port`` (a free one when None) keeping its objects in ``state``
    (a new temporary file when None; the same file brings a stopped server back with its data) and
    wait until it answers."""
    port = port or free_port()
    state = state or Path(tempfile.mkdtemp(prefix="localstripe-")) / "state.pickle"
    process = _spawn(port, state)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{base}/v1/customers", headers={"Authorization": "Bearer sk_test_ready"}, timeout=1)
            return StripePeer(base, process, state)
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

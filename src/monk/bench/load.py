"""The load driver: run as its own process (``python -m monk.bench.load CONFIG.json``), so the load
never shares a Python interpreter with the server it measures.

One phase per run, named in the config:

- ``batch``: ``events`` unique events in requests of ``size`` over ``connections`` connections to
  ``POST /v1/events/batch``; a batch answered 503 (or cut off) is resent, same keys, after
  ``Retry-After``, as a real client would;
- ``single``: ``POST /v1/events`` over ``connections`` connections for ``seconds`` (at most
  ``max_events``), one unique key per request;
- ``reads``: ``requests`` × ``GET /v1/customers/{id}/upcoming-invoice`` over ``connections``.

During ``batch`` and ``single`` a probe sends one event at a time for its own customer and polls that
customer's upcoming invoice until the event is counted: the event-to-invoice latency (send to visible).

Writes a JSON result (throughput, latency percentiles, status counts, which keys were acknowledged)
to ``out``. Every loop is bounded by ``time_limit`` seconds.

Event keys are deterministic so the runner can check the database afterwards: batch events are
``b000000000``…, single events ``s{connection:03d}-{n:07d}``, probe events ``p{n:06d}``; event ``n``
carries ``tokens = 1 + n % 7``.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
from datetime import UTC, datetime
from typing import Any

from monk.bench.http import ConnectionLost, HttpConnection

EVENT_NAME = "api_call"


def tokens(n: int) -> int:
    """The ``tokens`` property of event number ``n`` (so the runner can predict invoice totals)."""
    return 1 + n % 7


def tokens_sum(count: int) -> int:
    """Σ tokens(n) for n in [0, count)."""
    full, rest = divmod(count, 7)
    return full * 28 + rest * (rest + 1) // 2


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def event_json(key: str, customer: str, n: int, timestamp: str) -> str:
    """One event as JSON text (built by hand: the driver must stay cheap)."""
    return ('{"eventName":"' + EVENT_NAME + '","externalCustomerId":"' + customer + '","idempotencyKey":"' + key
            + '","timestamp":"' + timestamp + '","properties":{"tokens":' + str(tokens(n)) + ',"model":"gpt-4o"}}')


def batch_key(n: int) -> str:
    return f"b{n:09d}"


def single_key(conn: int, n: int) -> str:
    return f"s{conn:03d}-{n:07d}"


def percentiles(values: list[float]) -> dict[str, float | None]:
    """p50, p99 and max of ``values`` (nearest rank), or Nones when empty."""
    if not values:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    s = sorted(values)

    def rank(p: float) -> float:
        return s[max(0, math.ceil(p * len(s)) - 1)]

    return {"p50": rank(0.50), "p99": rank(0.99), "max": s[-1], "n": len(s)}


class Probe:
    """Event-to-invoice latency: send one probe event, poll the upcoming invoice until it is counted."""

    def __init__(self, cfg: dict[str, Any], auth: str) -> None:
        self.cfg = cfg
        self.send = HttpConnection(cfg["host"], cfg["port"], authorization=auth)
        self.poll = HttpConnection(cfg["host"], cfg["port"], authorization=auth)
        self.samples: list[float] = []
        self.timeouts = 0
        self.errors = 0
        self.sent = int(cfg.get("already_sent", 0))
        self.acked: list[int] = []
        self.stop = False
        self.timeout = float(cfg.get("probe_timeout", 30.0))

    async def _quantity(self, request: bytes) -> float:
        status, _, body = await self.poll.send(request)
        if status != 200:
            return -1
        data = json.loads(body).get("data") or {}
        return sum(float(li.get("quantity") or 0) for li in data.get("lineItems", []) if li.get("isMetered"))

    async def run(self, deadline: float) -> None:
        cfg = self.cfg
        read = self.poll.build("GET", f"/v1/customers/{cfg['probe_customer_id']}/upcoming-invoice")
        timeout = float(cfg.get("probe_timeout", 30.0))
        expected = await self._quantity(read)
        while not self.stop and time.monotonic() < deadline:
            n = self.sent
            body = event_json(f"p{n:06d}", cfg["probe_customer"], 0, _now_iso()).encode()  # tokens(0) = 1
            t0 = time.monotonic()
            try:
                status, _, _ = await self.send.send(self.send.build("POST", "/v1/events", body))
            except (ConnectionLost, OSError):
                status = 0
            self.sent += 1
            if status != 202:
                self.errors += 1
                await asyncio.sleep(0.2)
                continue
            self.acked.append(n)
            expected += 1  # probe events carry tokens = 1
            while time.monotonic() - t0 < timeout and time.monotonic() < deadline + timeout:
                try:
                    got = await self._quantity(read)
                except (ConnectionLost, OSError, ValueError):
                    got = -1
                if got >= expected:
                    self.samples.append(time.monotonic() - t0)
                    break
                await asyncio.sleep(0.02)
            else:
                self.timeouts += 1
                expected = await self._quantity(read)  # resynchronise
            await asyncio.sleep(float(cfg.get("probe_interval", 0.1)))

    def result(self) -> dict[str, Any]:
        """Latencies in seconds; a probe not seen within the timeout counts as the timeout (a lower bound)."""
        return {"seconds": percentiles(self.samples + [self.timeout] * self.timeouts),
                "answered": percentiles(self.samples), "timeout": self.timeout, "timeouts": self.timeouts,
                "errors": self.errors, "sent": self.sent, "acked": self.acked}


async def _batch(cfg: dict[str, Any], auth: str, deadline: float) -> dict[str, Any]:
    total, size, conns = int(cfg["events"]), int(cfg["size"]), int(cfg["connections"])
    customer = cfg["customer"]
    n_batches = math.ceil(total / size)
    next_batch = 0
    acked: list[int] = []
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    retries = 0

    def body(i: int) -> bytes:
        ts = _now_iso()
        lo, hi = i * size, min(total, (i + 1) * size)
        return ('{"events":[' + ",".join(event_json(batch_key(n), customer, n, ts) for n in range(lo, hi))
                + "]}").encode()

    async def worker() -> None:
        nonlocal next_batch, retries
        conn = HttpConnection(cfg["host"], cfg["port"], authorization=auth)
        while next_batch < n_batches and time.monotonic() < deadline:
            i = next_batch
            next_batch += 1
            request = conn.build("POST", "/v1/events/batch", body(i))
            for attempt in range(10):
                t0 = time.monotonic()
                try:
                    status, headers, _ = await conn.send(request)
                except (ConnectionLost, OSError):
                    status, headers = 0, {}
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if status == 202:
                    latencies.append(time.monotonic() - t0)
                    acked.append(i)
                    break
                if time.monotonic() >= deadline or attempt == 9:
                    break
                retries += 1
                await asyncio.sleep(min(float(headers.get("retry-after", "0.5") or 0.5), 2.0))

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conns)))
    seconds = time.monotonic() - t0
    events = sum(min(size, total - i * size) for i in acked)
    return {"events": events, "seconds": seconds, "events_per_second": events / seconds if seconds else 0,
            "requests": len(acked), "latency_ms": {k: (v * 1000 if isinstance(v, float) else v)
                                                   for k, v in percentiles(latencies).items()},
            "statuses": statuses, "retries": retries, "acked_batches": sorted(acked), "size": size,
            "total": total}


async def _single(cfg: dict[str, Any], auth: str, deadline: float) -> dict[str, Any]:
    conns, customers = int(cfg["connections"]), list(cfg["customers"])
    max_events = int(cfg.get("max_events", 10**9))
    end = min(deadline, time.monotonic() + float(cfg["seconds"]))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sent: dict[str, int] = {}
    failed: dict[str, list[int]] = {}
    count = 0

    async def worker(c: int) -> None:
        nonlocal count
        conn = HttpConnection(cfg["host"], cfg["port"], authorization=auth)
        n = 0
        while time.monotonic() < end and count < max_events:
            count += 1
            body = event_json(single_key(c, n), customers[(c + n) % len(customers)], n, _now_iso()).encode()
            t0 = time.monotonic()
            try:
                status, _, _ = await conn.send(conn.build("POST", "/v1/events", body))
            except (ConnectionLost, OSError):
                status = 0
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status == 202:
                latencies.append(time.monotonic() - t0)
            else:
                failed.setdefault(str(c), []).append(n)
                if status in (0, 503):
                    await asyncio.sleep(0.2)
            n += 1
            sent[str(c)] = n

    t0 = time.monotonic()
    await asyncio.gather(*(worker(c) for c in range(conns)))
    seconds = time.monotonic() - t0
    ok = len(latencies)
    return {"events": ok, "seconds": seconds, "events_per_second": ok / seconds if seconds else 0,
            "latency_ms": {k: (v * 1000 if isinstance(v, float) else v) for k, v in percentiles(latencies).items()},
            "statuses": statuses, "sent": sent, "failed": failed}


async def _reads(cfg: dict[str, Any], auth: str, deadline: float) -> dict[str, Any]:
    total, conns = int(cfg["requests"]), int(cfg["connections"])
    path = f"/v1/customers/{cfg['customer_id']}/upcoming-invoice"
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    last: dict[str, Any] = {}
    done = 0

    async def worker() -> None:
        nonlocal done, last
        conn = HttpConnection(cfg["host"], cfg["port"], authorization=auth)
        request = conn.build("GET", path)
        while done < total and time.monotonic() < deadline:
            done += 1
            t0 = time.monotonic()
            try:
                status, _, body = await conn.send(request)
            except (ConnectionLost, OSError):
                status, body = 0, b""
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status == 200:
                latencies.append(time.monotonic() - t0)
                last = json.loads(body)

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(conns)))
    seconds = time.monotonic() - t0
    data = (last or {}).get("data") or {}
    quantity = sum(float(li.get("quantity") or 0) for li in data.get("lineItems", []) if li.get("isMetered"))
    return {"requests": len(latencies), "seconds": seconds, "statuses": statuses, "quantity": quantity,
            "latency_ms": {k: (v * 1000 if isinstance(v, float) else v) for k, v in percentiles(latencies).items()}}


async def run(cfg: dict[str, Any]) -> dict[str, Any]:
    """Run the configured phase (with the probe during writes) and return its result."""
    auth = f"Bearer {cfg['key']}"
    deadline = time.monotonic() + float(cfg.get("time_limit", 600))
    phase = cfg["phase"]
    probe = Probe(cfg, auth) if cfg.get("probe_customer_id") and phase in ("batch", "single") else None
    probe_task = asyncio.create_task(probe.run(deadline)) if probe else None
    try:
        if phase == "batch":
            result = await _batch(cfg, auth, deadline)
        elif phase == "single":
            result = await _single(cfg, auth, deadline)
        elif phase == "reads":
            result = await _reads(cfg, auth, deadline)
        else:
            raise SystemExit(f"unknown phase {phase!r}")
    finally:
        if probe is not None and probe_task is not None:
            probe.stop = True
            try:
                await asyncio.wait_for(probe_task, timeout=float(cfg.get("probe_timeout", 30.0)) + 5)
            except TimeoutError:
                pass
    if probe is not None:
        result["probe"] = probe.result()
    return result


def main() -> None:
    """``python -m monk.bench.load CONFIG.json``: run one phase, write the result to ``out``."""
    cfg = json.loads(open(sys.argv[1]).read())  # noqa: SIM115 - tiny file
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop comes with uvicorn[standard]
        result = asyncio.run(run(cfg))
    else:
        result = uvloop.run(run(cfg))
    with open(cfg["out"], "w") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()

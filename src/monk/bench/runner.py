"""``monk bench``: start the real server on a fresh database, drive the load from a separate process,
check every acknowledged event is stored exactly once, and print one table.

The run, in order:
1. a fresh database: a new SQLite file, or (``MONK_BENCH_DATABASE_URL``) the named PostgreSQL
   database dropped and created again, then migrated;
2. the raw baseline: the batch phase's rows written straight into ``events`` (``raw``), then removed;
3. ``monk serve`` (production settings: warning logs, no access log; ``--workers``; the worker
   in-process or as its own ``monk worker`` process) and, through the API, one meter (SUM of
   ``tokens``), one usage price, one plan and contracts for a big customer, a probe customer and
   eight more;
4. batch phase: ``events`` events for the big customer, 1,000 per request over 8 connections,
   with the event-to-invoice probe running;
5. the worker drains what is pending; then ``upcoming-invoice`` of the big customer (holding every
   batch event in its current period) is read ``reads`` times, and its total is checked;
6. single phase: ``POST /v1/events`` over 64 connections for ``single_seconds``, with the probe;
7. the server is stopped and the database is counted: every acknowledged key must be stored, once;
   no key that was never sent may appear. Any failure here exits non-zero.
Memory: the summed RSS of the server's processes (and the worker's) is sampled throughout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

from monk.bench import raw
from monk.bench.load import batch_key, single_key, tokens_sum
from monk.bench.rss import RssSampler, cpu_seconds, tree

TARGETS = {"batch_eps": 40_000, "batch_ratio": 0.25, "single_eps": 3_000, "single_p99_ms": 50.0,
           "e2i_p99_s": 2.0, "reads_p99_ms": 50.0, "rss_mb": 300.0}
SINGLE_CUSTOMERS = [f"bench-s{i}" for i in range(8)]


class BenchFailed(Exception):
    """The run could not complete or its verification failed."""


@dataclass
class Options:
    """What ``monk bench`` runs (see its ``--help``)."""

    database_url: str | None = None
    events: int = 1_000_000
    batch_size: int = 1_000
    batch_connections: int = 8
    single_seconds: float = 20.0
    single_connections: int = 64
    reads: int = 1_000
    workers: int = 1
    separate_worker: bool = True
    drain_timeout: float = 600.0
    phase_time_limit: float = 900.0
    keep: bool = False
    wallets: bool = False
    json_path: str | None = None
    results: dict[str, Any] = field(default_factory=dict)


# --- the database -------------------------------------------------------------------------------


class Database:
    """The fresh benchmark database: created, migrated, queried for verification, dropped."""

    def __init__(self, url: str | None, workdir: Path) -> None:
        self.pg = url is not None
        if url is None:
            self.url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        else:
            u = make_url(url).set(drivername="postgresql+asyncpg")
            if not u.database or u.database in ("postgres", "template0", "template1"):
                raise BenchFailed("MONK_BENCH_DATABASE_URL must name a database the benchmark may drop and create")
            self.url = u.render_as_string(hide_password=False)
            self.name = u.database
            self.admin_dsn = u.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
            self.dsn = u.set(drivername="postgresql").render_as_string(hide_password=False)

    def create(self) -> None:
        from monk.kit.migrate import upgrade

        if self.pg:
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)',
                                    f'CREATE DATABASE "{self.name}"'))
        upgrade(self.url)

    def drop(self) -> None:
        if self.pg:
            asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    async def _admin(self, *statements: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(self.admin_dsn)
        try:
            for s in statements:
                await conn.execute(s)
        finally:
            await conn.close()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Rows of one read-only query (``$1``-free SQL valid on both databases)."""
        if self.pg:
            return asyncio.run(self._pg_query(sql))
        db = sqlite3.connect(self.url.split(":///", 1)[1], timeout=30)
        try:
            return list(db.execute(sql).fetchall())
        finally:
            db.close()

    async def _pg_query(self, sql: str) -> list[tuple[Any, ...]]:
        import asyncpg

        conn = await asyncpg.connect(self.dsn)
        try:
            return [tuple(r) for r in await conn.fetch(sql)]
        finally:
            await conn.close()

    def describe(self) -> str:
        if not self.pg:
            return f"SQLite {sqlite3.sqlite_version} (file, WAL)"
        version = self.query("SHOW server_version")[0][0]
        return f"PostgreSQL {version.split()[0]}"


async def _bootstrap(url: str) -> tuple[str, str]:
    """The default organization and an all-scopes live key: ``(org_id, key)``."""
    from monk.keys.service import create_key, default_organization
    from monk.kit.clock import Clock
    from monk.kit.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            now = Clock().now()
            org, _ = await default_organization(s, name=None, now=now)
            key = await create_key(s, org_id=org.id, mode="live", scopes=["*"], now=now)
            await s.commit()
            return org.id, key
    finally:
        await engine.dispose()


# --- the server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _monk_command() -> list[str]:
    exe = Path(sys.executable).with_name("monk")
    return [str(exe)] if exe.exists() else [sys.executable, "-c", "from monk.cli import app; app()"]


class Server:
    """``monk serve`` (and optionally ``monk worker``) as child processes."""

    def __init__(self, db_url: str, workdir: Path, *, workers: int, separate_worker: bool) -> None:
        self.port = _free_port()
        # The load drives the Monk API (reads, polls) far beyond 100 requests a minute from one IP.
        self.env = {**os.environ, "MONK_DATABASE_URL": db_url, "MONK_LOG_LEVEL": "warning",
                    "MONK_RATE_LIMIT_PER_MINUTE": "0"}
        self.log = open(workdir / "server.log", "ab")  # noqa: SIM115 - closed in stop()
        cmd = [*_monk_command(), "serve", "--port", str(self.port), "--workers", str(workers)]
        if separate_worker:
            cmd.append("--no-worker")
        self.procs = [subprocess.Popen(cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                       start_new_session=True)]
        if separate_worker or workers > 1:
            self.procs.append(subprocess.Popen([*_monk_command(), "worker"], env=self.env, stdout=self.log,
                                               stderr=subprocess.STDOUT, start_new_session=True))

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu(self) -> tuple[float, float]:
        """CPU seconds used so far by the API server processes and by the worker process."""
        api = cpu_seconds(tree([self.procs[0].pid]))
        worker = cpu_seconds(tree([p.pid for p in self.procs[1:]])) if len(self.procs) > 1 else 0.0
        return api, worker

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for p in self.procs:
                if p.poll() is not None:
                    raise BenchFailed(f"server exited with {p.returncode}; see {self.log.name}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.base + "/health/ready", timeout=1).status_code == 200:
                    return
            time.sleep(0.2)
        raise BenchFailed("server did not become ready")

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        self.log.close()


WALLET_GRANT_CENTS = 10_000_000_000  # $100,000,000: no contract's wallet runs dry during a run


def _setup(base: str, key: str, *, wallets: bool = False) -> dict[str, str]:
    """Meter, price, plan, customers and contracts through the API; returns customer ids by external id.
    With ``wallets`` every contract starts with paid credits, so every rebuild draws them down."""
    h = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=h, timeout=30) as c:
        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            r = c.post(path, json=body)
            if r.status_code != 201:
                raise BenchFailed(f"setup {path}: {r.status_code} {r.text[:300]}")
            data: dict[str, Any] = r.json()["data"]
            return data

        meter = post("/v1/meters", {"code": "BENCH_TOKENS", "displayName": "Tokens", "aggregationType": "SUM",
                                    "aggregationKey": "tokens", "eventTypeFilter": {"include": ["api_call"]}})
        price = post("/v1/pricing", {"productName": "Tokens", "name": "Tokens", "model": "USAGE",
                                     "billingMode": "RECURRING", "priceInterval": "MONTH", "unitAmount": "0.001",
                                     "meterId": meter["id"]})
        plan = post("/v1/plans", {"name": "Bench", "planCode": "bench", "billingFrequency": "MONTHLY",
                                  "pricingIds": [price["id"]]})
        start = datetime.now(UTC).date().replace(day=1).isoformat()
        ids: dict[str, str] = {}
        for ext in ["bench-big", "bench-probe", *SINGLE_CUSTOMERS]:
            cust = post("/v1/customers", {"name": ext, "externalCustomerId": ext,
                                          "contacts": [{"email": f"billing@{ext}.example",
                                                        "roles": ["accounts_payable"]}]})
            post("/v1/contracts", {"customerId": cust["id"], "planId": plan["id"], "startDate": start,
                                   **({"creditGrantCents": WALLET_GRANT_CENTS} if wallets else {})})
            ids[ext] = cust["id"]
    return ids


def _load(phase: str, cfg: dict[str, Any], workdir: Path, time_limit: float) -> dict[str, Any]:
    path = workdir / f"load-{phase}.json"
    out = workdir / f"result-{phase}.json"
    path.write_text(json.dumps({**cfg, "phase": phase, "out": str(out), "time_limit": time_limit}))
    try:
        subprocess.run([sys.executable, "-m", "monk.bench.load", str(path)], check=True, timeout=time_limit + 120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise BenchFailed(f"load driver ({phase}) failed: {exc}") from exc
    figures: dict[str, Any] = json.loads(out.read_text())
    return figures


def _wait_drained(db: Database, timeout: float) -> tuple[float, int, int]:
    """Wait until no event is pending; returns (seconds waited, events still pending, events
    pending when the wait began: the worker's backlog at the end of the phase)."""
    t0 = time.monotonic()
    pending = backlog = -1
    while time.monotonic() - t0 < timeout:
        pending = int(db.query("SELECT count(*) FROM events WHERE status = 'pending'")[0][0])
        backlog = pending if backlog < 0 else backlog
        if pending == 0:
            break
        time.sleep(0.5)
    return time.monotonic() - t0, pending, backlog


def _cpu_per_event(result: dict[str, Any], before: tuple[float, float], after: tuple[float, float]) -> None:
    n = max(1, result["events"])
    result["api_cpu_us_per_event"] = (after[0] - before[0]) / n * 1e6
    result["worker_cpu_us_per_event"] = (after[1] - before[1]) / n * 1e6
    result["api_cpu_cores"] = (after[0] - before[0]) / max(result["seconds"], 1e-9)


# --- verification -------------------------------------------------------------------------------


def _batch_keys(result: dict[str, Any], indexes: Iterable[int]) -> Iterator[str]:
    size, total = result["size"], result["total"]
    for i in indexes:
        for n in range(i * size, min(total, (i + 1) * size)):
            yield batch_key(n)


def verify(db: Database, org_id: str, batch: dict[str, Any], single: dict[str, Any]) -> dict[str, Any]:
    """Count the stored events against what was acknowledged and what was sent."""
    acked: set[str] = set(_batch_keys(batch, batch["acked_batches"]))
    sent: set[str] = set(_batch_keys(batch, range(-(-batch["total"] // batch["size"]))))
    for c, count in single["sent"].items():
        failed = set(single["failed"].get(c, []))
        for n in range(count):
            k = single_key(int(c), n)
            sent.add(k)
            if n not in failed:
                acked.add(k)
    for phase in (batch, single):
        probe = phase.get("probe") or {}
        acked.update(f"p{n:06d}" for n in probe.get("acked", []))
        sent.update(f"p{n:06d}" for n in range(probe.get("sent", 0)))
    stored_rows = db.query(f"SELECT idempotency_key FROM events WHERE org_id = '{org_id}' AND mode = 'live'")
    stored = [r[0] for r in stored_rows]
    stored_set = set(stored)
    duplicates = int(db.query("SELECT count(*) FROM (SELECT org_id, mode, idempotency_key FROM events "
                              "GROUP BY org_id, mode, idempotency_key HAVING count(*) > 1) d")[0][0])
    total_rows = int(db.query("SELECT count(*) FROM events")[0][0])
    missing = acked - stored_set
    unknown = stored_set - sent
    return {"acknowledged": len(acked), "stored": len(stored), "total_rows": total_rows,
            "missing": len(missing), "missing_sample": sorted(missing)[:10], "duplicates": duplicates + (
                len(stored) - len(stored_set)), "never_sent": len(unknown), "never_sent_sample": sorted(unknown)[:10],
            "ok": not missing and not duplicates and len(stored) == len(stored_set) and not unknown}


# --- the table ----------------------------------------------------------------------------------


def _n(v: float | None, digits: int = 0) -> str:
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def _mark(ok: bool | None) -> str:
    return "" if ok is None else ("met" if ok else "**missed**")


def table(r: dict[str, Any]) -> str:
    """The result table (Markdown)."""
    b, s, raw_ = r["batch"], r["single"], r["raw"]
    reads, e2i_b, e2i_s = r["reads"], b.get("probe", {}), s.get("probe", {})
    ratio = b["events_per_second"] / raw_["rows_per_second"] if raw_["rows_per_second"] else 0
    ver = r["verification"]
    rows = [
        ("batch ingestion, 1,000/request, 8 connections", f"{_n(b['events_per_second'])} events/s",
         f"≥ {TARGETS['batch_eps']:,}", _mark(b["events_per_second"] >= TARGETS["batch_eps"])),
        ("  batch request latency p50 / p99", f"{_n(b['latency_ms']['p50'])} / {_n(b['latency_ms']['p99'])} ms",
         "", ""),
        ("  CPU per event: API server / worker (during the phase)",
         f"{_n(b.get('api_cpu_us_per_event'), 1)} / {_n(b.get('worker_cpu_us_per_event'), 1)} µs", "", ""),
        (f"raw baseline ({raw_['method']})", f"{_n(raw_['rows_per_second'])} rows/s", "", ""),
        ("  batch ingestion / raw baseline", f"{ratio:.1%}", f"≥ {TARGETS['batch_ratio']:.0%}",
         _mark(ratio >= TARGETS["batch_ratio"])),
        ("single events, 64 connections", f"{_n(s['events_per_second'])} events/s", f"≥ {TARGETS['single_eps']:,}",
         _mark(s["events_per_second"] >= TARGETS["single_eps"])),
        ("  single latency p50 / p99", f"{_n(s['latency_ms']['p50'], 1)} / {_n(s['latency_ms']['p99'], 1)} ms",
         f"p99 ≤ {TARGETS['single_p99_ms']:.0f} ms",
         _mark(s["latency_ms"]["p99"] is not None and s["latency_ms"]["p99"] <= TARGETS["single_p99_ms"])),
        ("  CPU per event: API server / worker (during the phase)",
         f"{_n(s.get('api_cpu_us_per_event'), 1)} / {_n(s.get('worker_cpu_us_per_event'), 1)} µs", "", ""),
    ]
    for label, p in (("batch", e2i_b), ("single", e2i_s)):
        if p:
            sec, cap = p["seconds"], p.get("timeout", 30.0)

            def shown(v: float | None, cap: float = cap) -> str:
                return "–" if v is None else (f"≥ {cap:.0f}" if v >= cap else f"{v:.2f}")

            extra = f", {p['timeouts']} not seen within {cap:.0f} s" if p.get("timeouts") else ""
            rows.append((f"event → invoice p50 / p99, during {label} phase",
                         f"{shown(sec['p50'])} / {shown(sec['p99'])} s (n={sec['n']}{extra})", "p99 ≤ 2 s",
                         _mark(sec["p99"] is not None and sec["p99"] <= TARGETS["e2i_p99_s"])))
    drained = r["drain"]
    rows += [
        (f"upcoming invoice at {b['events']:,} events, p50 / p99",
         f"{_n(reads['latency_ms']['p50'], 1)} / {_n(reads['latency_ms']['p99'], 1)} ms",
         f"p99 ≤ {TARGETS['reads_p99_ms']:.0f} ms",
         _mark(reads["latency_ms"]["p99"] is not None and reads["latency_ms"]["p99"] <= TARGETS["reads_p99_ms"]
               and r["invoice_ok"])),
        ("  worker backlog at the end of the batch phase, drained in",
         f"{drained.get('backlog', -1):,} events, {drained['seconds']:.1f} s ({drained['pending']:,} still pending)",
         "", ""),
        ("  upcoming invoice total after the drain",
         ("correct" if r["invoice_ok"] else f"wrong ({_n(reads['quantity'])} ≠ {_n(r['invoice_expected'])})"),
         "", ""),
        ("peak server RSS (all server processes) / largest process",
         f"{r['rss']['peak_total_mb']:.0f} / {r['rss']['peak_process_mb']:.0f} MB", f"< {TARGETS['rss_mb']:.0f} MB",
         _mark(r["rss"]["peak_total_mb"] < TARGETS["rss_mb"])),
        ("acknowledged events missing / stored twice / never sent",
         f"{ver['missing']} / {ver['duplicates']} / {ver['never_sent']} (of {ver['acknowledged']:,} acknowledged)",
         "0 / 0 / 0", _mark(ver["ok"])),
    ]
    head = (f"Monk ingestion benchmark — {r['database']}; {r['machine']}; commit {r['commit']}; {r['date']}; "
            f"server: {r['server']}\n\n")
    w0 = max(len(x[0]) for x in rows)
    w1 = max(len(x[1]) for x in rows)
    lines = [f"| {'metric'.ljust(w0)} | {'result'.ljust(w1)} | target | |",
             f"|{'-' * (w0 + 2)}|{'-' * (w1 + 2)}|---|---|"]
    lines += [f"| {a.ljust(w0)} | {b_.ljust(w1)} | {c} | {d} |" for a, b_, c, d in rows]
    return head + "\n".join(lines)


def _machine() -> str:
    cpus = os.cpu_count() or 0
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " " + line.split(":", 1)[1].strip()
                break
    return f"{cpus} CPUs{model}{mem}, Python {platform.python_version()}"


def _commit() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=5, cwd=Path(__file__).resolve().parent)
        if out.returncode == 0:
            return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    return "unknown"


# --- the run ------------------------------------------------------------------------------------


def run(opts: Options, *, echo: Any = print) -> dict[str, Any]:
    """Run the whole benchmark; returns the results (``table(results)`` prints them).

    Raises ``BenchFailed`` when a step fails or the verification finds a missing or doubled event.
    """
    workdir = Path(tempfile.mkdtemp(prefix="monk-bench-"))
    db = Database(opts.database_url, workdir)
    results: dict[str, Any] = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": _machine(),
                               "commit": _commit()}
    server: Server | None = None
    sampler: RssSampler | None = None
    try:
        echo(f"fresh database: {'PostgreSQL ' + db.name if db.pg else db.url}")
        db.create()
        results["database"] = db.describe()
        org_id, key = asyncio.run(_bootstrap(db.url))
        echo(f"raw baseline: {opts.events:,} rows straight into events …")
        results["raw"] = raw.baseline(db.url, opts.events, org_id=org_id, customer="bench-big")
        echo(f"  {results['raw']['rows_per_second']:,.0f} rows/s")
        server = Server(db.url, workdir, workers=opts.workers, separate_worker=opts.separate_worker)
        results["server"] = (f"monk serve --workers {opts.workers}, worker "
                             + ("in its own process" if opts.separate_worker or opts.workers > 1 else "in-process")
                             + ("; a credit wallet on every contract" if opts.wallets else ""))
        server.wait_ready()
        sampler = RssSampler([p.pid for p in server.procs]).start()
        ids = _setup(server.base, key, wallets=opts.wallets)
        common = {"host": "127.0.0.1", "port": server.port, "key": key, "probe_customer": "bench-probe",
                  "probe_customer_id": ids["bench-probe"], "probe_timeout": 30.0, "probe_interval": 0.1}
        results["options"] = {"events": opts.events, "probe_timeout": common["probe_timeout"]}

        echo(f"batch phase: {opts.events:,} events, {opts.batch_size:,} per request, "
             f"{opts.batch_connections} connections …")
        cpu0 = server.cpu()
        batch = _load("batch", {**common, "events": opts.events, "size": opts.batch_size,
                                "connections": opts.batch_connections, "customer": "bench-big"},
                      workdir, opts.phase_time_limit)
        results["batch"] = batch
        _cpu_per_event(batch, cpu0, server.cpu())
        echo(f"  {batch['events_per_second']:,.0f} events/s; waiting for the worker to match them …")
        waited, pending, backlog = _wait_drained(db, opts.drain_timeout)
        results["drain"] = {"seconds": waited, "pending": pending, "backlog": backlog}
        echo(f"  backlog {backlog:,}, drained in {waited:.1f} s ({pending} pending)")

        echo(f"reads: {opts.reads} × upcoming invoice of the big customer …")
        reads = _load("reads", {**common, "requests": opts.reads, "connections": 1,
                                "customer_id": ids["bench-big"], "probe_customer_id": None}, workdir,
                      opts.phase_time_limit)
        results["reads"] = reads
        results["invoice_expected"] = tokens_sum(opts.events) if batch["events"] == opts.events else None
        results["invoice_ok"] = results["invoice_expected"] is not None and abs(
            reads["quantity"] - results["invoice_expected"]) < 1e-6

        echo(f"single phase: {opts.single_seconds:.0f} s over {opts.single_connections} connections …")
        cpu0 = server.cpu()
        single = _load("single", {**common, "seconds": opts.single_seconds, "connections": opts.single_connections,
                                  "customers": SINGLE_CUSTOMERS,
                                  "already_sent": batch.get("probe", {}).get("sent", 0)},
                       workdir, opts.phase_time_limit)
        results["single"] = single
        _cpu_per_event(single, cpu0, server.cpu())
        echo(f"  {single['events_per_second']:,.0f} events/s")
    finally:
        if sampler is not None:
            sampler.stop()
            results["rss"] = {"peak_total_mb": sampler.peak_total_mb, "peak_process_mb": sampler.peak_process_mb,
                              "samples": sampler.samples}
        if server is not None:
            server.stop()
    try:
        results["verification"] = verify(db, org_id, results["batch"], results["single"])
    finally:
        if not opts.keep:
            db.drop()
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            echo(f"kept: {workdir} and the database {db.url}")
    if opts.json_path:
        Path(opts.json_path).write_text(json.dumps(
            {k: v for k, v in results.items()}, default=str, indent=1))
    return results

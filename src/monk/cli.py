"""The ``monk`` command: serve, worker, migrate, keys, users, stripe, payments, emails, secret-key."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

import typer

from monk.kit.clock import Clock, iso_ms
from monk.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from monk.email.send import SendReport
    from monk.models.organization import Organization
    from monk.payments.autopay import RunReport

T = TypeVar("T")

app = typer.Typer(help="Monk: usage-based billing.", no_args_is_help=True, add_completion=False)
keys = typer.Typer(
    help="Create, list and revoke API keys. A key is shown once, when it is created: only its hash is stored, so a "
         "lost key cannot be shown again. Find it by its prefix with `monk keys list`, revoke it with "
         "`monk keys revoke <prefix>` and create a new one with `monk keys create`.",
    no_args_is_help=True,
)
app.add_typer(keys, name="keys")


def _die(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code=1)


async def _check_migrated(url: str) -> None:
    from monk.kit.db import create_engine
    from monk.kit.migrate import current_revision, head_revision

    engine = create_engine(url)
    try:
        current = await current_revision(engine)
    finally:
        await engine.dispose()
    if current != head_revision():
        state = "is not migrated" if current is None else f"is at revision {current}, not {head_revision()}"
        _die(f"error: the database {state}. Run `monk migrate` first (MONK_DATABASE_URL={url}).")


FIRST_ADMIN_EMAIL = "admin@localhost"


def _with_session(work: Callable[[AsyncSession], Awaitable[T]], *, check: bool = True) -> T:
    """Run ``work`` in one session on the configured database (after checking it is migrated, unless
    ``check`` is false), commit when it returns, dispose of the engine; its value is returned and its
    exceptions propagate (nothing committed)."""
    from monk.kit.db import create_engine, session_factory

    settings = get_settings()
    if check:
        asyncio.run(_check_migrated(settings.database_url))

    async def main() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as s:
                result = await work(s)
                await s.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(main())


async def _organization(s: AsyncSession, name: str | None, now: datetime) -> Organization:
    """The organization named ``name`` (created when new), else the default one."""
    from monk.keys.service import default_organization

    org, _ = await default_organization(s, name=name, now=now)
    return org


async def _bootstrap(url: str) -> tuple[list[str], str | None]:
    """On first start: the default organization and one live and one test key (all scopes); and, while
    the database has no user, the first dashboard admin (``FIRST_ADMIN_EMAIL``) of the default
    organization with a generated password. Returns ``(keys made, that password or None)``."""
    from monk.keys import repository as keys
    from monk.keys.service import create_key, default_organization
    from monk.kit.db import create_engine, session_factory
    from monk.users.service import create_user, generate_password, has_users

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as s:
            now = Clock().now()
            org, created = await default_organization(s, name=None, now=now)
            made: list[str] = []
            if created or not await keys.count(s):
                made = [await create_key(s, org_id=org.id, mode=m, scopes=["*"], now=now) for m in ("live", "test")]
            password = None
            if not await has_users(s):
                password = generate_password()
                await create_user(s, email=FIRST_ADMIN_EMAIL, org_id=org.id, role="admin", password=password,
                                  now=now)
            await s.commit()
            return made, password
    finally:
        await engine.dispose()


@app.command()
def migrate() -> None:
    """Migrate the database (MONK_DATABASE_URL, default ./monk.db) to the newest schema."""
    from monk.kit.migrate import upgrade

    url = get_settings().database_url
    upgrade(url)
    typer.echo(f"migrated {url}")


@app.command()
def serve(
    host: str = typer.Option(None, help="bind address (default 127.0.0.1)"),
    port: int = typer.Option(None, help="port (default 8080)"),
    only: str = typer.Option(None, help="'events' serves the Events API alone (no in-process worker)"),
    workers: int = typer.Option(1, help="number of server processes"),
    no_worker: bool = typer.Option(False, "--no-worker", help="do not run the worker in-process"),
) -> None:
    """Serve the Monk API and the Events API (OpenAPI UI at /docs) with the worker in-process."""
    import os

    import uvicorn

    settings = get_settings()
    if only not in (None, "events"):
        _die("error: --only accepts 'events'")
    asyncio.run(_check_migrated(settings.database_url))
    made, admin_password = asyncio.run(_bootstrap(settings.database_url))
    for key in made:
        typer.echo(f"created API key ({key[3:7]} mode, all scopes; shown once): {key}")
    if admin_password is not None:
        login_url = (settings.public_url.rstrip("/") or f"http://{host or settings.host}:{port or settings.port}")
        typer.echo(f"created dashboard admin {FIRST_ADMIN_EMAIL} (shown once): sign in at {login_url}/login "
                   f"with password {admin_password}")
    # The server processes read these as Settings.serve_only / serve_worker (monk.asgi).
    os.environ["MONK_SERVE_ONLY"] = only or ""
    os.environ["MONK_SERVE_WORKER"] = "0" if (no_worker or only == "events" or workers > 1) else "1"
    get_settings.cache_clear()
    host, port = host or settings.host, port or settings.port
    typer.echo(f"Monk listening on http://{host}:{port} (docs at /docs)")
    uvicorn.run("monk.asgi:app", host=host, port=port, workers=workers, log_level=settings.log_level,
                access_log=False, factory=False)


@app.command()
def worker() -> None:
    """Run the worker alone (usage matching, draft horizons, finalization, webhook delivery, emails) until
    interrupted."""
    from monk.kit.db import create_engine, session_factory
    from monk.kit.notify import install
    from monk.webhooks.dispatch import Dispatcher
    from monk.worker.runner import Worker

    settings = get_settings()
    asyncio.run(_check_migrated(settings.database_url))

    async def main() -> None:
        engine = create_engine(settings.database_url, pool_size=settings.pool_size)
        sessions = session_factory(engine)
        install(sessions)  # this process's commits wake its own loops at once
        clock = Clock()
        try:
            await asyncio.gather(Worker(sessions, clock=clock, settings=settings).run_forever(),
                                 Dispatcher(sessions, clock=clock, settings=settings).run_forever())
        finally:
            await engine.dispose()

    typer.echo("Monk worker running")
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass


@app.command()
def bench(
    events: int = typer.Option(1_000_000, help="events in the batch phase (all for one customer)"),
    batch_size: int = typer.Option(1_000, help="events per batch request"),
    batch_connections: int = typer.Option(8, help="connections in the batch phase"),
    single_seconds: float = typer.Option(20.0, help="length of the single-event phase (seconds)"),
    single_connections: int = typer.Option(64, help="connections in the single-event phase"),
    reads: int = typer.Option(1_000, help="upcoming-invoice reads after the batch phase"),
    workers: int = typer.Option(1, help="server processes (more than 1 runs the worker as its own process)"),
    in_process_worker: bool = typer.Option(False, "--in-process-worker",
                                           help="run the worker inside the server (default: `monk worker` beside it)"),
    drain_timeout: float = typer.Option(600.0, help="longest wait for the worker after the batch phase (seconds)"),
    json_path: str = typer.Option(None, "--json", help="also write every figure to this JSON file"),
    keep: bool = typer.Option(False, "--keep", help="keep the database and the server log"),
    wallets: bool = typer.Option(False, "--wallets", help="give every contract a credit wallet (paid credits)"),
) -> None:
    """Benchmark ingestion against a fresh database and print one table (docs/benchmarks.md).

    PostgreSQL when MONK_BENCH_DATABASE_URL is set (that database is dropped and created again),
    else a temporary SQLite file. Exits 1 if any acknowledged event is missing or stored twice.
    """
    from monk.bench.runner import BenchFailed, Options, run, table

    opts = Options(database_url=get_settings().bench_database_url or None, events=events,
                   batch_size=batch_size, batch_connections=batch_connections, single_seconds=single_seconds,
                   single_connections=single_connections, reads=reads, workers=workers,
                   separate_worker=not in_process_worker, drain_timeout=drain_timeout, json_path=json_path, keep=keep,
                   wallets=wallets)
    try:
        results = run(opts, echo=lambda m: typer.echo(m, err=True))
    except BenchFailed as exc:
        _die(f"bench failed: {exc}")
    typer.echo(table(results))
    if not results["verification"]["ok"]:
        _die(f"bench failed: acknowledged events are missing or stored twice: {results['verification']}")


@app.command("bench-pages")
def bench_pages(
    customers: int = typer.Option(10_000, help="customers (one contract each)"),
    invoices: int = typer.Option(100_000, help="invoices, spread over the contracts"),
    events: int = typer.Option(1_000_000, help="usage events over the last 90 days (5% unmatched)"),
    samples: int = typer.Option(30, help="timed requests per page (after one warm-up)"),
) -> None:
    """Benchmark the dashboard: seed the volume, then time every page's server time (p50/p95/max in ms,
    docs/benchmarks.md). PostgreSQL when MONK_BENCH_DATABASE_URL is set (dropped and created again),
    else a temporary SQLite file."""
    from monk.bench.pages import run as run_pages
    from monk.bench.pages import table as pages_table
    from monk.bench.runner import BenchFailed

    try:
        database, results = run_pages(get_settings().bench_database_url or None, customers=customers,
                                      invoices=invoices, events=events, samples=samples,
                                      echo=lambda m: typer.echo(m, err=True))
    except BenchFailed as exc:
        _die(f"bench failed: {exc}")
    typer.echo(pages_table(database, results))


@app.command("bench-webhooks")
def bench_webhooks(
    deliveries: int = typer.Option(5_000, help="deliveries in the backlog"),
    endpoints: int = typer.Option(10, help="fast endpoints the events fan out to"),
    rounds: int = typer.Option(2, help="runs of each scenario"),
) -> None:
    """Benchmark webhook delivery: deliveries per second to a local receiver, and with one hanging
    endpoint (docs/benchmarks.md). PostgreSQL when MONK_BENCH_DATABASE_URL is set (dropped and
    created again), else a temporary SQLite file."""
    from monk.bench.webhooks import run as run_webhooks
    from monk.bench.webhooks import table as webhooks_table

    results = run_webhooks(get_settings().bench_database_url or None, deliveries=deliveries, endpoints=endpoints,
                           rounds=rounds)
    typer.echo(webhooks_table(results))


@keys.command("create")
def keys_create(
    scopes: str = typer.Option(..., help="comma-separated scopes, e.g. usage:write,invoices:read or *"),
    mode: str = typer.Option("live", help="live | test"),
    org: str = typer.Option(None, help="organization name (default: the default organization)"),
    name: str = typer.Option(None, help="a label to tell the key apart (at most 100 characters), e.g. 'billing sync'"),
) -> None:
    """Create an API key and print only the key on stdout (it is not shown again)."""
    from monk.keys.service import create_key

    async def work(s: AsyncSession) -> str:
        now = Clock().now()
        o = await _organization(s, org, now)
        return await create_key(s, org_id=o.id, mode=mode, scopes=[x.strip() for x in scopes.split(",") if x.strip()],
                                now=now, name=name)

    try:
        key = _with_session(work)
    except ValueError as exc:
        _die(f"error: {exc}")
    sys.stdout.write(key + "\n")


def _when(instant: datetime | None) -> str:
    return iso_ms(instant) if instant is not None else "-"


@keys.command("list")
def keys_list(
    org: str = typer.Option(None, help="only this organization's keys (by name)"),
    active: bool = typer.Option(False, "--active", help="leave out revoked keys"),
) -> None:
    """List API keys, oldest first: prefix, organization, mode, scopes, created, last used, revoked, expires, name.

    The keys themselves cannot be shown (only their hashes are stored). A lost key is found here by
    its prefix (the first 16 characters): revoke it with `monk keys revoke <prefix>` and create a new
    one with `monk keys create`. "Last used" is recorded to the minute.
    """
    from monk.keys.service import list_keys

    found = _with_session(lambda s: list_keys(s, org=org, include_revoked=not active))
    rows = [("PREFIX", "ORG", "MODE", "SCOPES", "CREATED", "LAST USED", "REVOKED", "EXPIRES", "NAME")]
    rows += [(k.prefix, k.organization, k.mode, ",".join(k.scopes), _when(k.created_at), _when(k.last_used_at),
              _when(k.revoked_at), _when(k.expires_at), k.name or "-") for k in found]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    if len(rows) == 1:
        typer.echo("(no keys; create one with `monk keys create --scopes '*'`)", err=True)


@keys.command("revoke")
def keys_revoke(key_prefix: str = typer.Argument(..., help="the key or its first characters (at least 12)")) -> None:
    """Revoke the key(s) starting with KEY_PREFIX."""
    from monk.keys.service import revoke

    if len(key_prefix) < 12:
        _die("error: give at least the first 12 characters of the key")
    n = _with_session(lambda s: revoke(s, key_prefix, Clock().now()), check=False)
    if n == 0:
        _die("error: no active key starts with that prefix")
    typer.echo(f"revoked {n} key(s)")


users_app = typer.Typer(help="Create dashboard users (sign in at /login).", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("create")
def users_create(
    email: str = typer.Option(..., help="the user's email (compared case-insensitively)"),
    org: str = typer.Option(None, help="organization name (default: the default organization)"),
    role: str = typer.Option("admin", help="admin | viewer"),
    password: str = typer.Option(None, help="the password (default: a generated one)"),
) -> None:
    """Create a dashboard user with ROLE in the organization and print only its password on stdout.

    A new user gets PASSWORD, or a generated one. An existing user gets the membership (or its new role)
    and, when --password is given, that password (printed); without --password it keeps its own and
    nothing is printed on stdout.
    """
    from monk.users.service import ROLES, create_user, generate_password, user_exists

    if role not in ROLES:
        _die(f"error: --role must be one of {', '.join(ROLES)}")

    async def work(s: AsyncSession) -> str | None:
        now = Clock().now()
        o = await _organization(s, org, now)
        given = password if password is not None else (None if await user_exists(s, email) else generate_password())
        await create_user(s, email=email, org_id=o.id, role=role, password=given, now=now)
        return given

    try:
        shown = _with_session(work)
    except ValueError as exc:
        _die(f"error: {exc}")
    if shown is None:
        typer.echo("existing user: membership set, password unchanged", err=True)
    else:
        sys.stdout.write(shown + "\n")


stripe_app = typer.Typer(help="Connect an organization's payments to Stripe (concepts §18).", no_args_is_help=True)
app.add_typer(stripe_app, name="stripe")


@stripe_app.command("connect")
def stripe_connect(
    mode: str = typer.Option(..., help="live | test (test keys for test mode, live keys for live)"),
    secret_key: str = typer.Option(..., help="the Stripe secret (sk_…) or restricted (rk_…) key of that mode"),
    webhook_secret: str = typer.Option(..., help="the signing secret (whsec_…) of the webhook endpoint at Stripe"),
    publishable_key: str = typer.Option(None, help="the publishable key (pk_…) the payment page's card form uses"),
    api_base: str = typer.Option(None, help="a Stripe-compatible server's URL (default: Stripe)"),
    org: str = typer.Option(None, help="organization name (default: the default organization)"),
) -> None:
    """Connect an organization's mode to a Stripe account; its secrets are sealed with MONK_SECRET_KEY.
    The last line printed is the URL path at which Monk receives that organization's Stripe webhooks."""
    from monk.gateway.schemas import StripeConnect
    from monk.gateway.service import connect, webhook_path
    from monk.kit.errors import MonkError

    if mode not in ("live", "test"):
        _die("error: --mode must be live or test")

    async def work(s: AsyncSession) -> str:
        now = Clock().now()
        o = await _organization(s, org, now)
        body = StripeConnect(secret_key=secret_key, webhook_secret=webhook_secret,
                             publishable_key=publishable_key, api_base=api_base)
        await connect(s, o.id, mode, body, server_key=get_settings().secret_key, now=now)
        return webhook_path(o.id, mode)

    try:
        path = _with_session(work)
    except (MonkError, ValueError) as exc:
        _die(f"error: {exc}")
    typer.echo(f"connected {mode} mode to Stripe; register this webhook endpoint path at Stripe:")
    typer.echo(path)


payments_app = typer.Typer(help="Collect payments through Stripe (concepts §18).", no_args_is_help=True)
app.add_typer(payments_app, name="payments")


@payments_app.command("run")
def payments_run() -> None:
    """Run the auto-pay run now: settle payments whose outcome is unknown, then charge every finalized
    invoice dated today or earlier on a contract with auto-pay on. Exits 1 when some could not be
    charged for a reason other than a decline (Stripe unreachable, no connection): the next run retries them."""
    from monk.kit.db import create_engine, session_factory
    from monk.payments.autopay import Collector

    settings = get_settings()
    asyncio.run(_check_migrated(settings.database_url))

    async def main() -> RunReport:
        engine = create_engine(settings.database_url)
        try:
            clock = Clock()
            collector = Collector(session_factory(engine), server_key=settings.secret_key, clock=clock.now)
            return await collector.run(through=clock.now().date())
        finally:
            await engine.dispose()

    report = asyncio.run(main())
    for line in report.errors:
        typer.echo(f"not charged: {line}", err=True)
    typer.echo(f"paid {report.paid}, processing {report.processing}, failed {report.failed}, "
               f"to retry {report.retry}")
    if report.retry:
        raise typer.Exit(1)


emails_app = typer.Typer(help="Invoice and payment emails to customers (MONK_SMTP_URL).", no_args_is_help=True)
app.add_typer(emails_app, name="emails")


@emails_app.command("send")
def emails_send() -> None:
    """Send every email that is due now through MONK_SMTP_URL and print how many were sent, failed (given
    up), left to retry and skipped. Without MONK_SMTP_URL nothing is sent and due emails are marked skipped.
    Exits 1 when some could not be sent now (the SMTP server unreachable or refusing for a while): they are
    retried with backoff."""
    from monk.email.send import Mailer
    from monk.kit.db import create_engine, session_factory

    settings = get_settings()
    asyncio.run(_check_migrated(settings.database_url))

    async def main() -> SendReport:
        engine = create_engine(settings.database_url)
        try:
            return await Mailer(session_factory(engine), clock=Clock(), settings=settings).send_due()
        finally:
            await engine.dispose()

    report = asyncio.run(main())
    for line in report.errors:
        typer.echo(f"not sent: {line}", err=True)
    if report.skipped:
        typer.echo(f"MONK_SMTP_URL is not set: {report.skipped} due email(s) marked skipped", err=True)
    typer.echo(f"sent {report.sent}, failed {report.failed}, to retry {report.retry}, skipped {report.skipped}")
    if report.retry:
        raise typer.Exit(1)


@app.command("secret-key")
def secret_key() -> None:
    """Print a new key for MONK_SECRET_KEY (it seals stored secrets such as Stripe keys; keep it safe:
    secrets sealed with a lost key cannot be opened)."""
    from monk.kit.secrets import new_key

    typer.echo(new_key())


if __name__ == "__main__":
    app()

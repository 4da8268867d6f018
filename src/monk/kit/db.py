"""The database seam: engine and sessions, and every dialect difference (column types: ``kit.columns``).

SQLite (embedded default) and PostgreSQL differ in five places, all handled here:
- transactions: SQLite write transactions must start with ``BEGIN IMMEDIATE`` or concurrent
  read-then-write transactions fail with "database is locked"; WAL mode is on;
- exact decimals: SQLite's NUMERIC loses precision, so decimals are stored as exact text there;
- upserts: ``INSERT … ON CONFLICT`` comes from each dialect's own ``insert`` construct;
- bulk upserts (the event hot path, ``bulk_upsert``): binary ``COPY`` into a per-connection
  temporary staging table and one ``INSERT … SELECT … ON CONFLICT`` on PostgreSQL; large multi-row
  ``INSERT … ON CONFLICT`` statements with pre-bound parameters on SQLite;
- reading a JSON property as text (``json_text``): ``->>`` on PostgreSQL, ``json_each`` on SQLite.
It also knows how each driver reports a lost database (``is_connection_failure``) and a
transaction worth retrying (``is_retryable``).
"""

from __future__ import annotations

import json
import sqlite3
import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from json.encoder import c_make_encoder, encode_basestring_ascii  # type: ignore[attr-defined]
from operator import itemgetter
from typing import Any

from sqlalchemy import String, Table, case, cast, event, func, literal, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# The column types live in ``kit.columns``; they stay importable from here, where the first
# migrations name them (``monk.kit.db.UTCDateTime``).
from monk.kit.columns import ExactDecimal as ExactDecimal
from monk.kit.columns import JSONType as JSONType
from monk.kit.columns import UTCDateTime as UTCDateTime
from monk.settings import normalise_database_url

# Compact JSON, non-JSON values (dates, decimals) as their ``str``. The C encoder is built once and
# called directly: ``JSONEncoder.encode`` builds a new one on every call, which costs more than encoding
# a small object (a usage event's properties). It skips the circular-reference check: values stored in
# JSON columns come from parsed JSON or Monk's own dicts and lists, which cannot contain themselves.
_JSON = json.JSONEncoder(separators=(",", ":"), default=str)
_C_JSON = c_make_encoder(None, str, encode_basestring_ascii, None, ":", ",", False, False, True) \
    if c_make_encoder is not None else None


def _json_dumps(value: Any) -> str:
    if _C_JSON is None:
        return _JSON.encode(value)
    return "".join(_C_JSON(value, 0))


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """Create the async engine for ``url`` (SQLite or PostgreSQL) with Monk's connection rules."""
    url = normalise_database_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, json_serializer=_json_dumps, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        url,
        json_serializer=_json_dumps,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable against process crashes in WAL mode
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that never expire loaded objects on commit (objects are used after commit)."""
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def is_sqlite(session_or_engine: AsyncSession | AsyncEngine) -> bool:
    """Whether the bound database is SQLite."""
    bind = session_or_engine.bind if isinstance(session_or_engine, AsyncSession) else session_or_engine
    return bind.dialect.name == "sqlite"


def column_in(session: AsyncSession, column: Any, values: Sequence[Any]) -> Any:
    """``column IN values`` in the dialect's cheapest form. On PostgreSQL the values travel as one
    array parameter (thousands of ids are one bind, not thousands rendered into the SQL and a new
    prepared statement for every list length) and are joined as ``IN (SELECT unnest($1))``: a
    semi-join stays an index lookup per value, or at worst one hash join, under any plan, where
    ``= ANY($1)`` under a generic plan with a stale row estimate can become a sequential scan
    comparing every row with every value. An expanding ``IN`` on SQLite."""
    if is_sqlite(session):
        return column.in_(values)
    return column.in_(select(func.unnest(literal(list(values), postgresql.ARRAY(column.type)))))


def json_text(session: AsyncSession, column: Any, key: str) -> Any:
    """The value of top-level ``key`` of the JSON object in ``column`` as text: a string as itself, a
    number or a boolean as its JSON text (``42``, ``1.5``, ``true``), NULL when the key is absent or
    null. ``->>`` on PostgreSQL; on SQLite a correlated ``json_each`` (a JSON path cannot name every
    key: one with a double quote has no path there), with SQLite's own text of a number."""
    if is_sqlite(session):
        j = func.json_each(column).table_valued("key", "value", "type").alias("json_property")
        as_text = case((j.c.type == "text", j.c.value), (j.c.type == "true", literal("true")),
                       (j.c.type == "false", literal("false")),
                       (j.c.type.in_(("integer", "real")), cast(j.c.value, String)), else_=None)
        return select(as_text).where(j.c.key == key).limit(1).scalar_subquery()
    return column[key].as_string()


def claiming(query: Any) -> Any:
    """``query`` as a job's claim: the rows it selects are locked for this transaction and rows
    another transaction holds are skipped (``FOR UPDATE SKIP LOCKED``) on PostgreSQL, so several
    workers share one queue; on SQLite (which has no row locks and ignores the clause) every write
    transaction starts with ``BEGIN IMMEDIATE`` (``_configure_sqlite``), so a claim excludes every
    other writer until it commits. Rows are read afresh (``populate_existing``)."""
    return query.with_for_update(skip_locked=True).execution_options(populate_existing=True)


def insert_for(session: AsyncSession, table: Table) -> Any:
    """The dialect's ``INSERT`` construct for ``table``, which supports ``on_conflict_do_*``."""
    if is_sqlite(session):
        return sqlite.insert(table)
    return postgresql.insert(table)


# --- bulk upserts -------------------------------------------------------------------------------

# SQLite allows 32,766 bound parameters per statement (3.32+); stay well inside it.
_SQLITE_MAX_PARAMS = 30_000
_SQLITE_MAX_ROWS = 1_000
_sql_cache: dict[tuple[str, ...], str] = {}
_bind_cache: dict[tuple[int, str, tuple[str, ...]], list[Callable[[Any], Any] | None]] = {}


def _binders(table: Table, dialect: Any, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """The dialect's own bind processors for ``columns`` (so bulk rows are stored exactly as the ORM
    would store them: UTC text on SQLite, JSON serialised by the engine's serializer, …)."""
    key = (id(table), dialect.name + "+" + (dialect.driver or ""), tuple(columns))
    found = _bind_cache.get(key)
    if found is None:
        found = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
        _bind_cache[key] = found
    return found


# Instants travel to PostgreSQL's staging table as what a ``timestamptz`` holds, microseconds since
# 2000-01-01 UTC in a ``bigint``, and become ``timestamptz`` again in the upsert's SELECT (exact, for
# any instant before the year 2285). asyncpg's own binary encoding of an aware ``datetime`` costs
# about a microsecond a value, the largest part of the API's work per event; an integer costs almost
# nothing, and a batch's repeated instants are converted once.
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_PG_INSTANT_SQL = "TIMESTAMPTZ '2000-01-01 00:00:00+00' + {} * INTERVAL '1 microsecond'"


def _pg_micros(value: datetime) -> int:
    """A tz-aware instant as PostgreSQL stores a ``timestamptz``: microseconds since 2000-01-01 UTC."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return (value - _PG_EPOCH) // _MICROSECOND


def _is_instant(table: Table, column: str) -> bool:
    return isinstance(table.c[column].type, UTCDateTime)


def _stage_binders(table: Table, dialect: Any, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """``_binders`` for PostgreSQL's staging table: instants as microseconds (``_pg_micros``)."""
    key = (id(table), "stage", tuple(columns))
    found = _bind_cache.get(key)
    if found is None:
        found = _bind_cache[key] = [_pg_micros if _is_instant(table, c) else p
                                    for c, p in zip(columns, _binders(table, dialect, columns), strict=True)]
    return found


def _bound_rows(table: Table, dialect: Any, columns: Sequence[str], rows: Sequence[dict[str, Any]],
                procs: list[Callable[[Any], Any] | None] | None = None) -> list[tuple[Any, ...]]:
    """``rows`` as tuples in ``columns`` order, each value converted by the dialect's bind processor
    (or by ``procs``, one converter or None per column)."""
    procs = _binders(table, dialect, columns) if procs is None else procs
    get = itemgetter(*columns)
    if len(columns) == 1:
        return [(get(row),) for row in rows]
    todo = [(i, p) for i, p in enumerate(procs) if p is not None]
    if not todo:
        return [get(row) for row in rows]
    # Instants repeat within a batch (``received_at`` always): convert each distinct one once.
    memo: dict[datetime, Any] = {}
    out = []
    for row in rows:
        values = list(get(row))
        for i, p in todo:
            v = values[i]
            if v is None:
                continue
            if type(v) is datetime:
                done = memo.get(v)
                if done is None:
                    done = memo[v] = p(v)
                values[i] = done
            else:
                values[i] = p(v)
        out.append(tuple(values))
    return out


def _update_clause(conflict: Sequence[str], update: Sequence[str]) -> str:
    return (f"ON CONFLICT ({', '.join(conflict)}) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in update))


async def bulk_upsert(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    conflict: Sequence[str],
    update: Sequence[str],
) -> None:
    """The fastest correct ``INSERT … ON CONFLICT (conflict) DO UPDATE`` of many rows (last write wins).

    PostgreSQL: binary ``COPY`` into a temporary staging table (created once per connection,
    emptied at commit) and one ``INSERT … SELECT … ORDER BY conflict ON CONFLICT …``; SQLite:
    multi-row upserts of up to 1,000 rows each with parameters bound once. Rows are written in
    ``conflict``-key order, so concurrent transactions lock shared keys in the same order and do
    not deadlock. Every row must have the same keys; ``rows`` must not repeat a conflict key
    (collapse duplicates first, keeping the last). Runs in the session's transaction; never commits.
    """
    if not rows:
        return
    columns = list(rows[0].keys())
    ordered = sorted(rows, key=itemgetter(*conflict))
    conn = await session.connection()
    dialect = conn.dialect
    if dialect.name == "postgresql":
        records = _bound_rows(table, dialect, columns, ordered, _stage_binders(table, dialect, columns))
        await _pg_copy_upsert(conn, table, columns, records, conflict=conflict, update=update)
        return
    per_stmt = max(1, min(_SQLITE_MAX_ROWS, _SQLITE_MAX_PARAMS // len(columns)))
    bound = _bound_rows(table, dialect, columns, ordered)
    for i in range(0, len(bound), per_stmt):
        part = bound[i:i + per_stmt]
        key = ("sqlite", table.name, str(len(part)), *columns, "|", *conflict, "|", *update)
        sql = _sql_cache.get(key)
        if sql is None:
            one = "(" + ", ".join("?" * len(columns)) + ")"
            sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
                   + ", ".join([one] * len(part)) + " " + _update_clause(conflict, update))
            _sql_cache[key] = sql
        await conn.exec_driver_sql(sql, tuple(v for row in part for v in row))


async def bulk_insert(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert many new rows (no conflict handling) by the fastest path: binary ``COPY`` on
    PostgreSQL, an ``executemany`` insert on SQLite. Every row must have the same keys. Runs in the
    session's transaction; never commits."""
    if not rows:
        return
    columns = list(rows[0].keys())
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await conn.exec_driver_sql("SELECT 1")  # make sure the transaction the raw COPY joins has begun
        raw: Any = (await conn.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(table.name, records=_bound_rows(table, conn.dialect, columns, rows),
                                        columns=columns)
        return
    await session.execute(table.insert(), list(rows))


def _stage_ddl(table: Table, dialect: Any, stage: str) -> str:
    """The staging table of ``table``: its columns and types, but ``bigint`` microseconds for
    instants (``_pg_micros``), no constraints, emptied at every commit."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(f"{quote(c.name)} {'BIGINT' if _is_instant(table, c.name) else c.type.compile(dialect)}"
                        for c in table.columns)
    return f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({columns}) ON COMMIT DELETE ROWS"


async def _pg_copy_upsert(conn: Any, table: Table, columns: list[str], records: list[tuple[Any, ...]], *,
                          conflict: Sequence[str], update: Sequence[str]) -> None:
    stage = f"monk_stage_{table.name}"
    ddl = _sql_cache.get(("pg-stage", table.name))
    if ddl is None:
        ddl = _sql_cache[("pg-stage", table.name)] = _stage_ddl(table, conn.dialect, stage)
    # Through SQLAlchemy first: this also begins the transaction the raw COPY then joins.
    await conn.exec_driver_sql(ddl)
    raw = (await conn.get_raw_connection()).driver_connection
    # The stage is emptied at commit; a second bulk upsert in the same transaction empties it first.
    transaction = conn.sync_connection.get_transaction()
    used = conn.info.get("monk_stage_used")
    if used is not None and used() is transaction:
        await raw.execute(f"TRUNCATE {stage}")
    conn.info["monk_stage_used"] = weakref.ref(transaction)
    await raw.copy_records_to_table(stage, records=records, columns=columns)
    key = ("pg", table.name, *columns, "|", *conflict, "|", *update)
    sql = _sql_cache.get(key)
    if sql is None:
        values = ", ".join(_PG_INSTANT_SQL.format(c) if _is_instant(table, c) else c for c in columns)
        sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {values} FROM {stage} "
               f"ORDER BY {', '.join(conflict)} " + _update_clause(conflict, update))
        _sql_cache[key] = sql
    await raw.execute(sql)


# --- failure classification -----------------------------------------------------------------------

_LOST_NAMES = {"CannotConnectNowError", "ConnectionDoesNotExistError", "PostgresConnectionError",
               "TooManyConnectionsError", "InterfaceError", "ConnectionFailureError", "AdminShutdownError",
               "CrashShutdownError", "ConnectionRejectionError", "ClientCannotConnectError"}
_SQLITE_LOST = ("unable to open", "disk i/o error", "database is locked", "readonly database",
                "no such table", "database disk image is malformed", "file is not a database")


def _sqlstate(exc: BaseException) -> str | None:
    code = getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)
    return code if isinstance(code, str) else None


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(out) < 20:
        out.append(seen)
        if isinstance(seen, DBAPIError) and seen.orig is not None and seen.orig is not seen.__cause__:
            out.append(seen.orig)
        seen = seen.__cause__ or seen.__context__
    return out


def is_connection_failure(exc: BaseException) -> bool:
    """Whether ``exc`` means the database could not be reached or the connection was lost (the
    request may be retried later: 503), as opposed to a bad statement or bad data.

    Recognises OS-level connection errors, SQLAlchemy's invalidated connections, asyncpg's
    connection errors and SQLSTATE classes 08 (connection), 53 (resources) and 57P (shutdown), and
    SQLite's "unable to open", "disk I/O error" and lock-timeout errors.
    """
    for e in _chain(exc):
        if isinstance(e, (ConnectionError, OSError, InterfaceError, TimeoutError)):
            return True
        if isinstance(e, DBAPIError) and e.connection_invalidated:
            return True
        if type(e).__name__ in _LOST_NAMES:
            return True
        code = _sqlstate(e)
        if code and (code.startswith(("08", "53", "57P"))):
            return True
        if isinstance(e, (sqlite3.OperationalError, OperationalError)) and any(
                m in str(e).lower() for m in _SQLITE_LOST):
            return True
    return False


def is_retryable(exc: BaseException) -> bool:
    """Whether a failed transaction may simply be run again: a deadlock or serialization failure."""
    return any(_sqlstate(e) in ("40P01", "40001") or type(e).__name__ in (
        "DeadlockDetectedError", "SerializationError") for e in _chain(exc))


def is_data_error(exc: BaseException) -> bool:
    """Whether the database refused a value itself (SQLSTATE class 22, e.g. a NUL character in text
    or a numeric overflow): the request was bad, not the server (400)."""
    return any((_sqlstate(e) or "").startswith("22") for e in _chain(exc))


async def ping(engine: AsyncEngine) -> None:
    """Ask the database for ``SELECT 1``; raises the driver's error when it does not answer."""
    async with engine.connect() as conn:
        await conn.execute(select(literal(1)))


async def notify(session: AsyncSession, channel: str) -> None:
    """``NOTIFY channel`` (PostgreSQL) in the session's transaction: listeners hear it at commit.
    ``channel`` is a constant identifier of Monk's, never client input."""
    await session.execute(text(f"NOTIFY {channel}"))

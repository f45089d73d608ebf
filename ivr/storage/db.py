"""Database plumbing: engines, sessions, the declarative base and migrations.

Nothing here connects at import time. ``make_engine`` turns a URL from the
settings into an engine tuned for the backend (SQLite in WAL mode with a busy
timeout and foreign keys; PostgreSQL through psycopg 3), ``upgrade`` applies
the Alembic migrations that live inside this package, so ``ivr db upgrade``
works from any directory.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from hours.clock import require_aware

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Constraint names that are stable across backends, so migrations can refer
# to them (alembic docs, "The Importance of Naming Constraints").
NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Execution option: on SQLite, open the transaction with BEGIN IMMEDIATE so a
# read-then-write transaction takes the write lock up front and waits on the
# busy timeout instead of failing with "database is locked" half-way.
BEGIN_IMMEDIATE = "ivr_sqlite_begin_immediate"

SQLITE_BUSY_TIMEOUT_MS = 5000
# Execution option: the longest, in seconds, that BEGIN IMMEDIATE waits for
# SQLite's write lock (default: the busy timeout).
LOCK_WAIT = "ivr_sqlite_lock_wait"
# Waiting for the write lock at BEGIN IMMEDIATE: first pause, and the longest.
_LOCK_POLL_FIRST = 0.00005
_LOCK_POLL_MAX = 0.001


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """The UTC text SQLite stores (its default format, ``2026-12-01 13:00:00.000000``), in
    one step: ``isoformat`` costs a fraction of SQLAlchemy's ``%`` formatting, and no
    naive datetime is built on the way (profiling showed both in every call-log batch)."""
    if value is None:
        return None
    utc = require_aware(value, "a UTC column's value").astimezone(UTC)
    return utc.isoformat(" ", "microseconds")[:26]  # without the "+00:00"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    Naive datetimes are refused on the way in (a naive datetime is always a
    bug: see ``hours.clock.require_aware``). SQLite stores no offset, so values are normalised to
    UTC before they are written and marked UTC when read back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return _sqlite_utc_text
        return super().bind_processor(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return require_aware(value, "a UTC column's value").astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def normalise_url(url: str | URL) -> URL:
    """Parse ``url`` and pick psycopg 3 for plain PostgreSQL URLs."""
    if isinstance(url, str) and url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``, tuned for the backend.

    SQLite: the parent folder of the database file is created, and every
    connection gets WAL mode, a ~5 s busy timeout and foreign keys. The
    driver's own transaction handling is switched off so SQLAlchemy emits
    ``BEGIN`` itself (``BEGIN IMMEDIATE`` with the :data:`BEGIN_IMMEDIATE`
    execution option). PostgreSQL: ``postgresql://`` means psycopg 3.

    Bound parameters are hidden from error messages: they may hold phone
    numbers, which must stay out of the logs (LGPD).
    """
    parsed = normalise_url(url)
    kwargs.setdefault("hide_parameters", True)
    if parsed.get_backend_name() == "sqlite":
        _create_sqlite_folder(parsed)
        engine = create_engine(parsed, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    return create_engine(parsed, **kwargs)


def _create_sqlite_folder(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # SQLAlchemy emits BEGIN itself (below); the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")  # safe in WAL mode
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(BEGIN_IMMEDIATE):
            _begin_immediate(connection)
        else:
            # Straight to the driver: a full SQLAlchemy execution for a plain
            # BEGIN cost every transaction (each webhook write) as much as a query.
            raw = connection.connection.dbapi_connection
            assert raw is not None
            raw.execute("BEGIN")


def _begin_immediate(connection: Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock in steps of at most a millisecond.

    SQLite's own busy handler sleeps 1, 2, 5, 10… ms between tries, so a
    webhook that finds another process's batch writing waits several
    milliseconds after the lock is free. Polling from here ends the wait
    within a millisecond of it, for the same busy timeout in total (or the
    connection's :data:`LOCK_WAIT`).
    """
    raw = connection.connection.dbapi_connection
    assert raw is not None
    wait = connection.get_execution_options().get(LOCK_WAIT, SQLITE_BUSY_TIMEOUT_MS / 1000)
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + wait
        pause = _LOCK_POLL_FIRST
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY:
                    break
            time.sleep(pause)
            pause = min(2 * pause, _LOCK_POLL_MAX)
        # Out of time, or another error: once more through SQLAlchemy, which reports it.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def write_engine(engine: Engine) -> Engine:
    """``engine`` for transactions that read then write: they take SQLite's write lock at BEGIN.

    Otherwise such a transaction fails at once ("database is locked") when
    another process wrote after its read, instead of waiting its turn. Making
    one costs about what a small query does: a hot path makes its own once,
    and an engine that already is one comes back as it is.
    """
    if engine.get_execution_options().get(BEGIN_IMMEDIATE):
        return engine
    return engine.execution_options(**{BEGIN_IMMEDIATE: True})


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def alembic_config(url: str | URL | None = None) -> Any:
    """An Alembic ``Config`` for the migrations in this package (no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # Kept out of the ini options: configparser would choke on '%' in passwords.
        config.attributes["url"] = normalise_url(url)
    return config


def upgrade(url_or_engine: str | URL | Engine, revision: str = "head") -> None:
    """Apply the migrations up to ``revision`` (the newest by default)."""
    from alembic import command

    if isinstance(url_or_engine, Engine):
        config = alembic_config()
        with url_or_engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        return
    engine = make_engine(url_or_engine)
    try:
        upgrade(engine, revision)
    finally:
        engine.dispose()


@contextmanager
def open_session(
    url: str | URL, *, migrate: bool = False, write: bool = False
) -> Iterator[Session]:
    """A session on its own engine, disposed afterwards: for commands, not for servers.

    ``write``: transactions take SQLite's write lock when they begin, so a
    command that reads then writes waits for a busy server instead of failing.
    """
    if migrate:
        upgrade(url)
    engine = make_engine(url)
    bind = write_engine(engine) if write else engine
    try:
        with Session(bind) as session:
            yield session
    finally:
        engine.dispose()

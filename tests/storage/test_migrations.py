"""The migrations build the schema the models describe, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError, StatementError

from ivr.storage.db import (
    Base,
    alembic_config,
    make_engine,
    normalise_url,
    session_factory,
    upgrade,
)
from ivr.storage.models import MenuVersion


def test_migrations_apply_to_an_empty_database(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    engine = make_engine(empty_database_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {"menu_versions", "calls", "call_steps", "alembic_version"} <= tables
        script = ScriptDirectory.from_config(alembic_config())
        assert len(script.get_heads()) == 1, "the migrations must form one chain"
        head = script.get_current_head()
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()


def test_upgrade_twice_is_harmless(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)


def test_models_and_migrations_agree(engine: Engine) -> None:
    """Like `alembic check`: autogenerate finds nothing to add or drop."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_constraints_follow_the_naming_convention(engine: Engine) -> None:
    inspector = inspect(engine)
    unique = {c["name"] for c in inspector.get_unique_constraints("call_steps")}
    foreign = {c["name"] for c in inspector.get_foreign_keys("call_steps")}
    assert "uq_call_steps_call_sid_step" in unique
    assert "fk_call_steps_call_sid_calls" in foreign


def test_datetimes_come_back_aware_utc(engine: Engine) -> None:
    sao_paulo = timezone(timedelta(hours=-3))
    Session = session_factory(engine)
    with Session.begin() as session:
        session.add(
            MenuVersion(
                content="x",
                content_hash="0" * 64,
                author="ana",
                created_at=datetime(2026, 3, 2, 9, 0, tzinfo=sao_paulo),
            )
        )
    with Session() as session:
        stored = session.query(MenuVersion).one()
        assert stored.created_at == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
        assert stored.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(engine: Engine) -> None:
    Session = session_factory(engine)
    with pytest.raises(StatementError, match="naive datetime"), Session.begin() as session:
        session.add(
            MenuVersion(
                content="x", content_hash="0" * 64, author="a", created_at=datetime(2026, 1, 1)
            )
        )


def test_sqlite_connections_are_tuned(tmp_path: Path) -> None:
    """The folder is created; WAL, busy timeout and foreign keys are on."""
    engine = make_engine(f"sqlite:///{tmp_path}/var/sub/ivr.db")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert (tmp_path / "var" / "sub" / "ivr.db").exists()
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url",
    ["postgresql://u:p@h/db", "postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"],
)
def test_postgresql_urls_use_psycopg_3(url: str) -> None:
    assert normalise_url(url).drivername == "postgresql+psycopg"


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO call_steps (call_sid, step, node, path, at) "
                "VALUES ('CAnope', 0, 'inicio', '[]', CURRENT_TIMESTAMP)"
            )
        )

"""`ivr db upgrade` migrates the configured database from any directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from sqlalchemy import inspect

from ivr.cli.db import db
from ivr.storage.db import alembic_config, make_engine


def test_upgrade_creates_the_schema(
    runner: CliRunner, empty_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not the repository folder
    result = runner.invoke(db, ["upgrade"], env={"IVR_DATABASE_URL": empty_database_url})
    assert result.exit_code == 0, result.output
    assert "migrated to head" in result.output
    engine = make_engine(empty_database_url)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    try:
        assert "calls" in inspect(engine).get_table_names()
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()


def test_default_database_lives_under_var(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IVR_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(db, ["upgrade"], env={"IVR_VAR_DIR": "var"})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "var" / "ivr.db").exists()


def test_password_is_not_printed(runner: CliRunner) -> None:
    url = "postgresql://ivr:s3cret@127.0.0.1:1/nowhere"
    result = runner.invoke(db, ["upgrade"], env={"IVR_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "could not migrate" in result.output
    assert "s3cret" not in result.output

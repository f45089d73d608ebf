"""The ``ivr`` fixture the command tests share."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner

from ivr.cli import main


@pytest.fixture
def ivr(
    runner: CliRunner, cli_env, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., str]:
    """``ivr(*args, code=0)``: run ``ivr …`` on the test database (SQLite and PostgreSQL),
    from an empty folder with the shipped menu; asserts the exit code, returns the output."""
    monkeypatch.setenv("IVR_DATABASE_URL", database_url)

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(main, list(args))
        assert result.exit_code == code, result.output
        return result.output

    return run

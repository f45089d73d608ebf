"""``ivr users add``: a console account, its password read from stdin, never echoed."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from ivr.cli import main
from ivr.storage.db import open_session
from ivr.storage.models import AuditEntry, ConsoleUser


def test_users_add_reads_the_password_from_stdin_and_hashes_it(
    runner: CliRunner, settings, monkeypatch
):
    monkeypatch.setenv("IVR_DATABASE_URL", settings.database_url)
    result = runner.invoke(
        main, ["users", "add", "bia", "--role", "viewer"], input="uma senha longa\n"
    )
    assert result.exit_code == 0, result.output
    with open_session(settings.database_url) as session:
        user = session.scalar(select(ConsoleUser).where(ConsoleUser.name == "bia"))
        assert user.role == "viewer" and user.password_hash.startswith("scrypt:")
        assert "uma senha longa" not in user.password_hash
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.add"))
    again = runner.invoke(
        main, ["users", "add", "bia", "--role", "viewer"], input="uma senha longa\n"
    )
    assert again.exit_code == 1 and "já existe" in again.output
    short = runner.invoke(main, ["users", "add", "caio", "--role", "viewer"], input="curta\n")
    assert short.exit_code == 1 and "pelo menos" in short.output

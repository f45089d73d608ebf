"""``ivr db``: the database schema."""

from __future__ import annotations

from contextlib import AbstractContextManager

import click
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ivr.settings import Settings
from ivr.storage.db import open_session


@click.group("db")
def db() -> None:
    """The database: apply migrations."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def upgrade(revision: str) -> None:
    """Apply the migrations to IVR_DATABASE_URL (default: SQLite under var/)."""
    from ivr.storage.db import upgrade as upgrade_database

    url = Settings.from_env().database_url
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        upgrade_database(url, revision)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise click.ClickException(f"could not migrate {shown}: {reason}") from exc
    click.echo(f"{shown}: migrated to {revision}")


def configured_session(*, write: bool = False) -> AbstractContextManager[Session]:
    """A session on IVR_DATABASE_URL, migrated first: what every command works on.

    ``write``: the command reads then writes, so take SQLite's write lock up front.
    """
    return open_session(Settings.from_env().database_url, migrate=True, write=write)

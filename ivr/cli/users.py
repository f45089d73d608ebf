"""``ivr users add``: console accounts (the password is never a flag)."""

from __future__ import annotations

import sys

import click

from hours.clock import utc_now
from ivr.cli.db import configured_session
from ivr.storage.models import ROLES


@click.group()
def users() -> None:
    """Console users: supervisors and viewers."""


def _read_password() -> str:
    """Asked twice at a terminal; one line of standard input otherwise (scripts)."""
    if sys.stdin.isatty():
        return click.prompt("Senha", hide_input=True, confirmation_prompt="Repita a senha")
    return sys.stdin.readline().rstrip("\r\n")


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
def add(name: str, role: str) -> None:
    """Create NAME with ROLE; the password is asked for (or read from stdin)."""
    from ivr.storage.accounts import AccountError, add_user, audit

    password = _read_password()
    now = utc_now()
    with configured_session(write=True) as session:
        try:
            user = add_user(session, name, password, role, now)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from None
        created = user.name
        audit(session, "linha de comando", "user.add", f"usuário {created}", now, None, role)
        session.commit()
    click.echo(f"usuário {created} criado ({role}); entre em /admin/login")

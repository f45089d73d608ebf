"""The ``ivr`` command line: a thin click group over the domain packages."""

from __future__ import annotations

import click

from ivr.cli.call_log import calls
from ivr.cli.callbacks import callbacks_group
from ivr.cli.closures import close, list_closures, reopen
from ivr.cli.db import db
from ivr.cli.hours import hours
from ivr.cli.menu_tests import test_menus
from ivr.cli.menus import menus
from ivr.cli.privacy import privacy
from ivr.cli.serve import serve
from ivr.cli.simulated_call import call
from ivr.cli.tickets import tickets
from ivr.cli.users import users
from ivr.cli.worker import worker
from ivr.library_logs import keep_numbers_out
from ivr.settings import SettingsError


class _Commands(click.Group):
    """The ``ivr`` group: a bad setting is one line naming the variable, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            raise click.ClickException(f"bad setting: {exc}") from None


@click.group(cls=_Commands)
def main() -> None:
    """Support-line IVR: webhooks, menus, hours and callbacks."""
    keep_numbers_out()  # the help desks' clients log URLs that look a caller up


main.add_command(serve)
main.add_command(worker)
menus.add_command(test_menus)
main.add_command(menus)
main.add_command(call)
main.add_command(calls)

main.add_command(db)
main.add_command(tickets)
main.add_command(callbacks_group)
main.add_command(users)
main.add_command(privacy)
for _command in (close, reopen, list_closures):
    hours.add_command(_command)
main.add_command(hours)

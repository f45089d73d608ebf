"""The ``ivr`` command line: a thin click group over the domain packages."""

from __future__ import annotations

import click

from ivr.cli.call import call
from ivr.cli.calls import calls
from ivr.cli.closures import close, list_closures, reopen
from ivr.cli.db import db
from ivr.cli.hours import hours
from ivr.cli.menu_tests import test_menus
from ivr.cli.menus import menus
from ivr.cli.serve import serve


@click.group()
def main() -> None:
    """Support-line IVR: webhooks, menus, hours and callbacks."""


main.add_command(serve)
menus.add_command(test_menus)
main.add_command(menus)
main.add_command(call)
main.add_command(calls)

main.add_command(db)
for _command in (close, reopen, list_closures):
    hours.add_command(_command)
main.add_command(hours)

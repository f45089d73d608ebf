"""The ``ivr`` command line: a thin click group over the domain packages."""

from __future__ import annotations

import click

from ivr.cli.menus import menus
from ivr.cli.serve import serve


@click.group()
def main() -> None:
    """Support-line IVR: webhooks, menus, hours and callbacks."""


main.add_command(serve)
main.add_command(menus)

for _module, _name in (("ivr.cli.db", "db"), ("ivr.cli.hours", "hours")):
    try:
        main.add_command(getattr(__import__(_module, fromlist=[_name]), _name))
    except ImportError:  # pragma: no cover - groups still being written
        pass

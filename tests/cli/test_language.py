"""What a supervisor reads in the commands' help speaks pt-BR, as their output does."""

from __future__ import annotations

import re

import click
import pytest

from ivr.cli import main

# The supervisors' commands (the console shows the same texts) and `ivr call`, with
# which they try the line; `db`, `serve`,
# `worker` and `users` are for whoever runs the servers.
SUPERVISOR_GROUPS = ["hours", "menus", "calls", "call", "tickets", "callbacks", "privacy"]
ENGLISH = re.compile(r"\b(the|and|only|calls|print|show|how|with|which|when|one)\b", re.I)


def texts(command: click.Command) -> list[str]:
    found = [command.help or ""]
    found += [p.help or "" for p in command.params if isinstance(p, click.Option)]
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            found += texts(sub)
    return found


@pytest.mark.parametrize("group", SUPERVISOR_GROUPS)
def test_supervisor_commands_explain_themselves_in_portuguese(group: str) -> None:
    english = [t for t in texts(main.commands[group]) if ENGLISH.search(t)]
    assert english == []

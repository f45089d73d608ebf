"""``IVR_TICKET_STORE`` chooses the ticket store: ``sql`` (default), ``zendesk``, ``tomticket``,
``webhook``.

The remote adapters live in ``tickets_bridge.adapters.<name>`` and are
imported only when chosen, so a deployment on the built-in store never loads
them. Each adapter class is built with ``from_env(environ, client)``: its
own settings from the environment and an ``httpx.Client`` (the relay's,
with its timeouts).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from hours.clock import Clock
from tickets_bridge.sql_store import SqlTicketStore, TicketRules
from tickets_bridge.store import TicketStore

__all__ = ["REMOTE_ADAPTERS", "STORE_NAMES", "UnknownStore", "make_remote_store", "make_store"]

#: Remote stores: the adapter class, as ``module:Class``.
REMOTE_ADAPTERS: dict[str, str] = {
    "zendesk": "tickets_bridge.adapters.zendesk:ZendeskStore",
    "tomticket": "tickets_bridge.adapters.tomticket:TomTicketStore",
    "webhook": "tickets_bridge.adapters.webhook:WebhookStore",
}
STORE_NAMES = ("sql", *REMOTE_ADAPTERS)


class UnknownStore(ValueError):
    """``IVR_TICKET_STORE`` names no store we have."""


def make_store(
    name: str,
    *,
    engine: Engine,
    rules: TicketRules,
    clock: Clock,
    environ: Mapping[str, str] | None = None,
    client: Any = None,
) -> TicketStore:
    """The store ``name`` stands for; remote adapters get ``environ`` and ``client``."""
    if name == "sql":
        return SqlTicketStore(engine, rules, clock)
    return make_remote_store(name, environ=environ, client=client)


def make_remote_store(
    name: str, *, environ: Mapping[str, str] | None = None, client: Any = None
) -> Any:
    """The remote adapter ``name`` stands for, from the environment's settings."""
    try:
        module_name, class_name = REMOTE_ADAPTERS[name].split(":")
    except KeyError:
        choices = ", ".join(STORE_NAMES)
        raise UnknownStore(f"IVR_TICKET_STORE={name!r} is not one of {choices}") from None
    adapter = getattr(importlib.import_module(module_name), class_name)
    if client is None:
        import httpx

        client = httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0))
    if environ is None:
        import os

        environ = os.environ
    return adapter.from_env(environ, client)

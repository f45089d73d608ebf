"""Remote ticket stores: Zendesk, TomTicket and a signed generic webhook.

Each adapter takes plain values and an injected ``httpx.Client`` (its
timeouts are the caller's choice); :func:`remote_store` builds the one
``IVR_TICKET_STORE`` names from the variables listed in the README.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from tickets_bridge.adapters.tomticket import TomTicketStore
from tickets_bridge.adapters.webhook import WebhookStore
from tickets_bridge.adapters.zendesk import ZendeskStore
from tickets_bridge.store import TicketStore

__all__ = ["REMOTE_STORES", "TomTicketStore", "WebhookStore", "ZendeskStore", "remote_store"]

REMOTE_STORES = {"zendesk": ZendeskStore, "tomticket": TomTicketStore, "webhook": WebhookStore}


def remote_store(name: str, environ: Mapping[str, str], client: httpx.Client) -> TicketStore:
    """The remote store called ``name``, configured from ``environ`` (variable -> value).

    Raises ValueError naming the missing variables, or an unknown store.
    """
    try:
        kind = REMOTE_STORES[name]
    except KeyError:
        raise ValueError(f"no remote ticket store named {name!r}") from None
    return kind.from_env(environ, client)

"""IVR_TICKET_STORE picks the store; remote adapters are loaded only when chosen."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tickets_bridge.adapters.webhook import WebhookStore
from tickets_bridge.sql_store import SqlTicketStore
from tickets_bridge.stores import UnknownStore, make_store


def test_each_name_gives_its_store(engine, rules) -> None:
    def clock() -> datetime:
        return datetime(2026, 12, 1, tzinfo=UTC)

    assert isinstance(make_store("sql", engine=engine, rules=rules, clock=clock), SqlTicketStore)
    environ = {"TICKETS_WEBHOOK_URL": "http://127.0.0.1:9/t", "TICKETS_WEBHOOK_SECRET": "s"}
    with httpx.Client() as client:
        webhook = make_store(
            "webhook", engine=engine, rules=rules, clock=clock, environ=environ, client=client
        )
    assert isinstance(webhook, WebhookStore)
    with pytest.raises(UnknownStore, match="movidesk"):
        make_store("movidesk", engine=engine, rules=rules, clock=clock)

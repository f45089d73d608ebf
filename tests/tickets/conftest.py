"""Fixtures for the tickets bridge: the shipped calendar's rules, a settable clock."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from hours.oracle import Hours
from tickets_bridge.sql_store import TicketRules

SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def sp(*args: int) -> datetime:
    """An instant in São Paulo time: ``sp(2026, 12, 1, 20)``."""
    return datetime(*args, tzinfo=SAO_PAULO)  # type: ignore[misc]


@pytest.fixture(scope="session")
def rules() -> TicketRules:
    """The shipped schedules (9h–11h45 and 13h30–17h30, Monday to Friday, SP holidays)."""
    return TicketRules(hours=Hours.from_config(None))

"""Callback fixtures: the shipped line's calendar and sessions on a migrated database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hours.calendar import Calendar
from hours.oracle import Hours
from ivr.storage.db import write_engine

SP = ZoneInfo("America/Sao_Paulo")


def sp(*args: int) -> datetime:
    """A São Paulo wall time: ``sp(2026, 11, 27, 18)``."""
    return datetime(*args, tzinfo=SP)  # type: ignore[misc]


@pytest.fixture
def calendar() -> Calendar:
    """The shipped ``padrao`` schedule: 9h-11h45 and 13h30-17h30, Mon-Fri, SP holidays."""
    return Hours.or_shipped({}).calendar("padrao")


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session that takes SQLite's write lock up front, as booking needs."""
    with Session(write_engine(engine)) as session:
        yield session

"""Fixtures for the calendar tests: the shipped schedule and its calendar."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from hours.calendar import Calendar
from hours.schedule import SHIPPED_SCHEDULES, Schedule, parse_schedules

SP = ZoneInfo("America/Sao_Paulo")


@pytest.fixture(scope="session")
def shipped() -> dict[str, Schedule]:
    return parse_schedules(SHIPPED_SCHEDULES)


@pytest.fixture
def padrao(shipped: dict[str, Schedule]) -> Calendar:
    """9h-11h45 and 13h30-17h30, Monday to Friday, BR + SP public holidays."""
    return Calendar(shipped["padrao"])

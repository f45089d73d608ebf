"""Fixtures for the calendar tests: the shipped schedule and its calendar."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from hours.calendar import Calendar
from hours.schedule import Schedule
from hours.schedules_section import parse_schedules

SP = ZoneInfo("America/Sao_Paulo")


SHIPPED_MENU = Path(__file__).resolve().parents[2] / "menus.yaml"


@pytest.fixture(scope="session")
def shipped() -> dict[str, Schedule]:
    """The schedules of the shipped menus.yaml: what callers of the shipped line get.

    Read with the calendar's own parser, not the menu loader: these tests are
    about the calendar alone.
    """
    document = yaml.safe_load(SHIPPED_MENU.read_text(encoding="utf-8"))
    return parse_schedules(document["schedules"])


@pytest.fixture
def padrao(shipped: dict[str, Schedule]) -> Calendar:
    """9h-11h45 and 13h30-17h30, Monday to Friday, BR + SP public holidays."""
    return Calendar(shipped["padrao"])

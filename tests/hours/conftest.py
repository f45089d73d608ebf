"""Fixtures for the calendar tests: the shipped schedule and its calendar."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hours.calendar import Calendar
from hours.schedule import Schedule
from ivr.menus.loader import load_menu

SP = ZoneInfo("America/Sao_Paulo")


SHIPPED_MENU = Path(__file__).resolve().parents[2] / "menus.yaml"


@pytest.fixture(scope="session")
def shipped() -> dict[str, Schedule]:
    """The schedules of the shipped menus.yaml: what callers of the shipped line get."""
    return dict(load_menu(SHIPPED_MENU.read_text(encoding="utf-8")).schedules)


@pytest.fixture
def padrao(shipped: dict[str, Schedule]) -> Calendar:
    """9h-11h45 and 13h30-17h30, Monday to Friday, BR + SP public holidays."""
    return Calendar(shipped["padrao"])

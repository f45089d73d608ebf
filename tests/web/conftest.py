"""Fixtures for the webhook suite: an app on a migrated database, a phone to call it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hours.clock import SettableClock
from ivr.app import close_app, create_app
from ivr.menus.loader import load_menu
from ivr.settings import Settings
from ivr.simulator import InProcess, Phone
from ivr.storage import menu_versions
from ivr.storage.db import open_session
from ivr.storage.menu_versions import migrate_and_publish_if_none

AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SHIPPED_MENU = Path(__file__).resolve().parents[2] / "menus.yaml"
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# A Tuesday morning with the line open.
OPEN_INSTANT = datetime(2026, 11, 24, 10, 0, tzinfo=SAO_PAULO)


def publish_text(database_url: str, text: str, author: str = "tests") -> int:
    with open_session(database_url, write=True) as session:
        version = menu_versions.publish(
            session, text, author, OPEN_INSTANT, validate=lambda t: load_menu(t, "menus.yaml")
        )
        session.commit()
        return version.id


@pytest.fixture
def clock() -> SettableClock:
    """The app reads "now" only through it; a test moves it with ``clock.at = …``."""
    return SettableClock(OPEN_INSTANT)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        menus_path=str(SHIPPED_MENU),
        twilio_auth_token=AUTH_TOKEN,
        secret_key="test-secret",
        var_dir=tmp_path / "var",
    )


@pytest.fixture
def app(settings: Settings, clock: SettableClock):
    migrate_and_publish_if_none(
        settings.database_url,
        lambda: SHIPPED_MENU.read_text(encoding="utf-8"),
        "tests",
        OPEN_INSTANT,
        validate=lambda text: load_menu(text, "menus.yaml"),
    )
    app = create_app(settings, clock=clock)
    yield app
    close_app(app)


@pytest.fixture
def phone(app) -> Phone:
    return Phone(InProcess(app), AUTH_TOKEN)

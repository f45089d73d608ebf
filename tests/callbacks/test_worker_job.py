"""``ivr worker`` dials due callbacks: the dispatcher is one of its jobs."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine

from hours.clock import SettableClock
from ivr.menus.loader import load_menu
from ivr.settings import Settings
from ivr.storage.menu_versions import migrate_and_publish_if_none
from ivr.worker import build_worker
from tests.callbacks.test_dispatcher import (
    ACCOUNT,
    ANA,
    FRIDAY_18H,
    MONDAY_9H,
    PUBLIC,
    SHIPPED_MENU,
    SUPPORT,
    TOKEN,
    request_callback,
)
from tests.callbacks.twilio_standin import TwilioCalls
from tests.tickets_bridge.standins.server import serving


def test_the_worker_dials_a_due_callback_through_twilio(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    migrate_and_publish_if_none(
        database_url,
        lambda: SHIPPED_MENU.read_text(encoding="utf-8"),
        "tests",
        FRIDAY_18H,
        validate=lambda text: load_menu(text, "menus.yaml"),
    )
    clock = SettableClock(FRIDAY_18H)
    request_callback(engine, clock)
    standin = TwilioCalls()
    with serving(standin) as url:
        settings = Settings(
            database_url=database_url,
            twilio_account_sid=ACCOUNT,
            twilio_auth_token=TOKEN,
            twilio_number=SUPPORT,
            twilio_api_base_url=url,
            public_url=PUBLIC,
            var_dir=tmp_path / "var",
        )
        clock.at = MONDAY_9H
        worker = build_worker(settings, clock)
        assert "callbacks-dispatcher" in [job.name for job in worker.jobs]
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while not standin.calls and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            worker.stop()
            worker.engine.dispose()
    assert [call.form["To"] for call in standin.calls] == [ANA]


def test_without_twilio_settings_the_worker_runs_without_dialing(
    database_url: str, tmp_path: Path
) -> None:
    worker = build_worker(Settings(database_url=database_url, var_dir=tmp_path / "var"))
    assert "callbacks-dispatcher" not in [job.name for job in worker.jobs]
    worker.engine.dispose()

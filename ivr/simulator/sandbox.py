"""An app on a scratch database, so simulated calls never touch the real call log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from ivr.settings import Settings


class SettableClock:
    """The sandbox's "now": fixed at an instant, or the real time when unset."""

    def __init__(self, at: datetime | None = None) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


def sandbox_app(
    settings: Settings,
    menu_text: str,
    workdir: Path,
    clock: Callable[[], datetime],
    filename: str = "menus.yaml",
) -> Flask:
    """Build the real app on a new SQLite file holding only ``menu_text`` as version 1.

    Raises ``MenuInvalid`` (problems named after ``filename``) if the menu is broken.
    """
    from ivr.app import create_app
    from ivr.menus.loader import load_menu
    from ivr.storage import menu_versions
    from ivr.storage.db import make_engine, upgrade

    url = f"sqlite:///{workdir}/simulator.db"
    upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        menu_versions.publish(
            session,
            menu_text,
            "simulator",
            clock(),
            validate=lambda text: load_menu(text, filename),
        )
        session.commit()
    engine.dispose()
    return create_app(replace(settings, database_url=url), clock=clock)

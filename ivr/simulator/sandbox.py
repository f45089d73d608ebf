"""An app on a scratch database, so simulated calls never touch the real call log."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from hours.clock import Clock
from ivr.settings import Settings


def sandbox_app(
    settings: Settings,
    menu_text: str,
    workdir: Path,
    clock: Clock,
    filename: str = "menus.yaml",
) -> Flask:
    """Build the real app on a new SQLite file holding only ``menu_text`` as version 1.

    Raises ``MenuInvalid`` (problems named after ``filename``) if the menu is broken.
    """
    from ivr.app import create_app
    from ivr.menus.loader import load_menu
    from ivr.storage.menu_versions import migrate_and_publish_if_none

    url = f"sqlite:///{workdir}/simulator.db"
    migrate_and_publish_if_none(
        url,
        lambda: menu_text,
        "simulator",
        clock(),
        validate=lambda text: load_menu(text, filename),
    )
    return create_app(settings.model_copy(update={"database_url": url}), clock=clock)

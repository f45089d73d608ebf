"""What calls hear, as the commands read it: the menu, its hours, the stored closures."""

from __future__ import annotations

from pathlib import Path

from hours.oracle import Hours
from hours.schedule import EmergencyClosure
from ivr.menus.document import Menu
from ivr.menus.loader import load_menu, read_menu_file
from ivr.settings import Settings
from ivr.storage.menu_versions import live_or_file


def heard_menu(settings: Settings, menu_file: str | Path | None = None) -> tuple[Menu, str]:
    """(menu, where from): ``menu_file`` if given, else the live version, else $IVR_MENUS.

    Raises ``OSError`` for a file that cannot be read and ``MenuInvalid``
    (every problem, named after the file) for one that is not a valid menu.
    """
    if menu_file is None:
        text, source = live_or_file(settings.database_url, settings.menus_path)
    else:
        text, source = read_menu_file(menu_file), str(menu_file)
    return load_menu(text, source), source


def stored_closures(settings: Settings) -> tuple[EmergencyClosure, ...]:
    """Every emergency closure in the configured database; none if it cannot be read."""
    from ivr.storage.closures import emergency_closures
    from ivr.storage.db import open_session

    try:
        with open_session(settings.database_url) as session:
            return emergency_closures(session)
    except Exception:  # no database yet: nothing was ever closed
        return ()


def heard_hours(settings: Settings, menu: Menu) -> Hours:
    """The calendars calls of ``menu`` hear, with the stored emergency closures."""
    return menu.hours(stored_closures(settings))

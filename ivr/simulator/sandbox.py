"""An app on a scratch database, so simulated calls never touch the real call log.

The scratch database can carry a copy of what the real one holds besides
the menu (``LiveState``: the emergency closures and the draft with its test
numbers), so a simulated call hears what a real caller would hear.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from hours.clock import Clock
from hours.schedule import EmergencyClosure
from ivr.settings import Settings


@dataclass(frozen=True, slots=True)
class Draft:
    """The draft that calls from ``test_numbers`` hear instead of the live version."""

    version: int
    content: str
    test_numbers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LiveState:
    """What calls hear besides the live menu: emergency closures and the draft."""

    closures: tuple[EmergencyClosure, ...] = ()
    draft: Draft | None = None

    def hears_draft(self, caller: str) -> bool:
        return self.draft is not None and caller in self.draft.test_numbers


def read_live_state(database_url: str) -> LiveState:
    """The closures (in force, planned or past) and the draft in ``database_url``.

    Nothing when there is no database to read yet.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ivr.storage.closures import emergency_closures
    from ivr.storage.db import open_session
    from ivr.storage.menu_versions import current_draft

    try:
        with open_session(database_url) as session:
            closures = emergency_closures(session)
            draft = current_draft(session)
            return LiveState(
                closures,
                Draft(draft.id, draft.content, tuple(draft.test_numbers or ()))
                if draft is not None
                else None,
            )
    except SQLAlchemyError:
        return LiveState()


def sandbox_app(
    settings: Settings,
    menu_text: str,
    workdir: Path,
    clock: Clock,
    filename: str = "menus.yaml",
    live: LiveState | None = None,
) -> Flask:
    """Build the real app on a new SQLite file holding ``menu_text`` as version 1,
    and a copy of ``live``'s closures and draft.

    Raises ``MenuInvalid`` (problems named after ``filename``) if the menu is broken.
    """
    from ivr.app import create_app
    from ivr.menus.loader import load_menu
    from ivr.storage import closures, menu_versions
    from ivr.storage.db import open_session

    url = f"sqlite:///{workdir}/simulator.db"
    menu_versions.migrate_and_publish_if_none(
        url,
        lambda: menu_text,
        "simulator",
        clock(),
        validate=lambda text: load_menu(text, filename),
    )
    if live is not None and (live.closures or live.draft is not None):
        with open_session(url, write=True) as session:
            for closure in live.closures:
                schedules = sorted(closure.schedules) if closure.schedules else None
                closures.close(
                    session,
                    closure.message,
                    closure.start,
                    closure.end,
                    "simulator",
                    schedules,
                    now=closure.start,
                )
            if live.draft is not None:
                menu_versions.publish_draft(
                    session,
                    live.draft.content,
                    "simulator",
                    clock(),
                    list(live.draft.test_numbers),
                    validate=lambda _text: None,  # it was checked when it was published
                )
            session.commit()
    return create_app(settings.model_copy(update={"database_url": url}), clock=clock)

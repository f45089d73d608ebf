"""Wiring of the callbacks to the live menu, Twilio and the tickets (composition only).

Used by the worker, ``ivr serve``, the web app's callback routes and the
command line, so each builds the dispatcher's collaborators the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from sqlalchemy import Engine

from callbacks.dispatcher import Dispatcher, LineLookup, LineSetup
from callbacks.policy import CallbackPolicy
from callbacks.tickets import failure_ticket
from hours.clock import Clock
from hours.oracle import Hours
from ivr.menus.document import Menu
from ivr.menus.loader import load_menu
from ivr.settings import Settings
from ivr.storage.closures import ClosureCache
from ivr.storage.menu_versions import VersionCache

DEFAULT_POLICY = CallbackPolicy()


def line_setup(menu: Menu, hours: Hours, line: str) -> LineSetup:
    """A line's calendar and callback policy; a line the menu no longer has gets the defaults."""
    product = menu.lines.get(line)
    if product is None:
        return LineSetup(hours.calendar(None), DEFAULT_POLICY)
    return LineSetup(hours.calendar(product.schedule), product.callbacks.policy())


def live_lines(versions: Any) -> LineLookup:
    """Line setups from the live menu version (``VersionCache`` of releases)."""

    def lookup(line: str) -> LineSetup:
        _version, release = versions.current()
        return line_setup(release.menu, release.hours, line)

    return lookup


def live_ticket_hook(versions: Any, store: str):
    def hours_of() -> tuple[Hours, dict[str, str], dict[str, str]]:
        _version, release = versions.current()
        menu = release.menu
        schedules = {k: v.schedule for k, v in menu.lines.items() if v.schedule}
        names = {k: v.name for k, v in menu.lines.items()}
        return release.hours, schedules, names

    return failure_ticket(hours_of, store)


@dataclass(frozen=True, slots=True)
class LiveMenu:
    """A published menu version as the dispatcher reads it: lines and their calendars."""

    menu: Menu
    hours: Hours


def live_menus(engine: Engine, clock: Clock) -> VersionCache[LiveMenu]:
    """The live menu for a process without the web app (the worker): parsed once per version.

    Emergency closures come from the database (re-read every 2 s), so a
    closure set on any process stops the dialing within seconds.
    """
    closures = ClosureCache(engine, clock)

    def load(text: str) -> LiveMenu:
        menu = load_menu(text, "menus.yaml")
        return LiveMenu(menu, menu.hours(closures))

    return VersionCache(engine, load, refresh_interval=5.0)


def make_dispatcher(
    settings: Settings, engine: Engine, versions: Any, clock: Clock
) -> Dispatcher | None:
    """The dispatcher, or None when Twilio is not configured (a newcomer's ``make run``)."""
    if not (settings.twilio_account_sid and settings.twilio_number and settings.public_url):
        return None
    from ivr.telephony.dialer import TwilioDialer

    dialer = TwilioDialer(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_number,
        base_url=settings.twilio_api_base_url,
    )
    return Dispatcher(
        engine,
        live_lines(versions),
        dialer,
        settings.public_url,
        clock,
        cps=settings.callback_cps,
        on_failed=live_ticket_hook(versions, settings.ticket_store),
    )


def live_line_info(versions: Any):
    """``callbacks.sms.LineInfo`` over the live menu: a line's spoken name and time zone."""

    def info(line: str) -> tuple[str, tzinfo]:
        _version, release = versions.current()
        product = release.menu.lines.get(line)
        setup = line_setup(release.menu, release.hours, line)
        return (product.name if product is not None else line), setup.calendar.tz

    return info


def make_sms_job(
    settings: Settings, engine: Engine, versions: Any, clock: Clock
) -> Callable[[], int] | None:
    """The job sending callbacks' SMS confirmations, or None when they are off or
    Twilio is not configured."""
    if not (settings.callback_sms and settings.twilio_account_sid and settings.twilio_number):
        return None
    from callbacks.sms import send_due
    from ivr.telephony.messages import TwilioMessenger

    messenger = TwilioMessenger(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_number,
        base_url=settings.twilio_api_base_url,
    )
    info = live_line_info(versions)
    return lambda: send_due(engine, messenger, info, clock())

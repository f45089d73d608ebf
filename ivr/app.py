"""The composition root: ``create_app()`` builds every service once.

Nothing connects, reads the clock or loads a file at import time.
"""

from __future__ import annotations

import atexit
import logging
import sys
from collections.abc import Callable

from flask import Flask
from sqlalchemy import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from hours.calendar import EmergencySource
from hours.clock import Clock, utc_now
from ivr.callback_desk import IvrCallbackDesk
from ivr.library_logs import keep_numbers_out
from ivr.menus.fallback import configured_queue_problem
from ivr.menus.loader import load_menu
from ivr.settings import Settings, SettingsError
from ivr.storage.closures import ClosureCache
from ivr.storage.db import make_engine
from ivr.storage.menu_versions import NoPublishedVersion, VersionCache
from ivr.telephony.queue_wait import WaitAnnouncer
from ivr.telephony.signature import SignatureChecker
from ivr.telephony.state_url import StateCodec
from ivr.telephony.twiml import Renderer
from ivr.telephony.voice import CallHandler, Release, SafeRoutes
from ivr.web import callbacks, operations, voice
from ivr.web.console import init_console
from ivr.web.metrics import Metrics
from ivr.web.services import Services
from ivr.web.sessions import ConsoleOnlySessions
from tickets_bridge.store import TicketStore

WEB_SWITCH_INTERVAL = 0.0005  # seconds; see create_app


def release_loader(
    emergencies: EmergencySource,
    voice: str,
    codec: StateCodec,
    fallback_number: str = "",
    fallback_queue: str = "",
) -> Callable[[str], Release]:
    """How a stored menu version becomes something that serves calls: parsed once.

    ``voice`` is the deployment's default; a menu may name its own voice.
    ``codec`` writes the step URLs; every renderer shares the app's.
    ``fallback_number`` / ``fallback_queue`` shape its safe routes (``SafeRoutes``).
    """

    def load_release(text: str) -> Release:
        menu = load_menu(text, "menus.yaml")
        renderer = Renderer(menu.voice or voice, menu.language, codec=codec)
        return Release(
            menu=menu,
            hours=menu.hours(emergencies),
            renderer=renderer,
            safe=SafeRoutes.build(menu, renderer, fallback_number, fallback_queue),
        )

    return load_release


def close_app(app: Flask) -> None:
    """Shut an app built by :func:`create_app` down cleanly (tests, tools)."""
    app.extensions["ivr"].close()


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock = utc_now,
    start_background: bool = True,
    menu_refresh_seconds: float = 1.0,
) -> Flask:
    """Build the web application.

    ``clock`` is the one place "now" comes from, so whole calls can be run
    at any instant in tests and in the simulator.
    """
    from ivr.storage.call_log import CallLog

    settings = (settings or Settings.from_env()).with_local_secrets()
    app = Flask(__name__)
    app.session_interface = ConsoleOnlySessions()
    app.config["SECRET_KEY"] = settings.secret_key
    if settings.trusted_proxies and not settings.public_url:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)

    engine = make_engine(settings.database_url)
    metrics = Metrics()
    call_log = CallLog(engine)
    if start_background:
        # When the call log's background thread writes beside the request
        # thread (a process falling quiet, a flush), the default 5 ms switch
        # interval would let a request thread that released the GIL for a
        # socket call wait up to 5 ms to get it back (the "convoy effect").
        sys.setswitchinterval(WEB_SWITCH_INTERVAL)
        call_log.start()
        # A worker that gunicorn stops gracefully writes what is still queued.
        atexit.register(call_log.stop)
    closures = ClosureCache(engine, clock)
    codec = StateCodec(settings.secret_key)
    load = release_loader(
        closures, settings.voice, codec, settings.fallback_number, settings.fallback_queue
    )
    versions = VersionCache(engine, load, refresh_interval=menu_refresh_seconds)
    _warm_up(versions, clock)
    problem = _fallback_queue_problem(versions, settings.fallback_queue)
    if problem is not None:  # refused at start-up rather than on a caller's failed step
        if start_background:
            call_log.stop()
        engine.dispose()
        raise SettingsError(problem)
    renderer = Renderer(settings.voice, codec=codec)
    tickets = ticket_desk(settings, engine, versions, clock)
    calls = CallHandler(
        versions,
        renderer,
        call_log,
        clock,
        fallback_number=settings.fallback_number,
        on_error=metrics.failures.inc,
        tickets=tickets,
        callbacks=IvrCallbackDesk(engine, versions, sms=settings.callback_sms),
    )
    app.extensions["ivr"] = Services(
        settings=settings,
        signatures=SignatureChecker(settings.twilio_auth_token),
        calls=calls,
        metrics=metrics,
        versions=versions,
        call_log=call_log,
        clock=clock,
        engine=engine,
        wait_announcer=WaitAnnouncer(settings.voice),
    )

    app.register_blueprint(voice.bp)
    app.register_blueprint(operations.bp)
    app.register_blueprint(callbacks.bp)
    init_console(app)
    logging.getLogger("ivr").setLevel(logging.INFO)
    keep_numbers_out()
    return app


def ticket_desk(settings: Settings, engine: Engine, versions: VersionCache, clock: Clock):
    """The voicemail and ticket-status steps' way to the tickets (see ``ivr.ticket_desk``)."""
    from ivr.ticket_desk import LOOKUP_TIMEOUT, IvrTicketDesk, live_rules

    def line_names() -> dict[str, str]:
        _version, release = versions.current()
        return {name: line.name for name, line in release.menu.lines.items()}

    def remote() -> TicketStore:
        import httpx

        from tickets_bridge.stores import make_store

        client = httpx.Client(timeout=httpx.Timeout(LOOKUP_TIMEOUT))
        rules = live_rules(versions)
        return make_store(
            settings.ticket_store, engine=engine, rules=rules, clock=clock, client=client
        )

    return IvrTicketDesk(
        engine,
        settings.ticket_store,
        lambda: live_rules(versions),
        line_names,
        remote=remote if settings.ticket_store != "sql" else None,
    )


def _fallback_queue_problem(versions: VersionCache, queue: str) -> str | None:
    """Why IVR_FALLBACK_QUEUE cannot be used with the live menu, if it cannot."""
    try:
        _version, release = versions.current()
    except Exception:  # nothing live yet, or unreadable: _warm_up has said so
        return None
    return configured_queue_problem(release.menu, queue)


def _warm_up(versions: VersionCache, clock: Clock) -> None:
    """Parse the live menu and build today's calendar now, not on the first call."""
    try:
        _version, release = versions.current()
        release.hours.is_open(None, clock())
    except NoPublishedVersion:
        logging.getLogger("ivr").warning("no menu is published yet: `ivr menus publish FILE`")
    except Exception:  # the first webhook will answer with the apology, and log why
        logging.getLogger("ivr").exception("could not load the live menu at start-up")

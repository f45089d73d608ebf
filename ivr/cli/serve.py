"""``ivr serve``: migrate, publish the shipped menu if none is live, and serve."""

from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import click

from hours.clock import RunningClock, utc_now
from ivr.cli.params import Instant
from ivr.settings import Settings, SettingsError


def prepare(settings: Settings) -> None:
    """Bring the database to the latest schema and make sure a menu is live."""
    from ivr.menus.loader import load_menu
    from ivr.storage.menu_versions import migrate_and_publish_if_none

    path = Path(settings.menus_path)
    published = migrate_and_publish_if_none(
        settings.database_url,
        lambda: path.read_text(encoding="utf-8"),
        getpass.getuser(),
        utc_now(),
        validate=lambda content: load_menu(content, str(path)),
    )
    if published is not None:
        click.echo(f"published {path} as version {published}")


def refuse_unknown_fallback_queue(settings: Settings) -> None:
    """IVR_FALLBACK_QUEUE must be a queue of the live menu: one line, before serving."""
    from ivr.menus.fallback import configured_queue_problem
    from ivr.menus.loader import load_menu
    from ivr.storage.menu_versions import live_text

    live = live_text(settings.database_url)
    problem = live and configured_queue_problem(load_menu(live[0]), settings.fallback_queue)
    if problem:
        raise SettingsError(problem)


def first_supervisor_hint(settings: Settings, host: str, port: int) -> str | None:
    """How the first supervisor gets into the console, while there is none (never a
    default password)."""
    from ivr.storage.accounts import has_supervisor
    from ivr.storage.db import open_session

    with open_session(settings.database_url) as session:
        if has_supervisor(session):
            return None
    return (
        "Console: ainda não há supervisor. Crie o primeiro com\n"
        "    .venv/bin/ivr users add SEU_NOME --role supervisor\n"
        f"e entre em http://{host}:{port}/admin/login"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--at",
    type=Instant(),
    default=None,
    help="Start the clock at this instant and let it run (staging, tests).",
)
def serve(host: str, port: int, threads: int, at: datetime | None) -> None:
    """Migrate, publish menus.yaml if nothing is live, serve the webhooks and run the worker."""
    from gunicorn.app.base import BaseApplication

    from ivr.worker import build_worker

    settings = Settings.from_env()
    prepare(settings)
    refuse_unknown_fallback_queue(settings)
    hint = first_supervisor_hint(settings, host, port)
    if hint:
        click.echo(hint)
    clock = RunningClock(at) if at else utc_now
    # The worker runs in this (gunicorn's master) process, once, whatever the
    # number of web workers; create_app() never starts one.
    worker = build_worker(settings, clock)

    class _Server(BaseApplication):  # gunicorn's documented embedding API
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")
            self.cfg.set("when_ready", lambda _arbiter: worker.start())
            self.cfg.set("on_exit", lambda _arbiter: worker.stop())

        def load(self):
            from ivr.app import create_app

            return create_app(settings, clock=clock)

    try:
        _Server().run()
    finally:
        worker.stop()
        worker.engine.dispose()

"""``ivr serve``: migrate, publish the shipped menu if none is live, and serve."""

from __future__ import annotations

import getpass
from datetime import UTC, datetime
from pathlib import Path

import click

from ivr.settings import Settings


def prepare(settings: Settings) -> None:
    """Bring the database to the latest schema and make sure a menu is live."""
    from sqlalchemy.orm import Session

    from ivr.menus.loader import load_menu
    from ivr.storage import menu_versions
    from ivr.storage.db import make_engine, upgrade

    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        if menu_versions.latest(session) is None:
            path = Path(settings.menus_path)
            text = path.read_text(encoding="utf-8")
            version = menu_versions.publish(
                session,
                text,
                getpass.getuser(),
                datetime.now(UTC),
                validate=lambda content: load_menu(content, str(path)),
            )
            session.commit()
            click.echo(f"published {path} as version {version.id}")
    engine.dispose()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Migrate, publish menus.yaml if nothing is live, and serve the webhooks."""
    from gunicorn.app.base import BaseApplication

    settings = Settings.from_env()
    prepare(settings)

    class _Server(BaseApplication):  # gunicorn's documented embedding API
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", 1)
            self.cfg.set("threads", threads)
            self.cfg.set("accesslog", "-")

        def load(self):
            from ivr.app import create_app

            return create_app(settings)

    _Server().run()

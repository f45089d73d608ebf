"""``ivr serve``: migrate, publish the shipped menu if none is live, and serve."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from hours.clock import utc_now
from ivr.settings import Settings


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

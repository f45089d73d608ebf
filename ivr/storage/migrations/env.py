"""Alembic environment, configured from code (see ``ivr.storage.db.alembic_config``).

A connection passed in ``config.attributes["connection"]`` is used as is
(tests, ``ivr.storage.db.upgrade(engine)``); otherwise an engine is made from
``config.attributes["url"]``, then ``sqlalchemy.url``, then the settings.
"""

from __future__ import annotations

from alembic import context

import ivr.storage.models  # noqa: F401  (registers the tables on the metadata)
from ivr.storage.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> object:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from ivr.settings import Settings

    return Settings.from_env().database_url


def _configure(connection: object | None = None, **extra: object) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most constraints in place
        compare_type=True,
        **extra,
    )


def run_migrations_offline() -> None:
    _configure(url=str(_url()), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())  # type: ignore[arg-type]
    try:
        with engine.connect() as connection:
            _configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

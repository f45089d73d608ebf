"""Fixtures for the console: an app on a migrated database, users, logged-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ivr.menus.loader import load_menu
from ivr.settings import Settings
from ivr.storage.accounts import add_user
from ivr.storage.db import open_session
from tests.conftest import OPEN_INSTANT, SHIPPED_MENU

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The root fixture's settings with the console's own secret key."""
    return settings.model_copy(update={"secret_key": "console-test-secret"})


@pytest.fixture
def app(make_app: Callable[..., Flask], settings: Settings) -> Flask:
    """The root ``make_app``'s app, no background threads, with a supervisor and a viewer."""
    app = make_app(start_background=False)
    with open_session(settings.database_url, write=True) as session:
        add_user(session, "ana", PASSWORD, "supervisor", OPEN_INSTANT)
        add_user(session, "vitor", PASSWORD, "viewer", OPEN_INSTANT)
        session.commit()
    return app


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def log_in(client: FlaskClient, name: str, password: str = PASSWORD, next_url: str = ""):
    page = client.get("/admin/login")
    token = csrf_of(page.get_data(as_text=True))
    return client.post(
        "/admin/login",
        data={"name": name, "password": password, "csrf_token": token, "next": next_url},
    )


@pytest.fixture
def supervisor(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "ana").status_code == 302
    return client


@pytest.fixture
def viewer(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert log_in(client, "vitor").status_code == 302
    return client


def token_from(client: FlaskClient, path: str = "/admin/") -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


def book_callback(database_url: str, number: str = "+5511987654321", line: str = "erp") -> str:
    """Book a callback on the shipped menu's line, as a caller would; its protocol."""
    from callbacks.booking import book
    from ivr.callback_setup import line_setup
    from ivr.storage.db import make_engine, write_engine

    menu = load_menu(SHIPPED_MENU.read_text(encoding="utf-8"), "menus.yaml")
    setup = line_setup(menu, menu.hours(), line)
    engine = make_engine(database_url)
    try:
        from sqlalchemy.orm import Session

        with Session(write_engine(engine)) as session:
            callback = book(
                session,
                setup.calendar,
                setup.policy,
                line=line,
                number=number,
                protocol=f"2026{abs(hash(number)) % 10**8:08d}",
                now=OPEN_INSTANT,
            )
            session.commit()
            return callback.protocol
    finally:
        engine.dispose()


def open_ticket_row(
    database_url: str, phone: str = "+5511912345678", store: str = "zendesk", dead: bool = False
) -> str:
    """A ticket the line opened (with its outbox item for a remote store); its protocol."""
    import uuid

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from hours.oracle import Hours
    from ivr.storage.db import make_engine
    from ivr.storage.ticket_tables import OutboxItem
    from tickets_bridge.intake import TicketRequest, record_ticket
    from tickets_bridge.sql_store import TicketRules

    engine = make_engine(database_url)
    try:
        receipt = record_ticket(
            engine,
            TicketRequest("Recado de voz", "O cliente deixou um recado.", line="erp", phone=phone),
            key=uuid.uuid4().hex,
            now=OPEN_INSTANT,
            store=store,
            rules=TicketRules(hours=Hours.from_config(None)),
        )
        if dead:
            with Session(engine) as session, session.begin():
                session.execute(update(OutboxItem).values(dead=True, last_error="HTTP 503"))
        return receipt.protocol
    finally:
        engine.dispose()

"""The console's blueprint: every request needs a session, every POST a CSRF token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask import Blueprint, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm import Session

from ivr.storage.db import write_engine

if TYPE_CHECKING:
    from ivr.web.services import Services

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static"})


def services() -> Services:
    return current_app.extensions["ivr"]


@contextmanager
def reading() -> Iterator[Session]:
    with Session(services().engine) as session:
        yield session


@contextmanager
def writing() -> Iterator[Session]:
    """A transaction that takes SQLite's write lock up front; committed on success."""
    writer = write_engine(services().engine)
    with Session(writer, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def rehearsing() -> Iterator[Session]:
    """A write transaction that is always rolled back: to count what a change would do."""
    writer = write_engine(services().engine)
    with Session(writer) as session:
        session.begin()
        try:
            yield session
        finally:
            session.rollback()


@bp.before_request
def _guard():
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        from ivr.web.console import csrf

        csrf.protect()  # raises CSRFError (400) before the view runs
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    return None


@bp.errorhandler(CSRFError)
def _csrf_refused(error: CSRFError):
    from flask import render_template

    return render_template(
        "console/error.html",
        title="Formulário expirado",
        message="O formulário expirou ou não veio desta página. "
        "Recarregue a página e tente de novo.",
    ), 400


@bp.app_template_filter("local")
def _local(instant) -> str:
    """A stored UTC instant as São Paulo wall-clock time, the way supervisors read it."""
    from zoneinfo import ZoneInfo

    from hours.schedule import DEFAULT_TIMEZONE

    if instant is None:
        return "—"
    return instant.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).strftime("%d/%m/%Y %H:%M")


@bp.app_context_processor
def _helpers() -> dict[str, object]:
    from ivr.web.console.access import mask_number

    return {"mask": mask_number, "has_page": lambda e: e in current_app.view_functions}


@bp.app_template_filter("mask")
def _mask(number: str | None) -> str:
    from ivr.web.console.access import mask_number

    return mask_number(number)


@bp.app_template_filter("mask_text")
def _mask_text(text: str | None) -> str:
    """Free text (a message, a comment) with any number in it masked for viewers."""
    from ivr.web.console.access import mask_numbers_in

    return mask_numbers_in(text)

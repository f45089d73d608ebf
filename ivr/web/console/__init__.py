"""The supervisor console under ``/admin``: server-rendered pages in pt-BR.

Only this package (with the rest of ``ivr.web``) knows Flask; every change
calls the same domain functions as the command line and is written to the
audit log in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from ivr.web.console import access
from ivr.web.console.blueprint import bp

csrf = CSRFProtect()


def init_console(app: Flask) -> None:
    """Wire log-in, CSRF and the cookie rules, and register the console's pages."""
    settings = app.extensions["ivr"].settings
    app.config.update(
        SESSION_COOKIE_NAME="ivr_console",
        SESSION_COOKIE_PATH="/admin",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        # Checked by the console's own before_request, so the webhooks never see it.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
    )
    before = len(app.before_request_funcs.get(None, ()))
    after = len(app.after_request_funcs.get(None, ()))
    csrf.init_app(app)
    logins = LoginManager()
    logins.session_protection = "basic"
    logins.user_loader(access.load_user)
    logins.unauthorized_handler(access.unauthorized)
    logins.init_app(app)
    # Both extensions hook every request of the app, yet only the console logs
    # people in: Twilio's webhooks (signed, never logged in) skip the hooks.
    _console_only(app.before_request_funcs, before)
    _console_only(app.after_request_funcs, after)
    from ivr.web.console import pages  # noqa: F401  (registers the views on bp)
    from ivr.web.console.dashboard import DashboardCollector

    app.register_blueprint(bp)
    services = app.extensions["ivr"]
    services.metrics.registry.register(DashboardCollector(services))


def _console_only(hooks: dict[str | None, list[Any]], kept: int) -> None:
    """Move the app-wide hooks added after the first ``kept`` to the console's scope."""
    added = hooks.get(None, [])[kept:]
    if added:
        del hooks[None][kept:]
        hooks.setdefault(bp.name, []).extend(added)


__all__ = ["csrf", "init_console"]

"""Flask sessions for the console only."""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSessionInterface, SessionMixin


class ConsoleOnlySessions(SecureCookieSessionInterface):
    """Cookie sessions for the console only.

    Twilio sends no cookies worth reading; skipping the session machinery
    keeps a webhook from building a signing serializer on every request.
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith("/admin"):
            return super().open_session(app, request)
        return self.make_null_session(app)

"""Operational routes: ``/healthz`` and Prometheus' ``/metrics``.

``/metrics`` tells call volumes and failures to whoever asks; with
``IVR_METRICS_TOKEN`` set it answers only a scraper that sends the token as
``Authorization: Bearer <token>`` (Prometheus' ``authorization`` setting).
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, request

bp = Blueprint("operations", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return Response("ok\n", content_type="text/plain")


@bp.get("/metrics")
def prometheus() -> Response:
    services = current_app.extensions["ivr"]
    token = services.settings.metrics_token
    if token and not _bearer_is(token):
        return Response(
            "unauthorized\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(services.metrics.exposition(), content_type="text/plain; version=0.0.4")


def _bearer_is(token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())

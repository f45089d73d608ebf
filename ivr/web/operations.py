"""Operational routes: ``/healthz`` and Prometheus' ``/metrics``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

bp = Blueprint("operations", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    return Response("ok\n", content_type="text/plain")


@bp.get("/metrics")
def prometheus() -> Response:
    metrics = current_app.extensions["ivr"].metrics
    return Response(metrics.exposition(), content_type="text/plain; version=0.0.4")

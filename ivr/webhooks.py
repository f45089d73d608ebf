"""Twilio's voice webhooks: verify the signature, hand the form to the call handler."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, abort, current_app, request

from ivr.calls import StatusReport, VoiceRequest

bp = Blueprint("voice", __name__, url_prefix="/voice")

XML = "text/xml; charset=utf-8"


def _services():
    return current_app.extensions["ivr"]


def twilio_url() -> str:
    """The URL Twilio requested, as it signed it.

    Behind a proxy, IVR_PUBLIC_URL gives the public scheme and host; without
    it, ProxyFix (enabled for the trusted hops only) has already rewritten
    the request's scheme and host from X-Forwarded-*.
    """
    public = _services().public_url
    if public:
        query = request.query_string
        path = request.path
        return f"{public}{path}?{query.decode()}" if query else f"{public}{path}"
    return request.url


def signed(view: Callable[[], Response]) -> Callable[[], Response]:
    """Refuse (403, nothing written) any request not signed by our Twilio account."""

    @wraps(view)
    def checked() -> Response:
        services = _services()
        signature = request.headers.get("X-Twilio-Signature", "")
        if not services.signatures.is_valid(twilio_url(), request.form, signature):
            services.metrics.rejected.inc()
            abort(403)
        started = time.perf_counter()
        response = view()
        services.metrics.latency.observe(time.perf_counter() - started)
        return response

    return checked


@bp.post("/incoming")
@signed
def incoming() -> Response:
    services = _services()
    services.metrics.requests.labels("incoming").inc()
    twiml = services.calls.handle(VoiceRequest.from_form(request.form))
    return Response(twiml, content_type=XML)


@bp.post("/step")
@signed
def step() -> Response:
    services = _services()
    services.metrics.requests.labels("step").inc()
    twiml = services.calls.handle(VoiceRequest.from_form(request.form), request.args)
    return Response(twiml, content_type=XML)


@bp.post("/status")
@signed
def status() -> Response:
    """Twilio's status callback: the call's progress, possibly repeated or late."""
    services = _services()
    services.metrics.requests.labels("status").inc()
    report = StatusReport.from_form(request.form)
    if report.call_sid and services.call_log is not None:
        services.call_log.status(
            report.call_sid,
            report.call_status,
            report.sequence_number,
            report.duration,
            services.clock(),
        )
    return Response(status=204)

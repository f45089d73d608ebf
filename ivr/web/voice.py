"""Twilio's voice webhooks: verify the signature, hand the form to the call handler."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, abort, current_app, request

from ivr.telephony.forms import StatusReport, VoiceRequest, parse_form
from ivr.telephony.queue_wait import parse_wait_query

if TYPE_CHECKING:
    from ivr.web.services import Services

bp = Blueprint("voice", __name__, url_prefix="/voice")

XML = "text/xml; charset=utf-8"
MAX_FORM_BYTES = 64 * 1024  # Twilio's voice forms are well under 2 KiB


# The hot path reads the WSGI environ directly: each attribute of Flask's
# ``request`` proxy costs a context lookup and often a parse, and together
# they cost a webhook more than its own work.


def twilio_url(services: Services, environ: dict[str, Any]) -> str:
    """The URL Twilio requested, as it signed it.

    Behind a proxy, IVR_PUBLIC_URL gives the public scheme and host; without
    it, ProxyFix (enabled for the trusted hops only) has already rewritten
    the request's scheme and host from X-Forwarded-*.
    """
    public = services.public_url
    if public:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        return f"{public}{path}?{query}" if query else f"{public}{path}"
    return request.url


def twilio_form(environ: dict[str, Any]) -> dict[str, str]:
    """The posted form as a plain dict, parsed once.

    Twilio never repeats a parameter. A plain dict also spares the many
    lookups of absent fields (Digits, SpeechResult, …) the exception that
    Werkzeug's MultiDict raises and catches for each of them.
    """
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        abort(400)
    if length > MAX_FORM_BYTES or length < 0:
        abort(413)
    # Read the WSGI stream directly: Werkzeug's get_data() wraps it in a
    # limited stream and a cache, which costs more than parsing the form.
    body = environ["wsgi.input"].read(length).decode("utf-8", "replace")
    return parse_form(body)


View = Callable[["Services", dict[str, str]], Response]


def signed(view: View) -> Callable[[], Response]:
    """Refuse (403, nothing written) any request not signed by our Twilio account."""

    @wraps(view)
    def checked() -> Response:
        started = time.perf_counter()
        services = current_app.extensions["ivr"]
        environ = request.environ
        form = twilio_form(environ)
        signature = environ.get("HTTP_X_TWILIO_SIGNATURE", "")
        if not services.signatures.is_valid(twilio_url(services, environ), form, signature):
            services.metrics.rejected.inc()
            abort(403)
        response = view(services, form)
        services.metrics.latency.observe(time.perf_counter() - started)
        if services.call_log is not None:
            # Once the response has gone, not before: see CallLog.write_due.
            response.call_on_close(services.call_log.write_due)
        return response

    return checked


@bp.post("/incoming")
@signed
def incoming(services: Services, form: dict[str, str]) -> Response:
    services.metrics.served["incoming"].inc()
    twiml = services.calls.handle(VoiceRequest.from_form(form))
    return Response(twiml, content_type=XML)


@bp.post("/step")
@signed
def step(services: Services, form: dict[str, str]) -> Response:
    services.metrics.served["step"].inc()
    query = request.environ.get("QUERY_STRING", "")
    twiml = services.calls.handle(VoiceRequest.from_form(form), query)
    return Response(twiml, content_type=XML)


@bp.post("/recorded")
@signed
def recorded(services: Services, form: dict[str, str]) -> Response:
    """A voicemail left on the safe route of a failed step: kept, then goodbye."""
    services.metrics.served["recorded"].inc()
    query = request.environ.get("QUERY_STRING", "")
    twiml = services.calls.recorded(VoiceRequest.from_form(form), query)
    return Response(twiml, content_type=XML)


@bp.post("/wait")
@signed
def wait(services: Services, form: dict[str, str]) -> Response:
    """The ``<Enqueue waitUrl>``: the caller's place and the estimated wait, then music or silence.

    Requested again each time the answer has played, for every waiting
    caller: everything it needs is in the URL and the form (no database).
    """
    services.metrics.served["wait"].inc()
    settings = parse_wait_query(request.environ.get("QUERY_STRING", ""))
    return Response(
        services.wait_announcer.answer(settings, form, services.clock().timestamp()),
        content_type=XML,
    )


@bp.post("/status")
@signed
def status(services: Services, form: dict[str, str]) -> Response:
    """Twilio's status callback: the call's progress, possibly repeated or late."""
    services.metrics.served["status"].inc()
    report = StatusReport.from_form(form)
    if report.call_sid and services.call_log is not None:
        services.call_log.status(
            report.call_sid,
            report.call_status,
            report.sequence_number,
            report.duration,
            services.clock(),
        )
    return Response(status=204)

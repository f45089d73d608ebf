"""Twilio's requests about outbound callbacks: the answered call's TwiML and its statuses.

Both are signed like every voice route; the attempt travels in the URL the
dispatcher gave Twilio. These are not the inbound hot path: a database read
and write per request is fine here.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Blueprint, Response, request
from sqlalchemy.orm import Session

from callbacks.dispatcher import record_status
from callbacks.phrases import greeting, machine_message
from ivr.callback_setup import live_lines, live_ticket_hook
from ivr.menus.fallback import fallback_queue
from ivr.storage.db import write_engine
from ivr.storage.models import CallbackAttempt
from ivr.telephony.forms import _int_or_none
from ivr.telephony.twiml import APOLOGY_NO_ROUTE, callback_twiml
from ivr.web.voice import XML, signed
from tickets_bridge.protocol import spoken_protocol

if TYPE_CHECKING:
    from ivr.web.services import Services

log = logging.getLogger(__name__)

bp = Blueprint("callbacks", __name__, url_prefix="/callbacks")


def _attempt_id() -> int | None:
    value = request.args.get("attempt", "")
    return int(value) if value.isdecimal() and len(value) < 12 else None


@bp.post("/answer")
@signed
def answer(services: Services, form: dict[str, str]) -> Response:
    """The customer (or their voicemail) answered: greet and connect, or leave the protocol."""
    voice, language = services.settings.voice, "pt-BR"
    attempt_id = _attempt_id()
    with Session(services.engine) as session:
        attempt = session.get(CallbackAttempt, attempt_id) if attempt_id else None
        if attempt is None:
            log.warning("callback answer for an unknown attempt")
            apology = callback_twiml(voice, language, APOLOGY_NO_ROUTE, None)
            return Response(apology, content_type=XML)
        callback = attempt.callback
        line, reason, protocol = callback.line, callback.reason, callback.protocol
    _version, release = services.versions.current()
    product = release.menu.lines.get(line)
    name = product.name if product is not None else "atendimento"
    if product is not None:
        queue = product.queue
    else:  # a line the live menu no longer has: a queue it does have
        queue = fallback_queue(release.menu, services.settings.fallback_queue)
    answered_by = form.get("AnsweredBy", "")
    if answered_by.startswith(("machine", "fax")):
        text = machine_message(name, spoken_protocol(protocol))
        twiml = callback_twiml(voice, language, text, None)
    else:
        twiml = callback_twiml(voice, language, greeting(name, reason), queue)
    return Response(twiml, content_type=XML)


@bp.post("/status")
@signed
def status(services: Services, form: dict[str, str]) -> Response:
    """A status callback of an outbound callback; repeats and late ones change nothing."""
    attempt_id = _attempt_id()
    if attempt_id is None:
        return Response(status=204)
    writer = write_engine(services.engine)
    with Session(writer) as session, session.begin():
        record_status(
            session,
            live_lines(services.versions),
            attempt_id,
            call_sid=form.get("CallSid", ""),
            call_status=form.get("CallStatus", ""),
            sequence=_int_or_none(form.get("SequenceNumber")),
            answered_by=form.get("AnsweredBy") or None,
            now=services.clock(),
            on_failed=live_ticket_hook(services.versions, services.settings.ticket_store),
        )
    return Response(status=204)

"""The voicemail of the safe route (a step failed while the line was closed).

It keeps the promises the menu's voicemail keeps: nothing recorded is never
confirmed as received and gets one more try, and a message becomes a ticket
whose protocol the caller hears twice.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.storage import call_records
from ivr.storage.ticket_tables import TicketRecord
from tests.web.conftest import SAO_PAULO
from tickets_bridge.protocol import spoken_protocol

CALL_SID = "CA" + "8" * 32


def signed_post(app, phone, path: str, params: dict[str, str]) -> ET.Element:
    url = phone.transport.base_url + path
    headers = {"X-Twilio-Signature": phone.validator.compute_signature(url, params)}
    response = app.test_client().post(path, data=params, headers=headers)
    assert response.status_code == 200
    return ET.fromstring(response.data)


def fail_a_step_on_sunday_night(app, phone, clock) -> ET.Element:
    clock.at = datetime(2026, 11, 29, 22, 0, tzinfo=SAO_PAULO)
    params = phone.base_params(CALL_SID, "in-progress") | {"Digits": "1"}
    return signed_post(app, phone, "/voice/step?s=1.no_such_node.1..input&k=1", params)


def said(root: ET.Element) -> str:
    return " ".join(say.text for say in root.iter("Say"))


def follow(app, phone, element: ET.Element, extra: dict[str, str]) -> ET.Element:
    """Post what Twilio posts to a <Record action> or a <Redirect>."""
    path = element.get("action") or element.text
    params = phone.base_params(CALL_SID, "in-progress") | extra
    return signed_post(app, phone, path, params)


def test_silence_on_the_safe_route_gets_one_more_try_then_no_false_receipt(app, phone, clock):
    apology = fail_a_step_on_sunday_night(app, phone, clock)
    # Twilio skips the action when nothing was recorded and falls through.
    fell_through = apology.find("Redirect")
    assert fell_through is not None, "silence must not end the call at once"
    again = follow(app, phone, fell_through, {})
    assert "Nenhuma mensagem foi gravada" in said(again)
    assert "Recebemos" not in said(again)
    assert again.find("Record") is not None

    # The second try: '#' at once, so Twilio posts a recording of 0 seconds.
    empty = {"RecordingUrl": "https://api.twilio.com/rec/RE0", "RecordingDuration": "0"}
    goodbye = follow(app, phone, again.find("Record"), empty)
    assert "Não recebemos nenhuma mensagem" in said(goodbye)
    assert "Recebemos a sua mensagem" not in said(goodbye)
    assert goodbye.find("Hangup") is not None and goodbye.find("Record") is None

    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        call = call_records.get_call(session, CALL_SID)
        assert call is not None and call.recording_url is None  # no message to keep


def test_a_message_on_the_safe_route_becomes_a_ticket_with_its_protocol(app, phone, clock):
    apology = fail_a_step_on_sunday_night(app, phone, clock)
    message = {"RecordingUrl": "https://api.twilio.com/rec/RE8", "RecordingDuration": "14"}
    goodbye = follow(app, phone, apology.find("Record"), message)
    replayed = follow(app, phone, apology.find("Record"), message)  # Twilio retries

    with Session(app.extensions["ivr"].engine) as session:
        tickets = session.scalars(select(TicketRecord)).all()
    assert len(tickets) == 1
    ticket = tickets[0]
    assert ticket.call_sid == CALL_SID and ticket.phone == phone.caller
    groups = spoken_protocol(ticket.protocol)
    for heard in (said(goodbye), said(replayed)):
        assert "Anote o número do protocolo" in heard
        assert heard.count(groups) == 2
        assert "Nossa equipe retorna até" in heard
    assert goodbye.find("Hangup") is not None


def test_the_safe_route_says_the_call_may_be_recorded_before_the_beep(app, phone, clock):
    """The LGPD notice the menu's voicemail gives (tests/web/test_consent.py), here too."""
    apology = fail_a_step_on_sunday_night(app, phone, clock)
    before_the_beep = [say.text for say in apology.findall("Say")]
    assert any("Esta ligação poderá ser gravada." in text for text in before_the_beep)
    assert [child.tag for child in apology][-2:] == ["Record", "Redirect"]

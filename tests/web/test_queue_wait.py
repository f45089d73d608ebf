"""Waiting in a queue: the wait URL Twilio requests over and over, signed, answered in pt-BR."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import urlsplit

from ivr.menus.actions import CallState
from ivr.simulator import Phone
from tests.web.conftest import SAO_PAULO

MUSIC = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"


def enqueue_for(app, phone: Phone, line: str) -> ET.Element:
    """The <Enqueue> a caller of ``line`` gets from the shipped menu's line transfer."""
    version, _release = app.extensions["ivr"].versions.current()
    state = CallState(version=version, node="atendente_linha", line=line, step=3)
    params = phone.base_params("CA" + "7" * 32, "in-progress")
    url = app.extensions["ivr"].calls.renderer.codec.url(state)
    _path, status, body = phone.signed_post(url, params)
    assert status == 200
    enqueue = ET.fromstring(body).find("Enqueue")
    assert enqueue is not None
    return enqueue


def waiting(phone: Phone, wait_url: str, position: int, waited: int, average: int, size: int):
    """What Twilio posts to the wait URL while the caller is in the queue."""
    params = phone.base_params("CA" + "7" * 32, "in-progress") | {
        "QueueSid": "QU" + "a" * 32,
        "QueuePosition": str(position),
        "QueueTime": str(waited),
        "AvgQueueTime": str(average),
        "CurrentQueueSize": str(size),
    }
    _path, status, body = phone.signed_post(wait_url, params)
    assert status == 200
    return ET.fromstring(body)


def test_a_caller_third_in_line_hears_the_place_and_wait_then_silence(app, phone):
    enqueue = enqueue_for(app, phone, "erp")
    assert enqueue.text == "suporte-erp"
    wait_url = enqueue.get("waitUrl")
    assert urlsplit(wait_url).path == "/voice/wait"
    assert enqueue.get("waitUrlMethod") == "POST"

    # Callers lately waited 4 min on average; this one has waited 1 min, 5 in the queue.
    answer = waiting(phone, wait_url, position=3, waited=60, average=240, size=5)
    say = answer.find(".//Say")
    assert say.text == "Você é o terceiro da fila. A espera estimada é de cerca de 3 minutos."
    assert say.get("language") == "pt-BR"
    assert answer.find(".//Pause").get("length") == "40"  # the erp line's interval

    # Twilio asks again: the caller moved up.
    answer = waiting(phone, wait_url, position=1, waited=150, average=240, size=3)
    assert answer.find(".//Say").text.startswith("Você é o próximo da fila.")


def test_a_line_with_music_plays_it_between_announcements(app, phone):
    enqueue = enqueue_for(app, phone, "pdv")
    answer = waiting(phone, enqueue.get("waitUrl"), position=12, waited=0, average=1500, size=20)
    assert answer.find(".//Say").text == (
        "Você é o décimo segundo da fila. A espera estimada é de cerca de 25 minutos."
    )
    assert answer.find(".//Play").text == MUSIC


def test_without_any_history_the_caller_is_not_given_a_made_up_time(app, phone):
    enqueue = enqueue_for(app, phone, "erp")
    answer = waiting(phone, enqueue.get("waitUrl"), position=2, waited=0, average=0, size=2)
    text = answer.find(".//Say").text
    assert text.startswith("Você é o segundo da fila.")
    assert "minuto" not in text


def test_an_unsigned_wait_request_is_refused(app, phone):
    enqueue = enqueue_for(app, phone, "erp")
    reply = app.test_client().post(enqueue.get("waitUrl"), data={"QueuePosition": "1"})
    assert reply.status_code == 403


def test_garbage_in_the_form_still_gets_music_not_an_error(app, phone):
    enqueue = enqueue_for(app, phone, "erp")
    params = phone.base_params("CA" + "7" * 32, "in-progress") | {
        "QueuePosition": "-1",
        "AvgQueueTime": "lots",
    }
    _path, status, body = phone.signed_post(enqueue.get("waitUrl"), params)
    assert status == 200
    root = ET.fromstring(body)
    said = [say.text for say in root.iter("Say")]
    assert not any("fila" in text and "Você" in text for text in said)  # no made-up place
    assert root.find(".//Pause") is not None


def test_a_caller_still_waiting_at_17h28_is_told_and_offered_a_callback_or_a_message(
    app, phone, clock
):
    clock.at = datetime(2026, 11, 24, 17, 20, tzinfo=SAO_PAULO)  # the erp line closes at 17:30
    enqueue = enqueue_for(app, phone, "erp")
    # At 17:20 the caller still just hears the place in the queue.
    answer = waiting(phone, enqueue.get("waitUrl"), position=3, waited=60, average=240, size=5)
    assert answer.find("Leave") is None

    clock.at = datetime(2026, 11, 24, 17, 28, tzinfo=SAO_PAULO)
    answer = waiting(phone, enqueue.get("waitUrl"), position=2, waited=540, average=240, size=2)
    assert "atendimento de hoje está terminando" in answer.find(".//Say").text
    assert answer.find("Leave") is not None  # nobody is left in the queue after closing

    # Twilio then posts the <Enqueue> action: a callback on the next business
    # day (1) or a message (2), never the queue again.
    params = phone.base_params("CA" + "7" * 32, "in-progress") | {
        "QueueResult": "leave",
        "QueueSid": "QU" + "a" * 32,
        "QueueTime": "540",
    }
    _path, status, body = phone.signed_post(enqueue.get("action"), params)
    assert status == 200
    root = ET.fromstring(body)
    offer = " ".join(say.text for say in root.iter("Say"))
    assert "Para receber a nossa ligação no próximo dia útil" in offer
    assert "Para deixar uma mensagem, digite 2" in offer
    gather = root.find("Gather")
    assert gather is not None and root.find("Enqueue") is None

    _path, status, body = phone.signed_post(gather.get("action"), params | {"Digits": "2"})
    root = ET.fromstring(body)
    assert "retornaremos a partir do próximo dia útil" in " ".join(s.text for s in root.iter("Say"))
    assert root.find("Record") is not None


def test_a_caller_the_full_queue_turns_away_in_the_afternoon_hears_the_agents_are_busy(app, phone):
    enqueue = enqueue_for(app, phone, "erp")  # 10:00, hours before closing
    params = phone.base_params("CA" + "7" * 32, "in-progress") | {"QueueResult": "queue-full"}
    _path, status, body = phone.signed_post(enqueue.get("action"), params)
    assert status == 200
    text = " ".join(say.text for say in ET.fromstring(body).iter("Say"))
    assert "ocupados" in text and "próximo dia útil" not in text

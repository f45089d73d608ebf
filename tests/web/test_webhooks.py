"""The webhooks as Twilio sees them: signed form posts in, TwiML out."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from ivr.settings import Settings
from ivr.simulator import Answer, Phone
from ivr.storage import call_records
from tests.web.conftest import AUTH_TOKEN, SAO_PAULO


def first_request(phone: Phone) -> tuple[str, dict[str, str], str]:
    params = phone.base_params("CA" + "1" * 32, "ringing")
    url = phone.transport.base_url + "/voice/incoming"
    return url, params, phone.validator.compute_signature(url, params)


def post(app, path: str, params: dict[str, str], signature: str | None):
    headers = {"X-Twilio-Signature": signature} if signature is not None else {}
    return app.test_client().post(path, data=params, headers=headers)


def calls_in_db(app) -> int:
    services = app.extensions["ivr"]
    services.call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        return len(call_records.recent_calls(session, 100))


def test_signed_incoming_call_gets_portuguese_gather(app, phone):
    _url, params, signature = first_request(phone)
    response = post(app, "/voice/incoming", params, signature)
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    gather = root.find("Gather")
    assert gather is not None
    say = gather.find("Say")
    assert say.get("language") == "pt-BR"
    assert "digite" in say.text
    # the greeting before the menu points callers to the knowledge base
    assert "base de conhecimento" in root.find("Say").text


def test_unsigned_request_is_refused_and_writes_nothing(app, phone):
    _url, params, _signature = first_request(phone)
    assert post(app, "/voice/incoming", params, None).status_code == 403
    assert post(app, "/voice/incoming", params, "bm90IGEgc2lnbmF0dXJl").status_code == 403
    assert calls_in_db(app) == 0


def test_one_changed_parameter_breaks_the_signature(app, phone):
    _url, params, signature = first_request(phone)
    tampered = params | {"From": "+5511900000000"}
    assert post(app, "/voice/incoming", tampered, signature).status_code == 403
    assert calls_in_db(app) == 0


def test_tampered_call_state_in_url_is_refused(app, phone):
    transcript = phone.call([Answer.parse("2")])
    step_url = next(t.url for t in transcript.turns if t.url.startswith("/voice/step"))
    params = phone.base_params("CA" + "2" * 32, "in-progress") | {"Digits": "1"}
    full = phone.transport.base_url + step_url
    signature = phone.validator.compute_signature(full, params)
    forged = step_url.replace(".principal.", ".produtos.")
    assert forged != step_url
    assert post(app, forged, params, signature).status_code == 403
    assert post(app, step_url, params, signature).status_code == 200


def test_status_callback_requires_signature(app, phone):
    params = phone.base_params("CA" + "3" * 32, "completed")
    assert post(app, "/voice/status", params, None).status_code == 403
    url = phone.transport.base_url + "/voice/status"
    signature = phone.validator.compute_signature(url, params)
    assert post(app, "/voice/status", params, signature).status_code == 204


def test_product_line_and_topic_reach_the_line_queue(phone):
    transcript = phone.call([Answer.parse(d) for d in ("2", "1", "2")])
    assert transcript.ended == "transferred"
    assert transcript.transferred_to == "queue:suporte-erp"
    assert any("ERP Retaguarda" in text for text in transcript.heard)


def test_urgent_option_is_offered_first_and_routed_to_priority_queue(phone):
    transcript = phone.call([Answer.parse("1")])
    menu_prompt = next(t for t in transcript.heard if "digite" in t)
    assert menu_prompt.index("faturamento") < menu_prompt.index("digite 2")
    assert transcript.transferred_to == "queue:suporte-urgente"


def test_speech_answer_routes_like_the_key(phone):
    transcript = phone.call([Answer(speech="Meu faturamento parado, por favor")])
    assert transcript.transferred_to == "queue:suporte-urgente"


def test_invalid_key_three_times_goes_to_an_agent(phone):
    transcript = phone.call([Answer.parse("7")] * 3)
    assert sum("essa opção não é válida" in text for text in transcript.heard) >= 2
    assert transcript.transferred_to == "queue:suporte-geral"


def test_silence_never_leaves_the_caller_stranded(phone):
    transcript = phone.call([])
    assert transcript.ended in ("transferred", "hangup", "voicemail-recorded")
    assert transcript.ended != "fell-off"


def test_nobody_answering_leads_to_voicemail(app):
    from ivr.simulator import InProcess

    phone = Phone(InProcess(app), AUTH_TOKEN, agents_answer=False)
    transcript = phone.call([Answer.parse("0")])
    assert transcript.ended == "voicemail-recorded"
    assert any("Obrigado por ligar" in text for text in transcript.heard)
    recorded = next(t for t in transcript.turns if "RecordingUrl" in t.params)
    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        call = call_records.get_call(session, transcript.call_sid)
        assert call.outcome == "voicemail"
        assert call.recording_url == recorded.params["RecordingUrl"]
        assert call.recording_duration == 12


def test_an_empty_voicemail_is_not_confirmed_and_the_log_says_no_message(app):
    """Silence at the beep twice: Twilio falls through <Record> without calling its action."""
    from ivr.simulator import InProcess

    phone = Phone(InProcess(app), AUTH_TOKEN, agents_answer=False)
    transcript = phone.call([Answer.parse(token) for token in ("0", "-", "#")])
    heard = "\n".join(transcript.heard)
    assert "Nenhuma mensagem foi gravada. Vamos tentar mais uma vez" in heard
    assert "Não recebemos nenhuma mensagem" in heard
    assert "Recebemos a sua mensagem" not in heard
    assert transcript.ended == "hangup"
    assert not any("RecordingUrl" in turn.params for turn in transcript.turns)
    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        call = call_records.get_call(session, transcript.call_sid)
        assert (call.outcome, call.outcome_detail) == ("no_message", "recado")
        assert call.recording_url is None


def test_a_zero_second_recording_posted_to_the_action_gets_one_more_try(app, phone):
    params = phone.base_params("CA" + "7" * 32, "in-progress") | {
        "RecordingUrl": "https://api.twilio.com/rec/RE0",
        "RecordingDuration": "0",
        "Digits": "#",
    }
    path = "/voice/step?s=1.recado.1..record&k=2"
    url = phone.transport.base_url + path
    response = post(app, path, params, phone.validator.compute_signature(url, params))
    root = ET.fromstring(response.data)
    assert root.find("Say").text.startswith("Nenhuma mensagem foi gravada")
    assert root.find("Record") is not None
    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        call = call_records.get_call(session, "CA" + "7" * 32)
        assert call.recording_url is None and call.outcome is None


def test_call_log_records_path_keys_and_outcome(app, phone):
    transcript = phone.call([Answer.parse(d) for d in ("2", "3", "1")])
    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        call = call_records.get_call(session, transcript.call_sid)
        assert call is not None
        assert call.outcome == "transferred"
        assert "suporte-fiscal" in call.outcome_detail
        assert call.line == "fiscal"
        assert call.status == "completed"
        keys = [step.digits for step in sorted(call.steps, key=lambda s: s.step) if step.digits]
        assert keys == ["2", "3", "1"]


def test_replayed_webhook_writes_nothing_twice(app, phone):
    transcript = phone.call([Answer.parse("2"), Answer.parse("1")])
    for turn in transcript.turns:  # Twilio retrying every request of the call
        phone.signed_post(turn.url, turn.params)
    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        call = call_records.get_call(session, transcript.call_sid)
        steps = [step.step for step in call.steps]
        assert len(steps) == len(set(steps)) == len(transcript.turns)
    assert calls_in_db(app) == 1


def test_internal_error_is_answered_with_an_apology_and_a_person(app, phone):
    params = phone.base_params("CA" + "4" * 32, "in-progress") | {"Digits": "1"}
    path = "/voice/step?s=999.principal.1..input&k=1"  # a version that does not exist
    url = phone.transport.base_url + path
    response = post(app, path, params, phone.validator.compute_signature(url, params))
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    assert "Desculpe" in root.find("Say").text
    assert root.find("Enqueue").text == "suporte-geral"  # a queue the menu has


def test_healthz_and_metrics(app, phone):
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    phone.call([Answer.parse("0")])
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'ivr_webhook_requests_total{route="incoming"} 1.0' in metrics


def test_a_menu_may_choose_its_own_voice(settings, clock):
    from ivr.app import close_app, create_app
    from ivr.simulator import InProcess
    from tests.web.conftest import SHIPPED_MENU, publish_text

    text = SHIPPED_MENU.read_text(encoding="utf-8").replace(
        "start: boas_vindas", "start: boas_vindas\nvoice: Polly.Thiago", 1
    )
    publish_text(settings.database_url, text)
    app = create_app(settings, clock=clock)
    try:
        transcript = Phone(InProcess(app), AUTH_TOKEN).call([Answer.parse("0")])
        root = ET.fromstring(transcript.turns[0].twiml)
        assert {say.get("voice") for say in root.iter("Say")} == {"Polly.Thiago"}
    finally:
        close_app(app)


def test_odd_numbers_in_twilio_fields_never_fail_the_webhook(app, phone):
    """Digits that int() refuses ("²" passes str.isdigit) or that overflow a column."""
    for odd in ("²", "99999999999999999999999999", "-1", "abc"):
        status = phone.base_params("CA" + "5" * 32, "completed") | {
            "SequenceNumber": odd,
            "CallDuration": odd,
        }
        url = phone.transport.base_url + "/voice/status"
        signature = phone.validator.compute_signature(url, status)
        assert post(app, "/voice/status", status, signature).status_code == 204

        recorded = phone.base_params("CA" + "6" * 32, "in-progress") | {
            "RecordingUrl": "https://api.twilio.com/rec/RE1",
            "RecordingDuration": odd,
        }
        path = "/voice/step?s=1.recado.1..record&k=2"
        url = phone.transport.base_url + path
        signature = phone.validator.compute_signature(url, recorded)
        response = post(app, path, recorded, signature)
        assert response.status_code == 200
        assert ET.fromstring(response.data).find("Hangup") is not None
    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        call = call_records.get_call(session, "CA" + "6" * 32)
        assert call is not None and call.recording_url == "https://api.twilio.com/rec/RE1"


def test_a_node_the_version_does_not_have_still_reaches_a_person(app, phone):
    """Only a bug could sign such a URL; the caller still gets the apology and an agent."""
    params = phone.base_params("CA" + "6" * 32, "in-progress") | {"Digits": "1"}
    path = "/voice/step?s=1.no_such_node.1..input&k=1"
    url = phone.transport.base_url + path
    response = post(app, path, params, phone.validator.compute_signature(url, params))
    root = ET.fromstring(response.data)
    assert "Desculpe" in root.find("Say").text
    assert root.find("Enqueue").text == "suporte-geral"  # a queue the menu has
    metrics = app.test_client().get("/metrics").get_data(as_text=True)
    assert "ivr_webhook_failures_total 1.0" in metrics


def test_metrics_can_be_protected_by_a_bearer_token(make_app):
    app = make_app(metrics_token="s3cr3t-token")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200  # health checks need no token
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "ivr_webhook" not in wrong.get_data(as_text=True)
    basic = client.get("/metrics", headers={"Authorization": "Basic s3cr3t-token"})
    assert basic.status_code == 401
    good = client.get("/metrics", headers={"Authorization": "Bearer s3cr3t-token"})
    assert good.status_code == 200
    assert "ivr_webhook_requests_total" in good.get_data(as_text=True)


def test_the_metrics_token_comes_from_the_environment():
    assert Settings.from_env({"IVR_METRICS_TOKEN": "abc"}).metrics_token == "abc"


def test_an_internal_error_on_a_sunday_night_offers_the_voicemail_not_a_queue(app, phone, clock):
    """Nobody is in any queue then; the message is kept and nothing loops into the failure."""
    clock.at = datetime(2026, 11, 29, 22, 0, tzinfo=SAO_PAULO)
    call_sid = "CA" + "7" * 32
    params = phone.base_params(call_sid, "in-progress") | {"Digits": "1"}
    path = "/voice/step?s=1.no_such_node.1..input&k=1"
    url = phone.transport.base_url + path
    root = ET.fromstring(
        post(app, path, params, phone.validator.compute_signature(url, params)).data
    )
    assert root.find("Enqueue") is None and root.find("Dial") is None
    assert "deixe uma mensagem" in root.find("Say").text
    record = root.find("Record")
    assert record.get("action") == "/voice/recorded"  # not the step code that failed
    assert [el.get("action") for el in root.iter() if el.get("action")] == ["/voice/recorded"]

    recorded = phone.base_params(call_sid, "in-progress") | {
        "RecordingUrl": "https://api.twilio.com/rec/RE7",
        "RecordingDuration": "9",
    }
    url = phone.transport.base_url + "/voice/recorded"
    reply = post(app, "/voice/recorded", recorded, phone.validator.compute_signature(url, recorded))
    goodbye = ET.fromstring(reply.data)
    # a ticket, as from the menu's voicemail (tests/web/test_safe_voicemail.py)
    assert goodbye.find("Say").text.startswith("Sua mensagem foi registrada")
    assert goodbye.find("Hangup") is not None
    app.extensions["ivr"].call_log.flush()
    with Session(app.extensions["ivr"].engine) as session:
        call = call_records.get_call(session, call_sid)
        assert call is not None and call.recording_url == "https://api.twilio.com/rec/RE7"


def test_a_fallback_queue_no_menu_has_is_refused_at_start_up(settings, clock):
    from ivr.app import create_app
    from ivr.settings import SettingsError
    from tests.web.conftest import SHIPPED_MENU, publish_text

    publish_text(settings.database_url, SHIPPED_MENU.read_text(encoding="utf-8"))
    with pytest.raises(SettingsError) as refused:
        create_app(settings.model_copy(update={"fallback_queue": "suporte"}), clock=clock)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("IVR_FALLBACK_QUEUE='suporte': o menu publicado não tem essa fila")
    assert "suporte-geral" in message

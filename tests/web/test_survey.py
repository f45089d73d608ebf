"""The satisfaction survey after a conversation with an agent: signed webhooks, as Twilio posts.

Twilio requests the transfer's action URL once the conversation is over:
``QueueResult=bridged`` after a queue, ``DialCallStatus=completed`` after a
number, with ``CallStatus=in-progress`` while the caller is still there.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus.actions import CallState
from ivr.simulator import InProcess, Phone
from ivr.storage.models import SurveyAnswerRecord, TicketRecord
from tests.web.conftest import AUTH_TOKEN, SHIPPED_MENU, publish_text

CALL_SID = "CA" + "5" * 32
QUESTION = (
    "Obrigado por falar com a gente. De 1 a 5, que nota você dá para o atendimento de hoje? "
    "Digite ou diga um número de 1 a 5."
)


def post(phone: Phone, url: str, params: dict[str, str], status: str = "in-progress"):
    _path, code, body = phone.signed_post(url, phone.base_params(CALL_SID, status) | params)
    assert code == 200, body
    return ET.fromstring(body)


def after_agent(app, phone: Phone, result: dict[str, str], status: str = "in-progress"):
    """The transfer's action request of an ERP caller, once the queue is over."""
    version, _release = app.extensions["ivr"].versions.current()
    post(phone, "/voice/incoming", {}, "ringing")  # the call exists in the log
    state = CallState(version=version, node="atendente_linha", line="erp", step=3, expect="enqueue")
    return post(phone, app.extensions["ivr"].calls.renderer.codec.url(state), result, status)


def said(root: ET.Element) -> list[str]:
    return [say.text or "" for say in root.iter("Say")]


def answers(app) -> list[SurveyAnswerRecord]:
    services = app.extensions["ivr"]
    assert services.call_log.flush()
    with Session(services.engine) as session:
        query = select(SurveyAnswerRecord).order_by(SurveyAnswerRecord.step)
        return list(session.scalars(query))


def test_a_caller_rates_4_after_the_agent_hangs_up_and_a_replay_stores_it_once(app, phone):
    question = after_agent(app, phone, {"QueueResult": "bridged", "QueueTime": "95"})
    gather = question.find("Gather")
    assert gather is not None
    assert said(gather) == [QUESTION]
    assert "speech" in gather.get("input")

    rated = post(phone, gather.get("action"), {"Digits": "4"})
    replayed = post(phone, gather.get("action"), {"Digits": "4"})  # Twilio retries it
    assert ET.tostring(rated) == ET.tostring(replayed)
    assert said(rated) == [
        "Se quiser, conte em poucas palavras o que achou do atendimento. "
        "Se preferir não comentar, é só desligar."
    ]

    stored = answers(app)
    assert [(a.rating, a.line, a.call_sid) for a in stored] == [(4, "erp", CALL_SID)]
    assert stored[0].comment is None and stored[0].ticket_protocol is None


def test_a_spoken_rating_and_a_spoken_comment_are_both_kept(app, phone):
    question = after_agent(app, phone, {"DialCallStatus": "completed", "DialCallDuration": "300"})
    action = question.find("Gather").get("action")
    comment = post(phone, action, {"SpeechResult": "nota quatro", "Confidence": "0.9"})
    comment_action = comment.find("Gather").get("action")
    goodbye = post(
        phone, comment_action, {"SpeechResult": "o atendente foi muito atencioso"}, "in-progress"
    )
    assert said(goodbye) == ["Obrigado pela sua avaliação. Ela nos ajuda a melhorar. Até logo!"]
    assert goodbye.find("Hangup") is not None

    stored = answers(app)
    assert [(a.rating, a.comment) for a in stored] == [
        (4, None),
        (None, "o atendente foi muito atencioso"),
    ]


def test_a_wrong_answer_is_asked_again_and_silence_counts_nothing(app, phone):
    question = after_agent(app, phone, {"QueueResult": "bridged"})
    again = post(phone, question.find("Gather").get("action"), {"Digits": "8"})
    assert said(again.find("Gather")) == [
        "Desculpe, não entendi. A nota vai de 1 a 5.",
        "Que nota, de 1 a 5, você dá para o atendimento de hoje? Digite ou diga um número.",
    ]
    # Silence: Twilio falls through to the <Redirect> after the <Gather>.
    end = post(phone, again.find("Redirect").text, {})
    assert said(end) == [
        "Não recebemos a sua nota.",
        "Tudo bem, fica para a próxima. Obrigado por ligar. Até logo!",
    ]
    assert end.find("Hangup") is not None
    assert answers(app) == []


def test_callers_never_put_through_get_no_survey(app, phone):
    for result in (
        {"QueueResult": "hangup"},  # hung up while waiting
        {"QueueResult": "leave"},  # left the queue
        {"QueueResult": "queue-full"},
    ):
        root = after_agent(app, phone, result)
        assert root.find("Gather") is None or QUESTION not in said(root), result
        assert QUESTION not in said(root)


def test_a_caller_who_hung_up_on_the_agent_is_not_asked(app, phone):
    root = after_agent(app, phone, {"QueueResult": "bridged"}, status="completed")
    assert QUESTION not in said(root)
    assert root.find("Hangup") is not None


def test_a_caller_who_hangs_up_at_the_question_is_not_counted(app, phone):
    question = after_agent(app, phone, {"QueueResult": "bridged"})
    assert question.find("Gather") is not None
    # Twilio calls no Gather action after a hang-up: only the status callback comes.
    params = phone.base_params(CALL_SID, "completed") | {"CallDuration": "400"}
    _path, code, _body = phone.signed_post("/voice/status", params)
    assert code == 204
    assert answers(app) == []


def test_the_rating_is_kept_with_the_calls_ticket(app, phone):
    """A rating given in a call that opened a ticket is stored with its protocol."""
    services = app.extensions["ivr"]
    question = after_agent(app, phone, {"QueueResult": "bridged"})
    at = datetime(2026, 11, 24, 13, tzinfo=UTC)
    with Session(services.engine) as session:
        session.add(
            TicketRecord(
                protocol="261124000015",
                idempotency_key=f"{CALL_SID}:2",
                call_sid=CALL_SID,
                line="erp",
                subject="Recado",
                description="",
                priority="normal",
                status="Aberto",
                status_since=at,
                created_at=at,
                updated_at=at,
                store="sql",
            )
        )
        session.commit()
    post(phone, question.find("Gather").get("action"), {"Digits": "5"})
    assert [(a.rating, a.ticket_protocol) for a in answers(app)] == [(5, "261124000015")]


def test_a_recorded_comment_is_kept_by_its_link_and_an_empty_one_thanked(make_app, settings):
    text = SHIPPED_MENU.read_text(encoding="utf-8").replace(
        "    kind: survey\n",
        "    kind: survey\n    comment_by: record\n    comment_max_length: 30\n",
    )
    publish_text(settings.database_url, text)
    app = make_app()
    phone = Phone(InProcess(app), AUTH_TOKEN)
    question = after_agent(app, phone, {"QueueResult": "bridged"})
    invited = post(phone, question.find("Gather").get("action"), {"Digits": "3"})
    record = invited.find("Record")
    assert record is not None and record.get("maxLength") == "30"
    before_the_beep = said(invited)[:2]
    assert before_the_beep[1] == (
        "A sua opinião será gravada. Fale depois do sinal e, ao terminar, digite sustenido."
    )
    # Nothing recorded: Twilio goes on to the verbs after <Record>, the thanks and the hang-up.
    assert said(invited)[-1] == "Obrigado pela sua avaliação. Ela nos ajuda a melhorar. Até logo!"
    assert invited.find("Hangup") is not None
    link = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE" + "1" * 32
    thanked = post(phone, record.get("action"), {"RecordingUrl": link, "RecordingDuration": "9"})
    assert said(thanked) == ["Obrigado pela sua avaliação. Ela nos ajuda a melhorar. Até logo!"]
    assert [(a.rating, a.recording_url) for a in answers(app)] == [(3, None), (None, link)]

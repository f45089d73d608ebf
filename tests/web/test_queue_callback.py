"""A callback that keeps the caller's place: pressed while waiting in a queue, through the
signed webhooks (the simulator's queue), then dialed by the dispatcher through the
Calls API stand-in before callbacks asked for later."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.booking import book
from callbacks.dispatcher import Dispatcher
from ivr.callback_setup import line_setup, live_lines
from ivr.simulator import Answer, InProcess, Phone, Transcript
from ivr.storage.models import Callback
from ivr.telephony.dialer import TwilioDialer
from tests.callbacks.twilio_standin import TwilioCalls
from tests.tickets_bridge.standins.server import serving
from tests.web.conftest import AUTH_TOKEN, SAO_PAULO
from tickets_bridge.protocol import next_protocol

WEDNESDAY_10H = datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO)
ANA, BRUNO, CARLA = "+5511976543210", "+5511965432109", "+5521987651234"


def callbacks(app) -> list[Callback]:
    with Session(app.extensions["ivr"].engine) as session:
        return list(session.scalars(select(Callback).order_by(Callback.id)).all())


def wait_and_press_1(app, caller: str, keys: str = "1") -> Transcript:
    """ERP, stock: third in line, presses 1 at the first announcement, then ``keys``."""
    phone = Phone(
        InProcess(app), AUTH_TOKEN, caller=caller, queue_position=3, agent_after=3, queue_key="1"
    )
    return phone.call([Answer.parse(k) for k in f"2 1 1 {keys}".split()])


def test_third_in_line_presses_1_confirms_the_number_and_keeps_the_place(app, clock):
    clock.at = WEDNESDAY_10H
    transcript = wait_and_press_1(app, ANA)
    heard = transcript.heard
    assert "Você é o terceiro da fila. A espera estimada é de cerca de 4 minutos." in heard
    assert "Se preferir, digite 1 para receber o retorno sem perder a sua vez." in heard
    assert "Certo, você saiu da fila sem perder a sua vez." in heard
    assert any(h.startswith("Vamos retornar para o número um um, nove sete meia") for h in heard)
    assert "Pronto! Vamos ligar para você assim que um atendente estiver livre." in heard
    assert "[o atendente atende, conversa e desliga]" not in heard
    assert transcript.ended == "hangup"
    (booked,) = callbacks(app)
    assert (booked.number, booked.line, booked.status) == (ANA, "erp", "scheduled")
    assert booked.scheduled_for == WEDNESDAY_10H  # due at once, in no slot
    assert booked.slot_end == booked.slot_start


def test_another_key_in_the_queue_just_goes_on_waiting(app, clock):
    clock.at = WEDNESDAY_10H
    phone = Phone(InProcess(app), AUTH_TOKEN, caller=ANA, agent_after=2, queue_key="5")
    transcript = phone.call([Answer.parse(k) for k in ["2", "1", "1"]])
    assert transcript.ended == "transferred" and callbacks(app) == []


def test_a_typed_number_from_the_queue_is_confirmed_like_in_the_callback_node(app, clock):
    clock.at = WEDNESDAY_10H
    transcript = wait_and_press_1(app, "anonymous", "21987651234 1")
    assert any("Não conseguimos identificar o número" in h for h in transcript.heard)
    assert any(h.startswith("Você digitou dois um, nove oito") for h in transcript.heard)
    (booked,) = callbacks(app)
    assert booked.number == CARLA and booked.scheduled_for == WEDNESDAY_10H


@pytest.fixture
def twilio() -> Iterator[tuple[TwilioCalls, str]]:
    standin = TwilioCalls()
    with serving(standin) as url:
        yield standin, url


def test_the_dispatcher_dials_queue_callbacks_before_callbacks_asked_for_later(app, clock, twilio):
    standin, url = twilio
    clock.at = WEDNESDAY_10H
    wait_and_press_1(app, ANA)  # 10:00, from the queue
    services = app.extensions["ivr"]
    _version, release = services.versions.current()
    setup = line_setup(release.menu, release.hours, "erp")
    clock.at = WEDNESDAY_10H + timedelta(minutes=1)  # 10:01, the first free slot: 10:30
    with Session(services.engine) as session:
        book(
            session,
            setup.calendar,
            setup.policy,
            line="erp",
            number=CARLA,
            protocol=next_protocol(session, clock()),
            now=clock(),
        )
        session.commit()
    clock.at = WEDNESDAY_10H + timedelta(minutes=2)
    wait_and_press_1(app, BRUNO)  # 10:02, from the queue too
    clock.at = WEDNESDAY_10H + timedelta(minutes=40)  # every one of them is due now
    dialer = TwilioDialer("AC" + "c" * 32, AUTH_TOKEN, "+551140040000", base_url=url)
    dispatcher = Dispatcher(
        services.engine,
        live_lines(services.versions),
        dialer,
        "https://ivr.example",
        clock,
        cps=None,
    )
    assert dispatcher.tick() == 2  # the line takes 2 callbacks at once
    assert [call.form["To"] for call in standin.calls] == [ANA, BRUNO]


def test_the_wait_answer_leaves_only_for_a_1_where_the_callback_is_offered(app, phone):
    from ivr.telephony.queue_wait import WaitSettings, wait_url

    def pressed(settings: WaitSettings, digits: str) -> ET.Element:
        params = phone.base_params("CA" + "7" * 32, "in-progress") | {"Digits": digits}
        _path, status, body = phone.signed_post(wait_url(settings), params)
        assert status == 200
        return ET.fromstring(body)

    offered = WaitSettings(every=40, offer_callback=True, pressed=True)
    assert pressed(offered, "1").find("Leave") is not None
    assert pressed(offered, "5").find("Leave") is None  # goes on waiting
    not_offered = WaitSettings(every=40, pressed=True)
    assert pressed(not_offered, "1").find("Leave") is None

"""SMS confirmations of callbacks booked on the phone: off by default, mobile numbers
only, sent by the worker through the real twilio client to the stand-in on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.callback_setup import make_sms_job
from ivr.simulator import Answer, InProcess, Phone
from ivr.storage.models import Callback
from tests.callbacks.twilio_standin import TwilioCalls
from tests.tickets_bridge.standins.server import serving
from tests.web.conftest import AUTH_TOKEN, SAO_PAULO

ACCOUNT = "AC" + "b" * 32
SUPPORT = "+551140040000"
MOBILE = "+5511976543210"
FRIDAY_EVENING = datetime(2026, 11, 27, 17, 45, tzinfo=SAO_PAULO)


@pytest.fixture
def twilio() -> Iterator[tuple[TwilioCalls, str]]:
    standin = TwilioCalls()
    with serving(standin) as url:
        yield standin, url


def book_by_phone(app, clock, keys: str = "1 1 1", caller: str = MOBILE) -> Callback:
    clock.at = FRIDAY_EVENING
    Phone(InProcess(app), AUTH_TOKEN, caller=caller).call([Answer.parse(k) for k in keys.split()])
    return only_callback(app)


def only_callback(app) -> Callback:
    with Session(app.extensions["ivr"].engine) as session:
        return session.scalars(select(Callback)).one()


def sms_job(app, clock, url: str):
    services = app.extensions["ivr"]
    settings = services.settings.model_copy(
        update={"twilio_account_sid": ACCOUNT, "twilio_number": SUPPORT, "twilio_api_base_url": url}
    )
    job = make_sms_job(settings, services.engine, services.versions, clock)
    assert job is not None
    return job


def test_a_callback_booked_on_a_mobile_is_confirmed_once_by_sms_from_the_worker(
    make_app, clock, twilio
):
    standin, url = twilio
    app = make_app(callback_sms=True)
    booked = book_by_phone(app, clock)
    assert booked.sms_status == "pending" and standin.messages == []  # nothing on the webhook
    job = sms_job(app, clock, url)
    assert job() == 1
    (message,) = standin.messages
    assert message.form["To"] == MOBILE and message.form["From"] == SUPPORT
    assert message.form["Body"] == (
        "Suporte Atlas Sistemas: seu retorno está agendado para segunda-feira, 30 de novembro, "
        f"entre 9h e 9h30. Protocolo {booked.protocol}. Não é preciso responder esta mensagem."
    )
    sent = only_callback(app)
    assert (sent.sms_status, sent.sms_sid) == ("sent", message.sid)
    clock.at += timedelta(minutes=10)
    assert job() == 0 and len(standin.messages) == 1


def test_sms_is_off_by_default(app, clock, twilio):
    assert app.extensions["ivr"].settings.callback_sms is False
    assert book_by_phone(app, clock).sms_status is None
    services = app.extensions["ivr"]
    assert make_sms_job(services.settings, services.engine, services.versions, clock) is None


def test_a_landline_gets_no_sms(make_app, clock):
    app = make_app(callback_sms=True)
    booked = book_by_phone(app, clock, "1 2 1133334444 1 1")
    assert booked.number == "+551133334444" and booked.sms_status is None


def test_a_failing_send_is_retried_later_then_given_up(make_app, clock, twilio):
    standin, url = twilio
    app = make_app(callback_sms=True)
    book_by_phone(app, clock)
    job = sms_job(app, clock, url)
    standin.refuse_messages = [503, 503, 503]
    assert job() == 0
    assert job() == 0  # a minute has not passed: not tried again yet
    for _ in range(2):
        clock.at += timedelta(minutes=1)
        job()
    assert only_callback(app).sms_status == "failed" and only_callback(app).sms_tries == 3
    clock.at += timedelta(minutes=5)
    assert job() == 0 and standin.messages == []


def test_a_number_twilio_refuses_fails_at_once(make_app, clock, twilio):
    standin, url = twilio
    app = make_app(callback_sms=True)
    book_by_phone(app, clock)
    job = sms_job(app, clock, url)
    standin.refuse_messages = [400]
    assert job() == 0
    assert only_callback(app).sms_status == "failed" and only_callback(app).sms_tries == 1


def test_after_a_blip_the_next_try_sends(make_app, clock, twilio):
    standin, url = twilio
    app = make_app(callback_sms=True)
    book_by_phone(app, clock)
    job = sms_job(app, clock, url)
    standin.refuse_messages = [503]
    assert job() == 0
    clock.at += timedelta(minutes=1)
    assert job() == 1 and only_callback(app).sms_status == "sent"


def test_a_callback_cancelled_before_its_sms_sends_nothing(make_app, clock, twilio):
    standin, url = twilio
    app = make_app(callback_sms=True)
    book_by_phone(app, clock)
    clock.at += timedelta(minutes=1)
    Phone(InProcess(app), AUTH_TOKEN, caller=MOBILE).call(
        [Answer.parse(k) for k in ["1", "1", "2"]]
    )  # told the booking, cancels it
    assert only_callback(app).status == "cancelled"
    assert sms_job(app, clock, url)() == 0 and standin.messages == []

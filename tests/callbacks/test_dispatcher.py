"""The dispatcher end to end: booked, dialed by the real twilio client, answered, retried.

Twilio's Calls API is a stand-in on 127.0.0.1; its status callbacks and the
answer request are posted to the app exactly as Twilio posts them, signed.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from callbacks.booking import book
from callbacks.dispatcher import Dispatcher, LineSetup
from callbacks.policy import CallbackPolicy
from hours.clock import SettableClock
from hours.oracle import Hours
from ivr.app import close_app, create_app
from ivr.callback_setup import line_setup, live_ticket_hook
from ivr.menus.loader import load_menu
from ivr.settings import Settings
from ivr.storage import closures
from ivr.storage.closures import ClosureCache
from ivr.storage.db import write_engine
from ivr.storage.menu_versions import migrate_and_publish_if_none
from ivr.storage.models import Callback, CallbackAttempt
from ivr.storage.ticket_tables import TicketRecord
from ivr.telephony.dialer import TwilioDialer
from tests.callbacks.conftest import sp
from tests.callbacks.twilio_standin import TwilioCalls
from tests.tickets_bridge.standins.server import serving
from tickets_bridge.protocol import next_protocol

SHIPPED_MENU = Path(__file__).resolve().parents[2] / "menus.yaml"
PUBLIC = "https://ivr.example.com.br"
TOKEN = "callback-test-token-0123456789ab"
ACCOUNT = "AC" + "a" * 32
SUPPORT = "+551140040000"
ANA = "+5511987654321"
FRIDAY_18H = sp(2026, 11, 27, 18)
MONDAY_9H = sp(2026, 11, 30, 9)


@pytest.fixture
def twilio() -> Iterator[tuple[TwilioCalls, str]]:
    standin = TwilioCalls()
    with serving(standin) as url:
        yield standin, url


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(FRIDAY_18H)


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: SettableClock) -> Iterator[Flask]:
    settings = Settings(
        database_url=database_url,
        menus_path=str(SHIPPED_MENU),
        twilio_auth_token=TOKEN,
        twilio_account_sid=ACCOUNT,
        twilio_number=SUPPORT,
        public_url=PUBLIC,
        secret_key="test",
        var_dir=tmp_path / "var",
    )
    migrate_and_publish_if_none(
        database_url,
        lambda: SHIPPED_MENU.read_text(encoding="utf-8"),
        "tests",
        FRIDAY_18H,
        validate=lambda text: load_menu(text, "menus.yaml"),
    )
    app = create_app(settings, clock=clock, start_background=False)
    yield app
    close_app(app)


def lines_of(engine: Engine, clock: SettableClock, policy: CallbackPolicy | None = None):
    """The shipped menu's lines, with emergency closures read from the database each time."""
    menu = load_menu(SHIPPED_MENU.read_text(encoding="utf-8"), "menus.yaml")
    hours = Hours.or_shipped(menu.schedules, emergencies=ClosureCache(engine, clock, 0.0))

    def lookup(line: str) -> LineSetup:
        setup = line_setup(menu, hours, line)
        return LineSetup(setup.calendar, policy) if policy else setup

    return lookup


def dispatcher(
    engine: Engine, clock: SettableClock, url: str, app: Flask, cps: float | None = None, **kw
) -> Dispatcher:
    dialer = TwilioDialer(ACCOUNT, TOKEN, SUPPORT, base_url=url)
    return Dispatcher(
        engine,
        lines_of(engine, clock, kw.pop("policy", None)),
        dialer,
        PUBLIC,
        clock,
        cps=cps,
        on_failed=live_ticket_hook(app.extensions["ivr"].versions, "sql"),
        **kw,
    )


def request_callback(engine: Engine, clock: SettableClock, number: str = ANA) -> Callback:
    lookup = lines_of(engine, clock)
    setup = lookup("erp")
    writer = write_engine(engine)
    with Session(writer, expire_on_commit=False) as session:
        callback = book(
            session,
            setup.calendar,
            setup.policy,
            line="erp",
            number=number,
            protocol=next_protocol(session, clock()),
            now=clock(),
            reason="ERP Retaguarda",
        )
        session.commit()
        return callback


def post_signed(app: Flask, url: str, form: dict[str, str]):
    """Post ``form`` to ``url`` (a public URL the dispatcher gave Twilio) as Twilio does."""
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    parts = urlsplit(url)
    return app.test_client().post(
        f"{parts.path}?{parts.query}", data=form, headers={"X-Twilio-Signature": signature}
    )


def status(app: Flask, call, call_status: str, seq: int, answered_by: str | None = None):
    form = {
        "AccountSid": ACCOUNT,
        "CallSid": call.sid,
        "CallStatus": call_status,
        "SequenceNumber": str(seq),
        "To": call.form["To"],
        "From": SUPPORT,
        "Direction": "outbound-api",
    }
    if answered_by:
        form["AnsweredBy"] = answered_by
    reply = post_signed(app, call.form["StatusCallback"], form)
    assert reply.status_code == 204
    return reply


def current(engine: Engine, protocol: str) -> Callback:
    with Session(engine) as session:
        return session.scalars(select(Callback).where(Callback.protocol == protocol)).one()


def test_friday_evening_request_is_dialed_monday_at_nine_not_a_second_earlier(
    engine: Engine, app: Flask, clock: SettableClock, twilio: tuple[TwilioCalls, str]
) -> None:
    standin, url = twilio
    callback = request_callback(engine, clock)
    assert callback.scheduled_for == MONDAY_9H
    worker = dispatcher(engine, clock, url, app)
    for at in (FRIDAY_18H, sp(2026, 11, 28, 10), MONDAY_9H - timedelta(seconds=1)):
        clock.at = at
        assert worker.tick() == 0
    assert standin.calls == []
    clock.at = MONDAY_9H
    assert worker.tick() == 1
    assert len(standin.calls) == 1
    call = standin.calls[0]
    assert call.form["To"] == ANA and call.form["From"] == SUPPORT
    assert call.form["MachineDetection"] == "DetectMessageEnd"
    assert call.form["Url"].startswith(f"{PUBLIC}/callbacks/answer?attempt=")
    assert current(engine, callback.protocol).status == "in_call"

    # the customer picks up: greeted by line and reason, then put in the line's queue
    answered = post_signed(
        app,
        call.form["Url"],
        {"CallSid": call.sid, "AnsweredBy": "human", "CallStatus": "in-progress"},
    )
    body = answered.get_data(as_text=True)
    assert "retornando a ligação que você pediu" in body and "ERP Retaguarda" in body
    assert "<Enqueue>suporte-erp</Enqueue>" in body
    status(app, call, "in-progress", 2, "human")
    status(app, call, "completed", 3)
    status(app, call, "ringing", 1)  # late: never moves it back
    done = current(engine, callback.protocol)
    assert done.status == "completed" and done.attempts == 1
    assert worker.tick() == 0 and len(standin.calls) == 1


def test_no_answer_is_retried_the_same_day_and_three_failures_open_a_ticket(
    engine: Engine, app: Flask, clock: SettableClock, twilio: tuple[TwilioCalls, str]
) -> None:
    standin, url = twilio
    callback = request_callback(engine, clock)
    worker = dispatcher(engine, clock, url, app)
    clock.at = MONDAY_9H
    assert worker.tick() == 1
    first = standin.calls[-1]
    status(app, first, "ringing", 1)
    status(app, first, "no-answer", 2)
    status(app, first, "no-answer", 2)  # Twilio repeats itself
    again = current(engine, callback.protocol)
    assert again.status == "scheduled" and again.scheduled_for == sp(2026, 11, 30, 9, 30)

    clock.at = sp(2026, 11, 30, 9, 30)
    assert worker.tick() == 1
    status(app, standin.calls[-1], "busy", 1)
    clock.at = sp(2026, 11, 30, 10)
    assert worker.tick() == 1
    machine = standin.calls[-1]
    left = post_signed(
        app, machine.form["Url"], {"CallSid": machine.sid, "AnsweredBy": "machine_end_beep"}
    )
    message = left.get_data(as_text=True)
    assert "O seu protocolo é" in message and "<Enqueue" not in message
    status(app, machine, "completed", 2, "machine_end_beep")

    failed = current(engine, callback.protocol)
    assert failed.status == "failed" and failed.attempts == 3
    assert failed.ticket_protocol
    with Session(engine) as session:
        ticket = session.scalars(
            select(TicketRecord).where(TicketRecord.protocol == failed.ticket_protocol)
        ).one()
        outcomes = session.scalars(
            select(CallbackAttempt.outcome)
            .where(CallbackAttempt.callback_id == failed.id)
            .order_by(CallbackAttempt.attempt)
        ).all()
    assert ticket.phone == ANA and "Retorno não realizado" in ticket.subject
    assert outcomes == ["no-answer", "busy", "machine"]
    clock.at = sp(2026, 11, 30, 15)
    assert worker.tick() == 0 and len(standin.calls) == 3


def test_nothing_is_dialed_during_an_emergency_closure(
    engine: Engine, app: Flask, clock: SettableClock, twilio: tuple[TwilioCalls, str]
) -> None:
    standin, url = twilio
    callback = request_callback(engine, clock)
    with Session(write_engine(engine)) as session:
        closures.close(
            session,
            "Queda de energia",
            MONDAY_9H - timedelta(minutes=5),
            MONDAY_9H + timedelta(hours=1),
            "supervisor",
            now=FRIDAY_18H,
        )
        session.commit()
    worker = dispatcher(engine, clock, url, app)
    clock.at = MONDAY_9H
    assert worker.tick() == 0
    assert standin.calls == []
    postponed = current(engine, callback.protocol)
    assert postponed.status == "scheduled" and postponed.scheduled_for == sp(2026, 11, 30, 10)
    clock.at = sp(2026, 11, 30, 10)
    assert worker.tick() == 1


def test_the_calls_per_second_limit_holds_across_dispatchers(
    engine: Engine, app: Flask, clock: SettableClock, twilio: tuple[TwilioCalls, str]
) -> None:
    standin, url = twilio
    for i in range(6):
        request_callback(engine, clock, f"+55119{i:08d}")
    clock.at = sp(2026, 11, 30, 9, 30)  # 4 booked at 9h (a full slot), 2 at 9h30
    policy = CallbackPolicy(max_simultaneous=10)
    workers = [
        dispatcher(engine, clock, url, app, cps=5.0, policy=policy, owner=f"w{k}") for k in range(3)
    ]
    threads = [threading.Thread(target=w.tick) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    arrived = sorted(call.arrived for call in standin.calls)
    assert len(arrived) == 6
    assert len({call.form["To"] for call in standin.calls}) == 6  # each dialed once
    gaps = [b - a for a, b in itertools.pairwise(arrived)]
    # 5 per second, whichever worker dials: tokens are at least 0.2 s apart. Arrivals
    # carry the jitter of a busy machine (a first request that opens the
    # connection arrives late), never a burst: six at once would span ~0 s.
    assert arrived[-1] - arrived[0] >= 5 * 0.2 - 0.25
    assert min(gaps) >= 0.1


def test_a_line_never_has_more_callbacks_ringing_than_its_limit(
    engine: Engine, app: Flask, clock: SettableClock, twilio: tuple[TwilioCalls, str]
) -> None:
    standin, url = twilio
    for i in range(5):
        request_callback(engine, clock, f"+55119{i:08d}")
    clock.at = MONDAY_9H
    worker = dispatcher(engine, clock, url, app, policy=CallbackPolicy(max_simultaneous=2))
    assert worker.tick() == 2
    assert worker.tick() == 0  # both still in a call
    status(app, standin.calls[0], "completed", 1, "human")
    assert worker.tick() == 1


def test_a_worker_that_dies_holding_callbacks_loses_none(
    engine: Engine, app: Flask, clock: SettableClock, twilio: tuple[TwilioCalls, str]
) -> None:
    """A claim whose worker died is taken over when its lease runs out, and dialed once."""
    standin, url = twilio
    callback = request_callback(engine, clock)
    clock.at = MONDAY_9H
    dead = dispatcher(engine, clock, url, app, owner="dead")
    assert dead.claim(clock()) == [callback.id]  # ... and the process is killed here
    alive = dispatcher(engine, clock, url, app, owner="alive")
    assert alive.tick() == 0  # the lease still holds
    clock.at = MONDAY_9H + timedelta(minutes=3)
    assert alive.tick() == 1
    assert len(standin.calls) == 1
    assert current(engine, callback.protocol).attempts == 1


def test_many_workers_on_one_database_dial_each_callback_exactly_once(
    engine: Engine, app: Flask, clock: SettableClock, twilio: tuple[TwilioCalls, str]
) -> None:
    standin, url = twilio
    policy = CallbackPolicy(per_slot=1000, max_simultaneous=1000)
    lookup = lines_of(engine, clock, policy)
    writer = write_engine(engine)
    with Session(writer) as session:
        for i in range(120):
            book(
                session,
                lookup("erp").calendar,
                policy,
                line="erp",
                number=f"+55119{i:08d}",
                protocol=f"P{i}",
                now=FRIDAY_18H,
            )
        session.commit()
    clock.at = MONDAY_9H
    workers = [
        dispatcher(engine, clock, url, app, policy=policy, owner=f"w{k}", batch=7) for k in range(3)
    ]
    threads = [threading.Thread(target=w.run_until_idle) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dialed = [call.form["To"] for call in standin.calls]
    assert len(dialed) == 120 and len(set(dialed)) == 120
